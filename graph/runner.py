"""The build job: read → extract (per document) → build graph → export.

`extract` is a pure function of one document, so it can be cached or run in
parallel; everything after it sees all documents at once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from extractors.documents import Document, Skipped, iter_documents
from extractors.records import DocumentRecords
from graph.build import build_graph
from graph.export import write_all

Progress = Callable[[str], None]


@dataclass
class BuildReport:
    documents: int = 0
    nodes: int = 0
    edges: int = 0
    skipped: list[Skipped] = field(default_factory=list)   # input lost: files, records, failed documents
    notes: list[Skipped] = field(default_factory=list)     # remarks; nothing lost
    written: list[str] = field(default_factory=list)


def read_all(paths: list[str | os.PathLike], notes: list[Skipped] | None = None) -> tuple[list[Document], list[Skipped]]:
    """Documents sorted by id (so the input order never changes the output) and what was skipped."""
    docs, skipped, seen = [], [], set()
    for item in iter_documents(paths):
        if isinstance(item, Skipped):
            if item.lost:
                skipped.append(item)
            elif notes is not None:
                notes.append(item)
        elif item.id in seen:
            # two files of one name in different folders: keep ids unique and stable
            item.id = f"{item.id}@{Path(item.path).parent.name}"
            docs.append(item)
        else:
            seen.add(item.id)
            docs.append(item)
    return sorted(docs, key=lambda d: d.id), skipped


def _where(doc: Document) -> str:
    return (doc.path or doc.id) + ("#" + doc.id.rpartition("#")[2] if "#" in doc.id else "")


def _extract_here(docs: list[Document], ner: str, sink, progress: Progress | None, reraise: bool) -> None:
    """One process, one pipeline: the default, and what the others must equal."""
    from extractors.pipeline import Extractor
    from graph.worker import as_result

    extractor = Extractor(ner=ner)
    for i, outcome in enumerate(extractor.pipe(docs)):
        if reraise and isinstance(outcome, Exception):
            raise outcome
        sink(i, as_result(outcome))
        if progress and ((i + 1) % 50 == 0 or i + 1 == len(docs)):
            progress(f"extracted {i + 1}/{len(docs)} documents")


def extract_all(docs: list[Document], ner: str = "lac", progress: Progress | None = None,
                failed: list[Skipped] | None = None, jobs: int | None = 1, cache_dir: str | os.PathLike | None = None,
                scheduler: str | None = None, workers: int | None = None) -> list[DocumentRecords]:
    """Records of every document, in the order of `docs`; a document whose extraction
    crashes is left out (and listed in `failed`) so that one hostile article never costs
    the graph. With `cache_dir`, documents extracted before (same content, NER spec and
    pipeline code) are reused and new results stored as soon as they arrive. `jobs` > 1
    (0: all cores) extracts in local processes; `scheduler`/`workers` on Dask. Every way
    gives the same records."""
    from graph.worker import Failure, Result

    results: list[Result | None] = [None] * len(docs)
    cache, keys = None, []
    if cache_dir is not None:
        from graph.cache import RecordCache, document_key, pipeline_version

        cache, version = RecordCache(cache_dir), pipeline_version()
        keys = [document_key(d, ner, version) for d in docs]
        results = [cache.get(k) for k in keys]
    todo = [i for i, r in enumerate(results) if r is None]
    if progress and cache is not None:
        progress(f"cache: {len(docs) - len(todo)} of {len(docs)} documents reused, {len(todo)} to extract")

    def sink(j: int, result: Result) -> None:
        i = todo[j]
        results[i] = result
        if cache is not None and not isinstance(result, Failure):
            cache.put(keys[i], result)

    pending = [docs[i] for i in todo]
    if pending:
        if scheduler is not None or workers is not None:
            from graph.distributed import extract_dask

            extract_dask(pending, ner, sink, scheduler=scheduler, workers=workers, progress=progress)
        else:
            from graph.parallel import extract_parallel, resolve_jobs

            n = resolve_jobs(jobs, len(pending))
            if n > 1 and len(pending) > 1:
                extract_parallel(pending, ner, n, sink, progress=progress)
            else:
                _extract_here(pending, ner, sink, progress, reraise=failed is None)
    if cache is not None and not cache.writable and progress:
        progress(f"cache folder {cache.root} is not writable: results were not cached")
    out = []
    for doc, result in zip(docs, results):
        if isinstance(result, Failure):
            if failed is None:
                raise RuntimeError(f"{_where(doc)}: extraction failed: {result.error}")
            failed.append(Skipped(_where(doc), f"extraction failed: {result.error}"))
        elif result is not None:
            out.append(result)
    return out


def run_build(paths: list[str | os.PathLike], out_dir: str | os.PathLike, ner: str = "lac",
              strict: bool = False, progress: Progress | None = None, jobs: int | None = 1,
              cache: bool = True, cache_dir: str | os.PathLike | None = None,
              scheduler: str | None = None, workers: int | None = None) -> BuildReport:
    """Read, extract, build and write. With `strict`, any skipped input means nothing is written.
    The extraction cache lives in `cache_dir` (default `<out_dir>/.forumgraph-cache`) unless
    `cache` is False; `jobs`, `scheduler` and `workers` choose where extraction runs."""
    report = BuildReport()
    docs, report.skipped = read_all(paths, report.notes)
    if progress:
        progress(f"read {len(docs)} documents ({len(report.skipped)} skipped)")
    if strict and report.skipped:
        report.documents = len(docs)
        return report
    if cache:
        from graph.cache import CACHE_DIRNAME

        cache_dir = cache_dir if cache_dir is not None else Path(out_dir) / CACHE_DIRNAME
    records = extract_all(docs, ner=ner, progress=progress, failed=report.skipped, jobs=jobs,
                          cache_dir=cache_dir if cache else None, scheduler=scheduler, workers=workers)
    report.documents = len(records)
    if strict and report.skipped:
        return report
    if not records:
        return report   # nothing read: keep whatever a previous build wrote
    g = build_graph(records)
    report.nodes, report.edges = g.number_of_nodes(), g.number_of_edges()
    report.written = write_all(g, out_dir, progress=(lambda name: progress(f"wrote {name}")) if progress else None)
    return report
