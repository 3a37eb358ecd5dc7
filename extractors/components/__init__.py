"""spaCy pipeline components, registered by name (`@Language.factory`).

Importing this package registers them; `extractors.pipeline` builds the
pipeline from their names.
"""
from extractors.components import article, lac_ner, ner_vote  # noqa: F401  (registration)
