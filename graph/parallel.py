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
