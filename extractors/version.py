"""The extraction pipeline's version number, apart from the pipeline itself.

Bump it when extraction changes in a way the source hash of `graph.cache.pipeline_version`
cannot see (e.g. a model file swapped under the same name). It lives here, without imports,
so that the build process can key its cache without importing spaCy (and, through thinc,
PyTorch when installed: seconds of start-up and hundreds of MiB for nothing).
"""

PIPELINE_VERSION = "1"
