"""Local parallelism: extract documents in N worker processes on this machine.

Each worker builds one pipeline (the pool initializer) and is given batches of
documents; results come back in input order whatever order the batches finish
in, so the graph is the same as with one process.
"""
from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Callable

from extractors.documents import Document
from graph.worker import Result, extract_batch, init_worker

MAX_BATCH = 20


AUTO_MIN_DOCUMENTS = 20   # below this, starting workers (each loads the models) costs more than it saves


def resolve_jobs(jobs: int | None, pending: int = AUTO_MIN_DOCUMENTS) -> int:
    """--jobs N: N processes; 0 means one per usable core; None (the default) means one per
    core when there are enough documents to repay starting the workers, else one."""
    if jobs is None:
        return resolve_jobs(0) if pending >= AUTO_MIN_DOCUMENTS else 1
    if jobs < 0:
        raise ValueError(f"--jobs must be 0 (all cores) or a positive number, not {jobs}")
    if jobs == 0:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not Linux
            return max(1, os.cpu_count() or 1)
    return jobs


def batches(docs: list[Document], workers: int, max_batch: int = MAX_BATCH) -> list[list[Document]]:
    """Batches small enough to keep every worker busy to the end (about four per worker)
    and at most `max_batch` long, so progress is reported often."""
    size = max(1, min(max_batch, math.ceil(len(docs) / (workers * 4))))
    return [docs[i:i + size] for i in range(0, len(docs), size)]


def _context() -> multiprocessing.context.BaseContext:
    # forkserver/spawn: workers start clean rather than forking a parent that may hold
    # ONNX runtime threads (fork + threads can deadlock)
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


Sink = Callable[[int, Result], None]


def extract_parallel(docs: list[Document], ner: str, jobs: int, sink: Sink,
                     progress: Callable[[str], None] | None = None, release: bool = False) -> None:
    """Extract `docs` in `jobs` processes; `sink(i, result)` receives the result of
    `docs[i]` as soon as its batch is done (so the caller can cache it at once). With
    `release`, `docs[i]` is then set to None, so that no text outlives its extraction."""
    parts = batches(docs, jobs)
    starts = [0]
    for part in parts:
        starts.append(starts[-1] + len(part))
    done = 0
    with ProcessPoolExecutor(max_workers=min(jobs, len(parts)), mp_context=_context(),
                             initializer=init_worker, initargs=(ner,)) as pool:
        pending: dict[Future, int] = {pool.submit(extract_batch, part, ner): i for i, part in enumerate(parts)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                b = pending.pop(fut)
                for j, result in enumerate(fut.result()):
                    if release:
                        docs[starts[b] + j] = None
                    sink(starts[b] + j, result)
                done += len(parts[b])
                if release:
                    parts[b] = []
                if progress:
                    progress(f"extracted {done}/{len(docs)} documents ({jobs} processes)")


class ExtractionStream:
    """Extraction in `jobs` worker processes, fed document by document while the inputs are
    still being read: the workers start (loading the models takes seconds) and extract while
    the rest of the corpus is read, instead of waiting for the whole read. `sink(i, result)`
    gets the result of the i-th document added, in the calling thread, as batches finish.
    The stream holds a document only until its batch is done."""

    def __init__(self, ner: str, jobs: int, sink: Sink, progress: Callable[[str], None] | None = None,
                 batch: int = MAX_BATCH):
        self.ner, self.jobs, self.sink, self.progress, self.size = ner, jobs, sink, progress, batch
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_context(),
                                        initializer=init_worker, initargs=(ner,))
        self.batch: list[Document] = []
        self.added = self.done = 0
        self.total: int | None = None
        self.running: dict[Future, tuple[int, int]] = {}   # batch -> (index of its first document, size)

    def add(self, doc: Document) -> None:
        self.batch.append(doc)
        self.added += 1
        if len(self.batch) >= self.size:
            self._submit()
            self._collect(block=False)

    def finish(self) -> None:
        """Every document added is extracted and handed to `sink`; the workers are stopped."""
        self.total = self.added
        try:
            self._submit()
            self._collect(block=True)
        finally:
            self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self) -> None:
        if self.batch:
            self.running[self.pool.submit(extract_batch, self.batch, self.ner)] = (self.added - len(self.batch),
                                                                                  len(self.batch))
            self.batch = []

    def _collect(self, block: bool) -> None:
        while self.running:
            finished, _ = wait(self.running, timeout=None if block else 0, return_when=FIRST_COMPLETED)
            for fut in finished:
                first, count = self.running.pop(fut)
                for j, result in enumerate(fut.result()):
                    self.sink(first + j, result)
                self.done += count
                if self.progress and self.total is not None:
                    self.progress(f"extracted {self.done}/{self.total} documents ({self.jobs} processes)")
            if not block:
                return
