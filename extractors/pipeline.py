"""Build the spaCy pipeline and turn one `Document` into `DocumentRecords`.

    fold → blank furniture/spam → spaCy Doc (character tokens)
      → NER backends (lac_ner / hanlp_ner → doc.spans["ner:*"]) → ner_vote (doc.ents)
      → article → persons → title_chain → organizations → events → attendance
      → records (offsets point into the original text)
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

import extractors.components  # noqa: F401  (registers the components)
from extractors.article import Article
from extractors.char_tokenizer import CharTokenizer
from extractors.documents import Document
from extractors.furniture import clean
from extractors.normalize import fold, fold_name
from extractors.records import (AttendanceRecord, DocumentRecords, EventRecord, Evidence, OrganizationRecord,
                                PersonRecord, RoleRecord)
from extractors.version import PIPELINE_VERSION  # noqa: F401  (re-exported: where readers look for it)
RULE_COMPONENTS = ["article", "persons", "title_chain", "organizations", "events", "attendance"]
NER_BACKENDS = {"lac": "lac_ner", "hanlp": "hanlp_ner"}
# documents per batch in Extractor.pipe: enough sentences for LAC to batch by length
BATCH_SIZE = 32


def parse_ner_spec(spec: str) -> list[tuple[str, str | None]]:
    """"lac" / "hanlp:MODEL" / "lac+hanlp:MODEL" → [(backend, model or None)]."""
    out = []
    for part in spec.split("+"):
        name, _, model = part.strip().partition(":")
        if name not in NER_BACKENDS:
            raise ValueError(f"unknown NER backend {name!r} in --ner {spec!r}: use lac, hanlp[:MODEL] or lac+hanlp[:MODEL]")
        out.append((name, model or None))
    return out


def build_nlp(ner: str = "lac") -> Language:
    nlp = spacy.blank("zh")   # character tokens: every offset is a token boundary
    nlp.tokenizer = CharTokenizer(nlp.vocab)   # the same tokens as the "char" segmenter, faster
    backends = parse_ner_spec(ner)
    if all(b != "lac" for b, _ in backends):
        # the rule components read word boundaries and parts of speech, which LAC's lexical analysis gives
        nlp.add_pipe("lac_ner", name="lac_words", config={"spans": False})
    for backend, model in backends:
        if backend == "hanlp":
            import extractors.components.hanlp_ner  # noqa: F401  (registers hanlp_ner; fails clearly without the extra)
            nlp.add_pipe("hanlp_ner", config={"model": model})
        else:
            nlp.add_pipe(NER_BACKENDS[backend], config={"selective": True})
    nlp.add_pipe("ner_vote")
    for name in RULE_COMPONENTS:
        nlp.add_pipe(name)
    return nlp


_QUOTES = re.compile(r"[“”\"《》「」『』]")
_DATE = re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")


def _meta_date(document: Document) -> str:
    """The article's date: front matter or record first, else a dateline near the top."""
    for src in (document.date, document.text[:400]):
        m = _DATE.search(str(src or ""))
        if m:
            return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return ""


class Extractor:
    """Callable: Document → DocumentRecords. Holds one spaCy pipeline.

    `pipe` does the same for many documents and is faster: components with a `pipe` method
    (the NER backends) see a batch of documents at once, like spaCy's `Language.pipe`."""

    def __init__(self, ner: str = "lac", batch_size: int = BATCH_SIZE):
        self.nlp = build_nlp(ner)
        self.batch_size = batch_size

    def _make_doc(self, document: Document) -> Doc:
        cleaned = clean(fold(document.text))
        doc = self.nlp.make_doc(cleaned)
        # one character per token, so doc.text == cleaned: spare the components spaCy's re-joining
        doc.user_data["forumgraph:text"] = cleaned
        doc._.meta = {"id": document.id, "original": document.text, "title": fold(document.title),
                      "date": _meta_date(document)}
        return doc

    def analyse(self, document: Document) -> Article:
        doc = self._make_doc(document)
        for _, proc in self.nlp.pipeline:
            doc = proc(doc)
        return doc._.article

    def __call__(self, document: Document) -> DocumentRecords:
        return to_records(self.analyse(document), document)

    def pipe(self, documents: Iterable[Document]) -> Iterator[DocumentRecords | Exception]:
        """Records of each document in order, or the exception its extraction raised: one
        hostile article costs that article only (a batch that fails is redone one by one)."""
        for batch in minibatch(documents, size=self.batch_size):
            yield from self._pipe_batch(batch)

    def _pipe_batch(self, documents: list[Document]) -> list[DocumentRecords | Exception]:
        try:
            docs = [self._make_doc(d) for d in documents]
            for _, proc in self.nlp.pipeline:
                docs = list(proc.pipe(docs)) if hasattr(proc, "pipe") else [proc(d) for d in docs]
            return [to_records(doc._.article, d) for doc, d in zip(docs, documents)]
        except Exception:  # noqa: BLE001 - find the culprit: redo the batch one document at a time
            out: list[DocumentRecords | Exception] = []
            for d in documents:
                try:
                    out.append(self(d))
                except Exception as exc:  # noqa: BLE001 - reported by the caller
                    out.append(exc)
            return out


def _evidence(art: Article, start: int, end: int) -> Evidence:
    s, e = art.sentence_of(start)
    return Evidence(art.doc_id, art.original[s:e].strip(), start, end)


def to_records(art: Article, document: Document) -> DocumentRecords:
    """Article findings → records; names shown as the article writes them."""
    orig = art.original
    out = DocumentRecords(doc=document.id, title=document.title, date=art.date)
    for p in art.persons.values():
        s, e = p.first
        display = orig[s:e]
        aliases = sorted({orig[m.start:m.end] for m in p.mentions} - {display})
        out.persons.append(PersonRecord(display, fold_name(p.key), aliases,
                                        [_evidence(art, m.start, m.end) for m in p.mentions[:3]]))
    for name, aliases in sorted(art.orgs.items()):
        i = art.text.find(name)
        display = orig[i:i + len(name)] if i >= 0 else name
        ev = [_evidence(art, i, i + len(name))] if i >= 0 else []
        out.organizations.append(OrganizationRecord(display, fold_name(name), sorted(aliases), ev))
    for r in art.roles:
        out.roles.append(RoleRecord(fold_name(r.person), r.title, fold_name(r.org), _evidence(art, r.start, r.end)))
    for ev in art.events.values():
        s, e = ev.mentions[0]
        # shown as the article writes it, from the mention that carries the full name
        display = next((_QUOTES.sub("", orig[a:b]) for a, b in ev.mentions
                        if _QUOTES.sub("", art.text[a:b]) == ev.name), ev.name)
        out.events.append(EventRecord(ev.id, display, fold_name(ev.name), ev.date, ev.place, ev.parent, ev.minor,
                                      [fold_name(o) for o in ev.organizers if o in art.orgs],
                                      [_evidence(art, s, e)]))
    for a in art.attendance:
        out.attendance.append(AttendanceRecord(fold_name(a.person), a.event, a.participation,
                                               _evidence(art, a.start, a.end)))
    return out
