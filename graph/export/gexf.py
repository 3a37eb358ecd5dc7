"""GEXF 1.2 for Gephi: scalar attributes from `flat_graph`, plus viz colour and size per node."""
from __future__ import annotations

import io
import os
import re

import networkx as nx

from graph.export.atomic import write_bytes
from graph.export.flatten import flat_graph
from graph.export.style import kind_style, node_size, rgb
from graph.query import neighbour_count

# networkx stamps today's date into <meta>; a dated file would differ on every build
_LASTMODIFIED = re.compile(rb'\s+lastmodifieddate="[0-9-]+"')
# U+2028/2029 are legal XML 1.0 but xmldom (graphology's parser) folds them to spaces in
# attribute values (labels); a character reference survives every parser
_LINE_SEPARATORS = {"\u2028".encode(): b"&#8232;", "\u2029".encode(): b"&#8233;"}


def gexf_graph(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    flat = flat_graph(g)
    for n, d in flat.nodes(data=True):
        r, gr, b = rgb(kind_style(str(d.get("kind", "")))[0])
        d["viz"] = {"color": {"r": r, "g": gr, "b": b, "a": 1.0}, "size": node_size(neighbour_count(flat, n))}
    for _u, _v, k, d in flat.edges(keys=True, data=True):
        d["id"] = k                                  # the unique e0, e1… ids, not a counter of networkx'
        d.setdefault("label", d.get("relation", ""))  # Gephi shows edge labels from this
    return flat


def gexf_bytes(g: nx.MultiDiGraph) -> bytes:
    buf = io.BytesIO()
    nx.write_gexf(gexf_graph(g), buf, encoding="utf-8", prettyprint=True, version="1.2draft")
    data = _LASTMODIFIED.sub(b"", buf.getvalue(), count=1)
    for raw, ref in _LINE_SEPARATORS.items():
        data = data.replace(raw, ref)
    return data


def write_gexf(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    write_bytes(path, gexf_bytes(g))
