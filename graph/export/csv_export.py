"""`nodes.csv` + `edges.csv` in Gephi's spreadsheet-import layout
(Id,Label,… / Source,Target,Type,Id,Label,…), which Neo4j's LOAD CSV WITH
HEADERS also takes as it is. Lists are `|`-joined, evidence is JSON.
The rows come from the same one-pass flattening as GraphML and GEXF (`stream.py`)."""
from __future__ import annotations

import os

import networkx as nx

from graph.export.stream import EDGE_COLUMNS, NODE_COLUMNS, flat_bytes, write_flat

__all__ = ["NODE_COLUMNS", "EDGE_COLUMNS", "nodes_csv", "edges_csv", "write_nodes_csv", "write_edges_csv"]


def nodes_csv(g: nx.MultiDiGraph) -> str:
    return flat_bytes(g, "nodes.csv").decode("utf-8")


def edges_csv(g: nx.MultiDiGraph) -> str:
    return flat_bytes(g, "edges.csv").decode("utf-8")


def write_nodes_csv(g: nx.MultiDiGraph, path: str | os.PathLike, reuse: bool = False) -> None:
    write_flat(g, {"nodes.csv": path}, reuse=reuse)


def write_edges_csv(g: nx.MultiDiGraph, path: str | os.PathLike, reuse: bool = False) -> None:
    write_flat(g, {"edges.csv": path}, reuse=reuse)
