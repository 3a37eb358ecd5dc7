"""Run export tasks in two (or more) processes that share the graph by fork.

The writers are Python-bound, so threads would not overlap them; a forked
process sees the built graph without copying or pickling it. Tasks go through
a pipe used as a queue: each process takes the next task (one byte, the task's
number; a pipe read of one byte goes to exactly one reader), longest first, so
the processes stay busy whatever else runs on the machine.

Every file is still written atomically by the process that writes it
(`atomic.atomic_open`: its temporary file carries that process's pid); its fsync
and rename run in a background thread of that process while it goes on with its
next task (`atomic.deferred_commits`), and a task counts as done once its files
are in place. A writer process reports "started", "done" and failures over a
second pipe; the parent
calls `progress` for every finished file, raises the first failure with the
child's traceback as a note, and raises too if a writer process died (a killed
writer leaves the previous file in place; its temporary file is removed by the
next build). A writer process dies with its parent (PR_SET_PDEATHSIG), so a
killed build leaves no process writing behind it. (`write_all` pauses the
cyclic garbage collector, so that no collection in either process writes to
every object of the shared graph.)
"""
from __future__ import annotations

import os
import pickle
import struct
import threading
import traceback
import warnings
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable

from graph.atomic import deferred_commits


@dataclass
class Task:
    names: list[str]            # the files it writes, reported to `progress` when it is done
    run: Callable[[], None]


class WriterProcessError(RuntimeError):
    """A writer process failed in a way that could not be sent back as its own exception."""


def run_tasks(tasks: list[Task], jobs: int = 1, progress: Callable[[str], None] | None = None) -> None:
    """Run `tasks` (longest first) in `jobs` processes; raise the first failure."""
    if jobs < 2 or len(tasks) < 2 or not hasattr(os, "fork") or len(tasks) > 255:
        with deferred_commits() as commits:
            written: list[tuple[Task, Future]] = []
            for task in tasks:
                task.run()
                written.append((task, commits.mark()))   # done once its files are in place
                while written and written[0][1].done() and not written[0][1].exception():
                    _report(written.pop(0)[0], progress)
        for task, _ in written:
            _report(task, progress)
        return
    _Pool(tasks, min(jobs, len(tasks)), progress).run()


def _report(task: Task, progress: Callable[[str], None] | None) -> None:
    for name in task.names:
        if progress:
            progress(name)


# ---------------------------------------------------------------- messages

def _send(fd: int, message: tuple) -> None:
    data = pickle.dumps(message)
    data = struct.pack("<I", len(data)) + data
    while data:
        data = data[os.write(fd, data):]


def _failure(index: int, exc: BaseException) -> tuple:
    text = "".join(traceback.format_exception(exc))
    try:
        payload = pickle.dumps(exc)
        pickle.loads(payload)
    except Exception:
        payload = None
    return ("failed", index, payload, f"{type(exc).__name__}: {exc}", text)


class _Reader:
    """Length-prefixed pickles from a pipe."""

    def __init__(self, fd: int):
        self.fd, self.buf, self.closed = fd, b"", False

    def poll(self, block: bool) -> list[tuple]:
        """Messages complete so far: all that are waiting (`block` False) or the next chunk's worth."""
        os.set_blocking(self.fd, block)
        while not self.closed:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                self.closed = True
                break
            self.buf += chunk
            if block:
                break
        out = []
        while len(self.buf) >= 4:
            (n,) = struct.unpack("<I", self.buf[:4])
            if len(self.buf) < 4 + n:
                break
            out.append(pickle.loads(self.buf[4:4 + n]))
            self.buf = self.buf[4 + n:]
        return out


def _die_with_parent(parent: int) -> None:
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))   # PR_SET_PDEATHSIG
    except Exception:
        pass
    if os.getppid() != parent:   # the parent is already gone
        os._exit(1)


# ---------------------------------------------------------------- the pool

