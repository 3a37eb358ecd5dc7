"""Fixtures shared by the export-reuse tests."""
from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path

import pytest

from graph.export import fragments


@pytest.fixture
def written(monkeypatch) -> dict[str, tuple[int, int]]:
    """File name -> (bytes copied, bytes rendered) of its last write with reuse."""
    seen: dict[str, tuple[int, int]] = {}
    real = fragments.FragmentOutput.commit

    def commit(self, path):
        seen[Path(path).name] = (self.copied, self.rendered)
        real(self, path)

    monkeypatch.setattr(fragments.FragmentOutput, "commit", commit)
    return seen


def cut_copies_short(monkeypatch) -> list[int]:
    """From now on os.copy_file_range returns 0 bytes, as if the previous file were cut short
    while read; returns the list of the counts asked for."""
    calls: list[int] = []

    def eof(src, dst, count, offset_src=None, *a):
        calls.append(count)
        return 0

    monkeypatch.setattr(os, "copy_file_range", eof, raising=False)
    return calls


SIDECAR_DAMAGE = ["truncated", "byte flipped", "empty", "garbage", "another salt", "missing"]


def damage_sidecar(side: Path, how: str) -> None:
    """Spoil a reuse sidecar (fragments.py) one of the ways of SIDECAR_DAMAGE."""
    data = side.read_bytes()
    if how == "truncated":
        side.write_bytes(data[:len(data) // 2])
    elif how == "byte flipped":
        side.write_bytes(data[:-5] + bytes([data[-5] ^ 1]) + data[-4:])
    elif how == "empty":
        side.write_bytes(b"")
    elif how == "garbage":
        side.write_bytes(os.urandom(len(data)))
    elif how == "another salt":   # as written by another version of the code
        meta = marshal.loads(data[len(fragments._MAGIC) + 32:])
        meta["salt"] = b"\0" * 32
        body = marshal.dumps(meta, 2)
        side.write_bytes(fragments._MAGIC + hashlib.sha256(body).digest() + body)
    else:
        side.unlink()
