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
    skipped: list[Skipped] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


def read_all(paths: list[str | os.PathLike]) -> tuple[list[Document], list[Skipped]]:
    docs, skipped, seen = [], [], set()
    for item in iter_documents(paths):
        if isinstance(item, Skipped):
            skipped.append(item)
        elif item.id in seen:
            # two files of one name in different folders: keep ids unique and stable
            item.id = f"{item.id}@{Path(item.path).parent.name}"
            docs.append(item)
        else:
            seen.add(item.id)
            docs.append(item)
    return sorted(docs, key=lambda d: d.id), skipped


def extract_all(docs: list[Document], ner: str = "lac", progress: Progress | None = None) -> list[DocumentRecords]:
    from extractors.pipeline import Extractor

    extractor = Extractor(ner=ner)
    out = []
    for i, doc in enumerate(docs, 1):
        out.append(extractor(doc))
        if progress and (i % 50 == 0 or i == len(docs)):
            progress(f"extracted {i}/{len(docs)} documents")
    return out


def run_build(paths: list[str | os.PathLike], out_dir: str | os.PathLike, ner: str = "lac",
              strict: bool = False, progress: Progress | None = None) -> BuildReport:
    report = BuildReport()
    docs, report.skipped = read_all(paths)
    report.documents = len(docs)
    if progress:
        progress(f"read {len(docs)} documents ({len(report.skipped)} skipped)")
    if strict and report.skipped:
        return report
    records = extract_all(docs, ner=ner, progress=progress)
    g = build_graph(records)
    report.nodes, report.edges = g.number_of_nodes(), g.number_of_edges()
    report.written = write_all(g, out_dir, progress=(lambda name: progress(f"wrote {name}")) if progress else None)
    return report