class _Pool:
    def __init__(self, tasks: list[Task], jobs: int, progress):
        self.tasks, self.jobs, self.progress = tasks, jobs, progress
        self.claimed: dict[int, int] = {}     # task -> pid of the writer process that took it
        self.done: set[int] = set()
        self.failure: tuple | None = None     # (exception or None, summary, traceback text, names)
        self.committing: list[tuple[int, Future]] = []   # tasks of this process run, files being put in place

    def run(self) -> None:
        queue_r, queue_w = os.pipe()
        os.write(queue_w, bytes(range(len(self.tasks))))
        os.close(queue_w)
        result_r, result_w = os.pipe()
        parent = os.getpid()
        children = []
        for _ in range(self.jobs - 1):
            try:
                with warnings.catch_warnings():
                    # Python 3.12+ warns when a process with other threads forks (the build may hold
                    # ONNX runtime's pool): a lock another thread held stays locked in the child. The
                    # writer process runs only the exporters' Python code and never enters those
                    # libraries, and it writes nothing to the inherited stdout/stderr.
                    warnings.filterwarnings("ignore", message=".*multi-threaded.*fork", category=DeprecationWarning)
                    pid = os.fork()
            except OSError:   # no memory or process slot for another: fewer processes do it all
                break
            if pid == 0:   # pragma: no cover - runs in the child, which never returns
                self._child(queue_r, result_r, result_w, parent)
            children.append(pid)
        os.close(result_w)
        results = _Reader(result_r)
        own_error: BaseException | None = None
        try:
            # (after forking: a writer process must not inherit the commit thread's state)
            with deferred_commits() as commits:
                while True:
                    self._handle(results.poll(block=False))
                    self._committed()
                    if self.failure is not None:
                        self._drain_queue(queue_r)   # a writer process failed: no new task
                        break
                    b = os.read(queue_r, 1)
                    if not b:
                        break
                    i = b[0]
                    self.claimed[i] = parent
                    self.tasks[i].run()
                    self.committing.append((i, commits.mark()))   # reported once its files are in place
            for i, _ in self.committing:
                self._finished(i)
            self.committing.clear()
        except BaseException as exc:
            own_error = exc
            self._drain_queue(queue_r)   # writer processes take no new task after a failure
        finally:
            os.close(queue_r)
            statuses = self._reap(children, results)
        if own_error is not None:
            if self.failure is not None:
                own_error.add_note(f"a writer process failed too: {self.failure[1]}")
            raise own_error
        if self.failure is not None:
            exc, summary, text, names = self.failure
            if exc is None:
                exc = WriterProcessError(summary)
            exc.add_note(f"raised in the process writing {', '.join(names)}:\n{text.rstrip()}")
            raise exc
        lost = [i for i in range(len(self.tasks)) if i not in self.done]
        if lost:
            names = [n for i in lost for n in self.tasks[i].names]
            raise WriterProcessError(f"a writer process ended without writing {', '.join(names)} "
                                     f"(exit statuses {statuses}); the previous files are kept")

    def _child(self, queue_r: int, result_r: int, result_w: int, parent: int) -> None:
        code = 0
        try:
            os.close(result_r)
            _die_with_parent(parent)
            me = os.getpid()
            lock = threading.Lock()   # "done" is sent from the commit thread

            def send(message: tuple) -> None:
                with lock:
                    _send(result_w, message)

            ran: list[int] = []
            reported: set[int] = set()

            def done(i: int) -> None:
                send(("done", i, me))
                reported.add(i)

            try:
                with deferred_commits() as commits:
                    while True:
                        b = os.read(queue_r, 1)
                        if not b:
                            break
                        i = b[0]
                        send(("started", i, me))
                        try:
                            self.tasks[i].run()
                        except BaseException as exc:
                            send(_failure(i, exc))
                            code = 1
                            break
                        ran.append(i)
                        commits.after(lambda i=i: done(i))   # once its files are in place
            except BaseException as exc:   # a file written could not be put in place
                send(_failure(next((i for i in ran if i not in reported), ran[-1] if ran else 0), exc))
                code = 1
        except BaseException:
            code = 2
        finally:
            os._exit(code)

    def _committed(self) -> None:
        """Report this process's tasks whose files are all in place."""
        while self.committing and self.committing[0][1].done() and not self.committing[0][1].exception():
            self._finished(self.committing.pop(0)[0])

    def _handle(self, messages: list[tuple]) -> None:
        for m in messages:
            if m[0] == "started":
                self.claimed[m[1]] = m[2]
            elif m[0] == "done":
                self._finished(m[1])
            elif m[0] == "failed" and self.failure is None:
                _, i, payload, summary, text = m
                exc = None
                if payload is not None:
                    try:
                        exc = pickle.loads(payload)
                    except Exception:
                        exc = None
                self.failure = (exc, summary, text, self.tasks[i].names)

    def _finished(self, i: int) -> None:
        self.done.add(i)
        for name in self.tasks[i].names:
            if self.progress:
                self.progress(name)

    @staticmethod
    def _drain_queue(queue_r: int) -> None:
        os.set_blocking(queue_r, False)
        try:
            while os.read(queue_r, 256):
                pass
        except BlockingIOError:
            pass

    def _reap(self, children: list[int], results: _Reader) -> list[int]:
        """Report what the writer processes still send, until they have all closed the pipe
        (read first, so that none can block writing to a full pipe), then wait for them."""
        while not results.closed:
            self._handle(results.poll(block=True))
        statuses = []
        for pid in children:
            while True:
                try:
                    _, status = os.waitpid(pid, 0)
                    break
                except ChildProcessError:
                    status = 0
                    break
                except InterruptedError:  # pragma: no cover - PEP 475 retries for us
                    continue
            statuses.append(os.waitstatus_to_exitcode(status))
        os.close(results.fd)
        return statuses
