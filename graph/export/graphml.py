"""GraphML that Gephi and `../shared/eval/score.py` read as it is.

The bytes of networkx' lxml writer on the flattened graph (`prettyprint`,
`named_key_ids`, the stable, unique keys of `flatten.edge_ids` as edge ids), written
as text in one pass (`stream.py`); U+2028/2029 as character references, since XML parsers in
browsers (graphology) turn raw ones into line breaks.
"""
from __future__ import annotations

import os

import networkx as nx

from graph.export.stream import flat_bytes, graphml_via_networkx, write_flat

__all__ = ["graphml_bytes", "write_graphml", "graphml_via_networkx"]


def graphml_bytes(g: nx.MultiDiGraph) -> bytes:
    return flat_bytes(g, "graph.graphml")


def write_graphml(g: nx.MultiDiGraph, path: str | os.PathLike, reuse: bool = False) -> None:
    """Write graph.graphml atomically; with `reuse`, copying what did not change from the previous
    write of `path` (see fragments.py)."""
    write_flat(g, {"graph.graphml": path}, reuse=reuse)
