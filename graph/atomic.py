"""Write output files atomically: a temporary file in the same folder, fsync, rename.

A build killed at any moment leaves either the previous file or the new one,
never a half-written file. Paths are confined to the output folder.

Inside `deferred_commits()`, the last steps of each write (fsync, rename, the
folder's fsync: waits on the disk, about a second for a large build's files) run in
a background thread, in order, while the writer goes on computing the next file;
`after_commits(fn)` runs `fn` once every write before it is in place.
"""
from __future__ import annotations

import os
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Iterator


class UnsafePath(ValueError):
    pass


def inside(out_dir: str | os.PathLike, name: str) -> Path:
    """`out_dir/name`, refusing names that would escape `out_dir`."""
    base = Path(out_dir).resolve()
    target = (base / name).resolve()
    if base != target and base not in target.parents:
        raise UnsafePath(f"output name {name!r} escapes {base}")
    return target


def pid_alive(pid: int) -> bool:
    """Whether a process `pid` exists (the writer named in a temporary file's name)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(path: Path) -> None:
    """Temp files of `path` left by a build that was killed (SIGKILL skips our cleanup):
    their names carry the writer's pid, and a temp whose writer is gone is garbage."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = tmp.name[len(path.name) + 2:].split(".")[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            try:
                tmp.unlink()
            except OSError:
                pass


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a power cut right after could otherwise undo it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Commits:
    """The finishing steps of atomic writes, run one after the other in a background thread.
    `wait()` returns when all are done and raises the first failure. A write that failed
    leaves the previous file; the writes after it still finish (each is complete), but what
    was to run after them (`after`, `mark`) does not: it might record a file not in place."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forumgraph-commit")
        self._futures: list[Future] = []
        self.failed: BaseException | None = None
        # only this thread's writes are deferred, and never in a process forked meanwhile (its
        # copy of this object has no thread behind it)
        self.owner = (os.getpid(), threading.get_ident())

    def write(self, finish: Callable[[], None]) -> None:
        """Finish a written file (fsync, rename) after those submitted before."""
        def run() -> None:
            try:
                finish()
            except BaseException as exc:
                if self.failed is None:
                    self.failed = exc
                raise
        self._futures.append(self._pool.submit(run))

    def after(self, fn: Callable[[], None]) -> Future:
        """Run `fn` once everything submitted before is done, unless a write failed."""
        def run() -> None:
            if self.failed is not None:
                raise RuntimeError("an earlier write failed") from self.failed
            fn()
        future = self._pool.submit(run)
        self._futures.append(future)
        return future

    def mark(self) -> Future:
        """A future that succeeds once every write submitted so far is in place."""
        return self.after(lambda: None)

    def wait(self) -> None:
        try:
            for future in self._futures:
                future.exception()   # wait for every one, failed or not
            if self.failed is not None:
                raise self.failed
            for future in self._futures:
                future.result()
        finally:
            self._futures.clear()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)


_commits: Commits | None = None


@contextmanager
def deferred_commits() -> Iterator[Commits]:
    """Within the block, this thread's atomic writes are finished in the background (see the
    module's note); leaving the block waits until every one is in place."""
    global _commits
    if _deferring() is not None:   # nested: the outer block waits
        yield _commits
        return
    commits = _commits = Commits()
    try:
        yield commits
    finally:
        _commits = None
        commits.close()


def _deferring() -> Commits | None:
    commits = _commits
    if commits is not None and commits.owner == (os.getpid(), threading.get_ident()):
        return commits
    return None


def after_commits(fn: Callable[[], None]) -> None:
    """Run `fn` once the atomic writes begun before are in place: now, or in the background
    after them inside `deferred_commits()` (e.g. a record of a file's final stat)."""
    commits = _deferring()
    if commits is None:
        fn()
    else:
        commits.after(fn)


def _umask() -> int:
    umask = os.umask(0)   # (the only way to read it; set back at once, in the writing thread)
    os.umask(umask)
    return umask


def _finish(fh: IO, tmp: str, path: Path, umask: int) -> None:
    """fsync the written temporary file, close it, give it ordinary permissions and rename it
    over `path`; on failure it is removed (the previous file stays)."""
    try:
        try:
            os.fsync(fh.fileno())
        finally:
            fh.close()
        # mkstemp makes 0600 files; outputs are ordinary files others (a web server) may read
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    # a hidden name with our pid: never mistaken for an output, removable once we are gone
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        fh = os.fdopen(fd, mode, encoding=encoding)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    try:
        yield fh
        fh.flush()
    except BaseException:
        fh.close()
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    commits, umask = _deferring(), _umask()
    if commits is None:
        _finish(fh, tmp, path, umask)
    else:
        commits.write(lambda: _finish(fh, tmp, path, umask))


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
