"""The rule components, each one step over the shared `Article` (doc._.article):

    article → persons → title_chain → organizations → events → attendance

They are registered by name so the pipeline is configured from one list
(`extractors.pipeline.RULE_COMPONENTS`).
"""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from extractors.article import Article
from extractors.components.attendance import find_attendance
from extractors.components.events import find_events
from extractors.components.lac_ner import doc_text
from extractors.components.organizations import collect_orgs, main_org, ner_orgs, prune_event_words
from extractors.components.persons import find_persons
from extractors.components.title_chain import find_roles

for _name in ("article", "meta"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


class _Step:
    def __init__(self, nlp: Language, name: str):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        self.run(doc._.article)
        return doc

    def run(self, art: Article) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


@Language.factory("article")
class MakeArticle:
    """Collects the NER output and the document's metadata into an `Article`."""

    def __init__(self, nlp: Language, name: str):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        meta = doc._.meta or {}
        doc._.article = Article(
            doc_id=meta.get("id", ""), original=meta.get("original", doc_text(doc)), text=doc_text(doc),
            words=doc._.words or [],
            ents=doc._.ner if doc._.ner is not None else [(e.start_char, e.end_char, e.label_) for e in doc.ents],
            title=meta.get("title", ""), date=meta.get("date", ""))
        return doc


@Language.factory("persons")
class Persons(_Step):
    def run(self, art: Article) -> None:
        art.persons = find_persons(art)


@Language.factory("title_chain")
class TitleChain(_Step):
    def run(self, art: Article) -> None:
        counts = ner_orgs(art)
        art.orgs = {k: set() for k in counts}
        art.main_org = main_org(art, counts)
        art.roles = find_roles(art)


@Language.factory("organizations")
class Organizations(_Step):
    def run(self, art: Article) -> None:
        art.orgs = collect_orgs(art)


@Language.factory("events")
class Events(_Step):
    def run(self, art: Article) -> None:
        art.events = find_events(art)
        prune_event_words(art)


@Language.factory("attendance")
class AttendanceStep(_Step):
    def run(self, art: Article) -> None:
        art.attendance = find_attendance(art)
