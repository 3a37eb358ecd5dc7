"""Sentence and line boundaries with offsets (Chinese punctuation)."""
from __future__ import annotations

import re

_END = re.compile(r"[。！？!?；;]+[”’」』)）]*|\n")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank sentence; newlines always end one."""
    spans, start = [], 0
    for m in _END.finditer(text):
        end = m.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def line_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans
