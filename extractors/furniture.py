"""Blank out what is not article text, keeping every offset.

News pages carry navigation, bylines, "related articles" lists with their own
names, and injected spam words. Recognition must not see them, so they are
replaced by spaces of equal length (offsets stay valid for provenance).
"""
from __future__ import annotations

import re

from extractors.lexicon import by_length, table

_TIMESTAMP = re.compile(r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(\s+\d{1,2}:\d{2}(:\d{2})?)?\s*$")
_URLISH = re.compile(r"(https?://|www\.|\.html?\b|\.shtml\b|index_\w+|oldsrc=|src=)", re.I)


def _blank(s: str) -> str:
    return re.sub(r"[^\n]", " ", s)


def mask_spam(text: str) -> str:
    for w in by_length("spam_words"):
        if w in text:
            text = text.replace(w, " " * len(w))
    return text


def mask_furniture(text: str) -> str:
    """Same-length text with page furniture blanked."""
    markers = table("furniture")
    lines = text.split("\n")
    out: list[str] = []
    rest = False
    for i, line in enumerate(lines):
        stripped = line.strip().lstrip("•·*-[ ")
        if rest:
            out.append(_blank(line))
            continue
        kind = next((v for k, v in markers.items() if stripped.startswith(k)), None)
        if kind == "rest" and i > len(lines) * 0.3:
            rest = True
            out.append(_blank(line))
        elif kind is not None:
            out.append(_blank(line))
        elif _TIMESTAMP.match(line):
            # a headline list: "headline / snippet / timestamp" triples
            out.append(_blank(line))
            for back in (1, 2):
                if len(out) > back and i - back >= 0 and len(lines[i - back]) < 200:
                    out[-1 - back] = _blank(lines[i - back])
        elif _URLISH.search(line) and len(re.findall(r"[\u4e00-\u9fff]", line)) < 10:
            out.append(_blank(line))
        else:
            out.append(line)
    return "\n".join(out)


def clean(folded: str) -> str:
    """Folded text → the text recognition sees (same length)."""
    return mask_furniture(mask_spam(folded))
