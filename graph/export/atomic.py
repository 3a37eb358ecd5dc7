"""Write output files atomically: a temporary file in the same folder, fsync, rename.

A build killed at any moment leaves either the previous file or the new one,
never a half-written file. Paths are confined to the output folder.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


class UnsafePath(ValueError):
    pass


def inside(out_dir: str | os.PathLike, name: str) -> Path:
    """`out_dir/name`, refusing names that would escape `out_dir`."""
    base = Path(out_dir).resolve()
    target = (base / name).resolve()
    if base != target and base not in target.parents:
        raise UnsafePath(f"output name {name!r} escapes {base}")
    return target


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes 0600 files; outputs are ordinary files others (a web server) may read
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
