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


# full-width ASCII → ASCII; CJK punctuation kept recognisable; wide spaces → space
_WIDTH = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if chr(c) not in "（），：；！？"},
                        "\u3000": " ", "\u00a0": " "})


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")   # the ranges _traditional() covers


@lru_cache(maxsize=1)
def opencc_characters() -> dict[str, str]:
    """OpenCC's own character table (TSCharacters.txt): each Traditional character that its first
    Simplified form changes, mapped to that form; {} if the installed OpenCC has no such file."""
    try:
        import opencc
        from pathlib import Path

        text = (Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt").read_text(encoding="utf-8")
    except (ImportError, OSError, UnicodeDecodeError):
        return {}
    out = {}
    for line in text.splitlines():
        trad, _, simplified = line.partition("\t")
        first = simplified.split(" ")[0]
        if len(trad) == 1 and first and first != trad:
            out[trad] = first
    return out


@lru_cache(maxsize=1)
def _traditional() -> frozenset[str]:
    """Characters OpenCC changes on their own; a line with none of them is already Simplified.

    They are the CJK keys of OpenCC's character table, which is what converting every CJK
    character one by one finds (tests/test_normalize.py compares the two), read without
    loading OpenCC's dictionaries: a Simplified article then never loads them (most of a new
    extraction process's first article). Without the table, every character is converted once.
    """
    table = opencc_characters()
    if table:
        return frozenset(c for c in table if _CJK.match(c))
    return _traditional_by_conversion()


def _traditional_by_conversion() -> frozenset[str]:
    """`_traditional()` by converting every CJK character (about 0.3 s, once per process)."""
    chars = [chr(c) for c in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000), *range(0xF900, 0xFB00))]
    out = _converter().convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):   # should not happen; then every line goes through OpenCC
        return frozenset(chars)
    return frozenset(c for c, o in zip(chars, out) if c != o)


@lru_cache(maxsize=65536)
def _changes(ch: str) -> bool:
    return _converter().convert(ch) != ch


def _has_traditional(text: str) -> bool:
    """Whether `text` holds a character of `_traditional()`. A short text (a name typed into a
    query) asks OpenCC about its own characters instead of building the whole set."""
    if len(text) > 64 or _traditional.cache_info().currsize:
        return not _traditional().isdisjoint(text)
    return any(_changes(c) for c in set(text) if _CJK.match(c))


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    out = _converter().convert(ch)
    return out if len(out) == 1 else ch


def fold_line(line: str) -> str:
    if not _has_traditional(line):
        return line.translate(_WIDTH)
    converted = _converter().convert(line)
    if len(converted) != len(line):
        converted = "".join(_fold_char(c) for c in line)
    return converted.translate(_WIDTH)


def fold(text: str) -> str:
    """Simplified, same-length version of `text` (offsets carry over unchanged)."""
    if not text or text.isascii():
        return text
    if not _has_traditional(text):
        return text.translate(_WIDTH)
    return "\n".join(fold_line(part) for part in text.split("\n"))


def fold_name(name: str) -> str:
    """Key form of a name: folded, no white space, one middle dot, ASCII parentheses."""
    name = re.sub(r"\s+", "", fold(name))
    name = _DOTS.sub("·", name)
    # fold() narrows the full-width "．" to ".", which between CJK letters is a name dot too
    name = _CJK_DOT.sub("·", name)
    return name.replace("（", "(").replace("）", ")")


def has_traditional(text: str) -> bool:
    return fold(text) != text
