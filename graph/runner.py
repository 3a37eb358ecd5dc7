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


def extract_all(docs: list[Document], ner: str = "lac", progress: Progress | None = None,
                failed: list[Skipped] | None = None) -> list[DocumentRecords]:
    """Records of every document; a document whose extraction crashes is left out
    (and listed in `failed`) so that one hostile article never costs the graph."""
    from extractors.pipeline import Extractor

    extractor = Extractor(ner=ner)
    out = []
    for i, doc in enumerate(docs, 1):
        try:
            out.append(extractor(doc))
        except Exception as exc:  # noqa: BLE001 - reported, never fatal
            if failed is None:
                raise
            where = (doc.path or doc.id) + ("#" + doc.id.rpartition("#")[2] if "#" in doc.id else "")
            failed.append(Skipped(where, f"extraction failed: {type(exc).__name__}: {exc}"))
        if progress and (i % 50 == 0 or i == len(docs)):
            progress(f"extracted {i}/{len(docs)} documents")
    return out


def run_build(paths: list[str | os.PathLike], out_dir: str | os.PathLike, ner: str = "lac",
              strict: bool = False, progress: Progress | None = None) -> BuildReport:
    """Read, extract, build and write. With `strict`, any skipped input means nothing is written."""
    report = BuildReport()
    docs, report.skipped = read_all(paths, report.notes)
    if progress:
        progress(f"read {len(docs)} documents ({len(report.skipped)} skipped)")
    if strict and report.skipped:
        report.documents = len(docs)
        return report
    records = extract_all(docs, ner=ner, progress=progress, failed=report.skipped)
    report.documents = len(records)
    if strict and report.skipped:
        return report
    if not records:
        return report   # nothing read: keep whatever a previous build wrote
    g = build_graph(records)
    report.nodes, report.edges = g.number_of_nodes(), g.number_of_edges()
    report.written = write_all(g, out_dir, progress=(lambda name: progress(f"wrote {name}")) if progress else None)
    return report
