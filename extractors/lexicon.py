"""Load the lexicon data files in `lexicons/` (one entry per line, `#` comments,
an optional tab-separated value)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

LEXICON_DIR = Path(__file__).parent / "lexicons"


@lru_cache(maxsize=None)
def table(name: str) -> dict[str, str]:
    """`name.txt` as {entry: value} (value "" when the line has none), in file order."""
    out: dict[str, str] = {}
    for line in (LEXICON_DIR / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("\t")
        out.setdefault(key.strip(), value.strip())
    return out


@lru_cache(maxsize=None)
def words(name: str) -> frozenset[str]:
    return frozenset(table(name))


@lru_cache(maxsize=None)
def by_length(name: str) -> tuple[str, ...]:
    """Entries longest first, for longest-match scanning."""
    return tuple(sorted(table(name), key=lambda w: (-len(w), w)))
