"""Real text from the project's own corpus (seeds/), for tests that build fixtures from it."""
from __future__ import annotations

from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed_path(prefix: str) -> Path:
    """seeds/<prefix>_*.txt (prefix "000" … "004")."""
    (path,) = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    return path


def seed_text(prefix: str) -> str:
    return seed_path(prefix).read_text(encoding="utf-8")


def seed_line(prefix: str, needle: str) -> str:
    """The first line of seed `prefix` that contains `needle`."""
    for line in seed_text(prefix).splitlines():
        if needle in line:
            return line
    raise LookupError(f"{needle!r} not in seed {prefix}")


def encodable_lines(prefix: str, encoding: str, min_len: int = 40) -> str:
    """Lines of a seed that `encoding` can represent (Big5 lacks some rare characters)."""
    out = []
    for line in seed_text(prefix).splitlines():
        if len(line) < min_len:
            continue
        try:
            line.encode(encoding)
        except UnicodeEncodeError:
            continue
        out.append(line)
    return "\n".join(out) + "\n"
