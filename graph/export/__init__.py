"""One module per output format; `write_all` writes every format a build produces.

Each writer takes the in-memory graph and a path and writes atomically
(`atomic.py`). Register a new format in `WRITERS`.
"""
from __future__ import annotations

import os
from typing import Callable

import networkx as nx

from graph.export.atomic import inside
from graph.export.flatten import sharing_flat
from graph.export.coattendance import write_coattendance
from graph.export.csv_export import write_edges_csv, write_nodes_csv
from graph.export.gexf import write_gexf
from graph.export.graphml import write_graphml
from graph.export.html import write_html
from graph.export.json_export import write_json

Writer = Callable[[nx.MultiDiGraph, "str | os.PathLike"], None]

# file name -> writer; the order is the order of writing
WRITERS: dict[str, Writer] = {
    "graph.graphml": write_graphml,
    "graph.gexf": write_gexf,
    "graph.json": write_json,
    "nodes.csv": write_nodes_csv,
    "edges.csv": write_edges_csv,
    "coattendance.graphml": write_coattendance,
    "graph.html": write_html,
}


def write_all(g: nx.MultiDiGraph, out_dir: str | os.PathLike, progress: Callable[[str], None] | None = None) -> list[str]:
    written = []
    with sharing_flat(g):
        for name, writer in WRITERS.items():
            path = inside(out_dir, name)
            writer(g, path)
            written.append(str(path))
            if progress:
                progress(name)
    return written
