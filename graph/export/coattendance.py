"""`coattendance.graphml`: the person–person projection (weight = shared
events, their labels and ids `|`-joined), for collaboration-network analysis in Gephi."""
from __future__ import annotations

import io
import os

import networkx as nx

from graph.export.atomic import write_bytes
from graph.export.flatten import flat_value, xml_safe
from graph.query import coattendance_graph


def coattendance_bytes(g: nx.MultiDiGraph) -> bytes:
    proj = coattendance_graph(g)
    flat = nx.Graph()   # sorted and scalar, so the same input gives the same bytes
    for n in sorted(proj.nodes):
        flat.add_node(xml_safe(n), **{k: flat_value(v) for k, v in sorted(proj.nodes[n].items())})
    for u, v in sorted(tuple(sorted(e)) for e in proj.edges):
        flat.add_edge(xml_safe(u), xml_safe(v), **{k: flat_value(x) for k, x in sorted(proj.edges[u, v].items())})
    buf = io.BytesIO()
    nx.write_graphml_lxml(flat, buf, encoding="utf-8", prettyprint=True, named_key_ids=True)
    return buf.getvalue()


def write_coattendance(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    write_bytes(path, coattendance_bytes(g))
