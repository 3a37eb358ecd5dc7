"""Extraction on a Dask cluster: `--scheduler tcp://HOST:PORT` uses a running
cluster, `--workers N` starts a local one (N processes, one thread each).

The client reads the inputs and ships documents to the workers in batches
(one task per batch amortises each worker's pipeline start-up, which is kept
per worker process in `graph.worker`); the results come back to the client,
which builds and writes the graph. Every worker needs forumgraph installed,
at the same version as the client: results computed by other extraction code
are refused rather than merged (or cached).
"""
from __future__ import annotations

from itertools import accumulate
from typing import Callable

from extractors.documents import Document
from graph.parallel import batches
from graph.worker import Result, versioned_batch

BATCH = 20
CONNECT_TIMEOUT = "30s"
INSTALL_HINT = "--scheduler/--workers need Dask: pip install 'forumgraph[dask]'"


def _distributed():
    try:
        import dask.distributed
    except ImportError as exc:
        raise RuntimeError(INSTALL_HINT) from exc
    return dask.distributed


def extract_dask(docs: list[Document], ner: str, sink: Callable[[int, Result], None], scheduler: str | None = None,
                 workers: int | None = None, progress: Callable[[str], None] | None = None,
                 batch: int = BATCH, release: bool = False) -> None:
    """Extract `docs` on the cluster at `scheduler`, or on a LocalCluster of `workers`
    processes; `sink(i, result)` receives the result of `docs[i]` as its task finishes.
    With `release`, `docs` is emptied once the documents are sent: no text stays on the client."""
    if (scheduler is None) == (workers is None):
        raise ValueError("give either --scheduler ADDRESS or --workers N, not both")
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be at least 1, not {workers}")
    dd = _distributed()
    from graph.cache import pipeline_version

    cluster = None
    try:
        if scheduler is not None:
            try:
                client = dd.Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                raise RuntimeError(f"cannot reach the Dask scheduler at {scheduler}: "
                                   f"{' '.join(str(exc).split())}") from exc
        else:
            cluster = dd.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None)
            client = dd.Client(cluster)
        with client:
            # batches of at most `batch`, but enough of them to keep every worker thread busy
            threads = sum(client.nthreads().values()) or 1
            parts = batches(docs, threads, batch)
            starts = [0, *accumulate(len(p) for p in parts)]
            if progress:
                where = scheduler or cluster.scheduler_address
                progress(f"dask: {len(parts)} tasks of up to {len(parts[0])} documents on {where}")
            # scatter first: documents travel as data, not inside a large task graph
            data = client.scatter(parts)
            sizes = [len(p) for p in parts]
            if release:
                del parts
                docs[:] = [None] * len(docs)
            futures = client.map(versioned_batch, data, ner=ner, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            done, mine = 0, pipeline_version()
            for fut in dd.as_completed(futures):
                b = index[fut.key]
                try:
                    version, results = fut.result()
                except Exception as exc:  # a lost worker or connection (documents' own failures come back as values)
                    hint = "; install forumgraph on every worker host" if isinstance(exc, ImportError) else ""
                    raise RuntimeError(f"Dask task failed: {type(exc).__name__}: "
                                       f"{' '.join(str(exc).split())}{hint}") from exc
                if version != mine:
                    raise RuntimeError("a Dask worker runs different extraction code (pipeline version "
                                       f"{version[:12]} ≠ {mine[:12]} here): install the same forumgraph everywhere")
                for j, result in enumerate(results):
                    sink(starts[b] + j, result)
                done += sizes[b]
                if progress:
                    progress(f"extracted {done}/{len(docs)} documents (dask)")
    finally:
        if cluster is not None:
            cluster.close()
