"""Node-link JSON (`networkx.node_link_data`, edges under "edges"): lists and
evidence kept as JSON values, so nothing is lost and `graph/load.py` reads it back."""
from __future__ import annotations

import json
import os

import networkx as nx

from graph.export.atomic import write_text
from graph.export.flatten import xml_safe


def _clean(value):
    # the same control-character policy as the XML exports, so every format shows the same text
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in sorted(value.items())}
    return value


def node_link(g: nx.MultiDiGraph) -> dict:
    nodes = [{"id": str(n), **{k: _clean(v) for k, v in sorted(g.nodes[n].items())}} for n in sorted(g.nodes, key=str)]
    edges = []
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2]))):
        edges.append({"source": str(u), "target": str(v), "key": str(k), **{a: _clean(x) for a, x in sorted(d.items())}})
    return {"directed": True, "multigraph": True, "graph": _clean(dict(g.graph)), "nodes": nodes, "edges": edges}


def json_text(g: nx.MultiDiGraph) -> str:
    return json.dumps(node_link(g), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write_json(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    write_text(path, json_text(g))
