"""GEXF 1.2 for Gephi: scalar attributes of the flattened graph, plus viz colour and size per node.

Written as text in one pass (`stream.GEXFFormat`), byte for byte what
`networkx.write_gexf` makes of `gexf_graph(g)` (without the date networkx
stamps into <meta>, so the same graph gives the same file on any day).
`gexf_graph` + networkx remain the writer for graphs whose attribute names
networkx treats specially (start, end, weight, …).
"""
from __future__ import annotations

import io
import os
import re

import networkx as nx

from graph.export.flatten import flat_graph
from graph.export.stream import flat_bytes, write_flat
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
        d["id"] = k                                  # the stable flatten.edge_ids, not a counter of networkx'
        d.setdefault("label", d.get("relation", ""))  # Gephi shows edge labels from this
    return flat


def gexf_via_networkx(g: nx.MultiDiGraph) -> bytes:
    buf = io.BytesIO()
    nx.write_gexf(gexf_graph(g), buf, encoding="utf-8", prettyprint=True, version="1.2draft")
    data = _LASTMODIFIED.sub(b"", buf.getvalue(), count=1)
    for raw, ref in _LINE_SEPARATORS.items():
        data = data.replace(raw, ref)
    return data


def gexf_bytes(g: nx.MultiDiGraph) -> bytes:
    return flat_bytes(g, "graph.gexf")


def write_gexf(g: nx.MultiDiGraph, path: str | os.PathLike, reuse: bool = False) -> None:
    """Write graph.gexf atomically; with `reuse`, copying what did not change from the previous
    write of `path` (see fragments.py)."""
    write_flat(g, {"graph.gexf": path}, reuse=reuse)
