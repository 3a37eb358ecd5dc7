"""Fold Traditional Chinese (and full-width ASCII) to one Simplified form.

`fold(text)` returns a string of exactly the same length, so a character
offset in the folded text is the same offset in the original: recognition runs
on folded text, display and provenance use the original. OpenCC converts whole
lines (its phrase tables need context); a line whose conversion would change
length (rare multi-character mappings) is converted character by character.
"""
from __future__ import annotations

import re
from functools import lru_cache

_DOTS = re.compile(r"[•・‧．･∙⋅]")
_CJK_DOT = re.compile(r"(?<=[\u3400-\u9fff])\.(?=[\u3400-\u9fff])")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    for cfg in ("t2s", "t2s.json"):
        try:
            conv = opencc.OpenCC(cfg)
            conv.convert("測試")
            return conv
        except Exception:  # the two OpenCC packages name configs differently
            continue
    raise RuntimeError("OpenCC has no t2s configuration; reinstall opencc-python-reimplemented")


def _width(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E and ch not in "（），：；！？":  # keep CJK punctuation recognisable
        return chr(code - 0xFEE0)
    if ch in "\u3000\u00a0":
        return " "
    return ch


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    out = _converter().convert(ch)
    return out if len(out) == 1 else ch


def fold_line(line: str) -> str:
    converted = _converter().convert(line)
    if len(converted) != len(line):
        converted = "".join(_fold_char(c) for c in line)
    return "".join(_width(c) for c in converted)


def fold(text: str) -> str:
    """Simplified, same-length version of `text` (offsets carry over unchanged)."""
    if not text:
        return text
    if text.isascii():
        return text
    return "".join(fold_line(part) for part in re.split(r"(\n)", text))


def fold_name(name: str) -> str:
    """Key form of a name: folded, no white space, one middle dot, ASCII parentheses."""
    name = re.sub(r"\s+", "", fold(name))
    name = _DOTS.sub("·", name)
    # fold() narrows the full-width "．" to ".", which between CJK letters is a name dot too
    name = _CJK_DOT.sub("·", name)
    return name.replace("（", "(").replace("）", ")")


def has_traditional(text: str) -> bool:
    return fold(text) != text
