"""HanLP as a second NER backend: the spaCy component ``hanlp_ner``.

Contract with the pipeline: the Doc comes from ``spacy.blank("zh")`` over folded
Simplified text; this component writes its entities to ``doc.spans["ner:hanlp"]``
with labels PER/ORG/LOC/TIME only, and leaves ``doc.ents`` to the vote component.

HanLP (and torch) are an optional extra, imported lazily: importing this module
only registers the factory, constructing the component needs ``hanlp``.
The pure helpers (tag mapping, sentence splitting, offset alignment) work
without it so they can be unit tested anywhere.
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

from extractors.components.lac_ner import doc_text

SPAN_KEY = "ner:hanlp"
LABELS = ("PER", "ORG", "LOC", "TIME")
# `--ner hanlp` without a model: HanLP's small MSRA model.  It is downloaded on first
# use, which fails offline; the error then tells the user to pass a local directory.
DEFAULT_MODEL = "hanlp.pretrained.ner.MSRA_NER_ELECTRA_SMALL_ZH"
INSTALL_HINT = (
    "the HanLP NER backend needs the optional extra: "
    "pip install torch==2.13.0 && pip install 'forumgraph[hanlp]'"
)
MAX_PIECE = 200  # characters per piece fed to HanLP: sentence-sized, well under model limits
BATCH_SIZE = 32

# HanLP's tag sets -> ours.  MSRA (NR/NS/NT plus HanLP's extended DATE/TIME...),
# OntoNotes (PERSON/ORG/GPE/LOC/DATE/TIME...), PKU (nr/ns/nt/t) and our own labels
# (a model trained by extractors.training.train_hanlp_ner emits PER/ORG/LOC/TIME).
# Anything else (money, numbers, NORP, FAC, nz...) is dropped.
TAG_MAP: dict[str, str] = {
    # MSRA
    "NR": "PER", "NS": "LOC", "NT": "ORG",
    "PERSON": "PER", "LOCATION": "LOC", "ORGANIZATION": "ORG",
    "DATE": "TIME", "TIME": "TIME",
    # OntoNotes
    "ORG": "ORG", "GPE": "LOC", "LOC": "LOC",
    # PKU (lower case, distinct from the upper-case sets above)
    "nr": "PER", "nrf": "PER", "nrj": "PER", "ns": "LOC", "nsf": "LOC", "nt": "ORG", "t": "TIME",
    # ours / LAC
    "PER": "PER",
}

_SENT_END = re.compile(r"[。！？!?]+[”’」』）)]*|\n")
_SOFT_BREAK = "；;，,、：: "


def map_tag(tag: str) -> Optional[str]:
    """Our label for a HanLP entity tag, or None for tags we do not use."""
    if tag in TAG_MAP:
        return TAG_MAP[tag]
    upper = tag.upper()
    # PKU tags are lower case and short ("t", "nt"): only fall back to the upper-case
    # table for longer tags ("person", "Org"), so PKU "t" never matches something else.
    if len(tag) > 2 and upper in TAG_MAP:
        return TAG_MAP[upper]
    return None


def split_sentences(text: str, max_len: int = MAX_PIECE) -> list[tuple[int, int]]:
    """(start, end) ranges of sentence-sized pieces of `text`, none longer than `max_len`.

    Breaks after 。！？ (with closing quotes) and at newlines; an over-long sentence is
    cut after the last soft break (；，、：space) that fits, else hard at `max_len`.
    White-space-only pieces are left out.
    """
    pieces: list[tuple[int, int]] = []
    start = 0
    for m in _SENT_END.finditer(text):
        pieces.extend(_cut_long(text, start, m.end(), max_len))
        start = m.end()
    pieces.extend(_cut_long(text, start, len(text), max_len))
    return [(s, e) for s, e in pieces if text[s:e].strip()]


def _cut_long(text: str, start: int, end: int, max_len: int) -> Iterator[tuple[int, int]]:
    while end - start > max_len:
        window = text[start:start + max_len]
        cut = max(window.rfind(ch) for ch in _SOFT_BREAK)
        stop = start + cut + 1 if cut > 0 else start + max_len
        yield start, stop
        start = stop
    if end > start:
        yield start, end


def _norm(ch: str) -> str:
    # HanLP (or a model's tokenizer) may give back full-width/compatibility forms or
    # other case: compare characters in NFKC, case-folded.
    return unicodedata.normalize("NFKC", ch).casefold()


def find_forward(text: str, surface: str, pos: int = 0) -> Optional[tuple[int, int]]:
    """First (start, end) at or after `pos` where `text` spells `surface`.

    Characters compare after NFKC + case folding and white space is ignored on both
    sides, so a surface that HanLP normalised still finds its original characters.
    """
    want = [_norm(c) for c in surface if not c.isspace()]
    if not want:
        return None
    for i in range(max(pos, 0), len(text)):
        if text[i].isspace() or _norm(text[i]) != want[0]:
            continue
        j, k = i + 1, 1
        while k < len(want) and j < len(text):
            if text[j].isspace():
                j += 1
            elif _norm(text[j]) == want[k]:
                j, k = j + 1, k + 1
            else:
                break
        if k == len(want):
            return i, j
    return None


def align_tokens(text: str, tokens: Sequence[str], start: int = 0) -> list[Optional[tuple[int, int]]]:
    """Character ranges of HanLP `tokens` in `text`, searching forward from `start`.

    A token that cannot be found gets None and does not move the cursor, so one
    normalised oddity does not derail the tokens after it.
    """
    out: list[Optional[tuple[int, int]]] = []
    cursor = start
    for tok in tokens:
        hit = find_forward(text, tok, cursor)
        out.append(hit)
        if hit:
            cursor = hit[1]
    return out


def _char_tokens(text: str, start: int, end: int) -> tuple[list[str], list[int]]:
    """Non-space characters of text[start:end] as HanLP tokens, with their offsets."""
    offsets = [i for i in range(start, end) if not text[i].isspace()]
    return [text[i] for i in offsets], offsets


def _entity_tuples(output: Any) -> list[tuple]:
    # NER components return [(surface, tag, begin, end), ...] per sentence; a
    # multi-task model returns a Document/dict keyed by task name ('ner/msra', ...).
    if isinstance(output, dict):
        for key, value in output.items():
            if key.startswith("ner"):
                return list(value)
        return []
    return list(output or [])


def align_entities(text: str, offsets: Sequence[int], entities: Iterable[tuple]) -> list[tuple[int, int, str]]:
    """Map HanLP entities over the character tokens at `offsets` to (start, end, LABEL).

    Token indices are trusted when the entity's length fits them; otherwise (a
    model that re-tokenised or normalised) the surface is searched forward from
    the end of the previous entity.
    """
    spans: list[tuple[int, int, str]] = []
    cursor = offsets[0] if offsets else 0
    for ent in entities:
        if len(ent) < 2:
            continue
        surface, tag = str(ent[0]), str(ent[1])
        label = map_tag(tag)
        if label is None:
            continue
        hit: Optional[tuple[int, int]] = None
        if len(ent) >= 4 and isinstance(ent[2], int) and isinstance(ent[3], int):
            b, e = ent[2], ent[3]
            n_chars = sum(1 for c in surface if not c.isspace())
            if 0 <= b < e <= len(offsets) and e - b == n_chars:
                hit = (offsets[b], offsets[e - 1] + 1)
        if hit is None:
            hit = find_forward(text, surface, cursor)
        if hit is None:
            continue
        spans.append((hit[0], hit[1], label))
        cursor = max(cursor, hit[1])
    return spans


# --------------------------------------------------------------------------- loading

def import_hanlp() -> Any:
    """The `hanlp` module, or ImportError with the one-line install instruction."""
    try:
        import hanlp  # noqa: F401  (heavy: torch; imported only when the backend is used)
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return hanlp


def _resolve_identifier(hanlp: Any, ident: str) -> str:
    """A HanLP pretrained name ('hanlp.pretrained.ner.X' or 'X') -> its URL; else unchanged."""
    name = ident
    if name.startswith("hanlp.pretrained."):
        obj: Any = hanlp
        for part in name.split(".")[1:]:
            obj = getattr(obj, part, None)
            if obj is None:
                return ident
        return str(obj)
    if re.fullmatch(r"[A-Z0-9_]+", name):
        import hanlp.pretrained.ner as pretrained_ner

        return str(getattr(pretrained_ner, name, hanlp.pretrained.ALL.get(name, name)))
    return ident


def _looks_local(ident: str) -> bool:
    return os.sep in ident or ident.startswith((".", "~")) or (os.altsep is not None and os.altsep in ident)


_LOADED: dict[str, Any] = {}


def load_model(model: Optional[str | os.PathLike] = None) -> Any:
    """Load (once per process) a HanLP NER component from a local directory or identifier."""
    hanlp = import_hanlp()
    ident = str(model) if model else DEFAULT_MODEL
    if ident in _LOADED:
        return _LOADED[ident]
    path = Path(ident).expanduser()
    if path.is_dir():
        # a saved component dir: config.json (with the class path) + model.pt + vocabs.json
        component = hanlp.load(str(path.resolve()))
    elif _looks_local(ident) and not ident.startswith(("http://", "https://")):
        raise FileNotFoundError(f"HanLP model directory not found: {ident}")
    else:
        target = _resolve_identifier(hanlp, ident)
        try:
            component = hanlp.load(target)
        except Exception as exc:  # HanLP fetches pretrained models over the network
            raise RuntimeError(
                f"cannot load HanLP model {ident!r} ({type(exc).__name__}); pretrained models are "
                "downloaded on first use, which needs network access - pass a local model "
                "directory instead: --ner hanlp:PATH"
            ) from exc
    _LOADED[ident] = component
    return component


def hanlp_spans(texts: list[str], model: Any, batch_size: int = BATCH_SIZE) -> list[list[tuple[int, int, str]]]:
    """Entities (start, end, LABEL) per text, offsets into that text.

    `model` is a loaded HanLP component or anything `load_model` accepts.  Texts
    are cut into sentence-sized pieces whose non-space characters are fed to
    HanLP as token lists, in batches.
    """
    component = model if callable(model) and not isinstance(model, (str, os.PathLike)) else load_model(model)
    jobs: list[tuple[int, list[str], list[int]]] = []  # (text index, tokens, offsets)
    for t_idx, text in enumerate(texts):
        for start, end in split_sentences(text):
            tokens, offsets = _char_tokens(text, start, end)
            if tokens:
                jobs.append((t_idx, tokens, offsets))
    results: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    for b in range(0, len(jobs), batch_size):
        batch = jobs[b:b + batch_size]
        outputs = component([tokens for _, tokens, _ in batch], batch_size=batch_size)
        if len(batch) == 1 and outputs and not isinstance(outputs[0], (list, dict)):
            outputs = [outputs]  # some components unwrap a batch of one
        for (t_idx, _tokens, offsets), out in zip(batch, outputs):
            results[t_idx].extend(align_entities(texts[t_idx], offsets, _entity_tuples(out)))
    return [sorted(set(spans)) for spans in results]


# --------------------------------------------------------------------------- spaCy

class HanLPNER:
    """Writes HanLP's entities to doc.spans["ner:hanlp"]; never touches doc.ents."""

    def __init__(self, name: str, model: Optional[str] = None, batch_size: int = BATCH_SIZE) -> None:
        self.name = name
        self.model_id = model or DEFAULT_MODEL
        self.batch_size = batch_size
        self.component = load_model(self.model_id)

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 16) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size):
            yield from self._annotate(batch)

    def _annotate(self, docs: list[Doc]) -> list[Doc]:
        all_spans = hanlp_spans([doc_text(d) for d in docs], self.component, self.batch_size)
        for doc, spans in zip(docs, all_spans):
            group = []
            for start, end, label in spans:
                span = doc.char_span(start, end, label=label, alignment_mode="expand")
                if span is not None:
                    group.append(span)
            doc.spans[SPAN_KEY] = group
        return docs


@Language.factory("hanlp_ner", default_config={"model": None})
def make_hanlp_ner(nlp: Language, name: str, model: Optional[str]) -> HanLPNER:
    return HanLPNER(name, model)
