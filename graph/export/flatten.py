"""Turn the in-memory graph into one that file formats accept as it is.

GraphML and GEXF allow only scalar attributes, Gephi drops parallel edges
whose ids repeat (networkx numbers keys 0, 1… per node pair), and XML forbids
most control characters (networkx writes them anyway, and the file then
cannot be opened). `flat_graph` fixes all three.
"""
from __future__ import annotations

import json
import re
from contextlib import contextmanager
from typing import Iterator

import networkx as nx

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
LIST_SEP = "|"


def xml_safe(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def flat_value(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, dict) for v in value):
            return xml_safe(json.dumps(value, ensure_ascii=False, sort_keys=True))
        return xml_safe(LIST_SEP.join(str(v).replace(LIST_SEP, "/") for v in value))
    if isinstance(value, dict):
        return xml_safe(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return xml_safe(str(value))


_shared: dict[int, tuple[nx.MultiDiGraph, nx.MultiDiGraph | None]] = {}


@contextmanager
def sharing_flat(g: nx.MultiDiGraph) -> Iterator[None]:
    """Within the block, `flat_graph(g)` flattens `g` once and hands out copies: several
    writers need the same flat graph, and flattening a large graph is the slow part."""
    _shared[id(g)] = (g, None)
    try:
        yield
    finally:
        _shared.pop(id(g), None)


def flat_graph(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy with scalar, XML-safe attributes and globally unique edge keys, in a stable order."""
    held = _shared.get(id(g))
    if held is not None and held[0] is g:
        if held[1] is None:
            _shared[id(g)] = (g, _flatten(g))
        return _shared[id(g)][1].copy()   # writers may add attributes (GEXF's viz) to their copy
    return _flatten(g)


def _flatten(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    out = nx.MultiDiGraph()
    out.graph.update({k: flat_value(v) for k, v in g.graph.items()})
    for n in sorted(g.nodes):
        out.add_node(xml_safe(str(n)), **{k: flat_value(v) for k, v in sorted(g.nodes[n].items())})
    edges = sorted(g.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2])))
    for i, (u, v, _k, data) in enumerate(edges):
        attrs = {k: flat_value(val) for k, val in sorted(data.items())}
        out.add_edge(xml_safe(str(u)), xml_safe(str(v)), key=f"e{i}", **attrs)
    return out
