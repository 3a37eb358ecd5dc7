"""GraphML that Gephi and `../shared/eval/score.py` read as it is."""
from __future__ import annotations

import io
import os

import networkx as nx

from graph.export.atomic import write_bytes
from graph.export.flatten import flat_graph


def graphml_bytes(g: nx.MultiDiGraph) -> bytes:
    flat = flat_graph(g)
    buf = io.BytesIO()
    # edge_id_from_attribute is unset: networkx then writes the (unique) keys as ids
    nx.write_graphml_lxml(flat, buf, encoding="utf-8", prettyprint=True, named_key_ids=True)
    # XML parsers in browsers (graphology) turn raw U+2028/2029 into line breaks; references survive
    return buf.getvalue().replace("\u2028".encode(), b"&#8232;").replace("\u2029".encode(), b"&#8233;")


def write_graphml(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    write_bytes(path, graphml_bytes(g))
