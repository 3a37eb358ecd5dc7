"""Read a saved graph back into the in-memory schema of `graph/build.py`.

GraphML is parsed with defusedxml (no entity expansion, no external DTDs:
a graph file may come from anyone) and the tree is handed to networkx'
reader; `|`-joined lists and JSON evidence are restored. Node-link JSON
(`graph.json`) already keeps lists. A folder means its graph.json, else its
graph.graphml.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import defusedxml.ElementTree as SafeET
import networkx as nx

LIST_ATTRS = {"aliases", "docs", "participation", "events", "event_ids"}
JSON_ATTRS = {"evidence"}


class GraphFileError(ValueError):
    pass


def _restore(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if k in LIST_ATTRS and isinstance(v, str):
            v = [x for x in v.split("|") if x]
        elif k in JSON_ATTRS and isinstance(v, str):
            try:
                v = json.loads(v) if v else []
            except json.JSONDecodeError:
                v = []
        out[k] = v
    return out


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    data = path.read_bytes()
    try:
        tree = SafeET.fromstring(data, forbid_dtd=True)
    except SafeET.ParseError as exc:
        raise GraphFileError(f"{path}: not well-formed GraphML ({exc})") from exc
    except Exception as exc:  # defusedxml's DTDForbidden / EntitiesForbidden / ExternalReferenceForbidden
        raise GraphFileError(f"{path}: refused ({type(exc).__name__}): GraphML must not carry a DTD or entities") from exc
    reader = nx.readwrite.graphml.GraphMLReader(node_type=str, edge_key_type=str, force_multigraph=True)
    reader.xml = tree   # already parsed safely; the reader only walks the tree
    keys, defaults = reader.find_graphml_keys(tree)
    graphs = [reader.make_graph(gx, keys, defaults) for gx in tree.findall(f"{{{reader.NS_GRAPHML}}}graph")]
    if not graphs:
        raise GraphFileError(f"{path}: no <graph> element")
    return _to_schema(graphs[0])


def _to_schema(src: nx.Graph) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.graph.update(src.graph)
    for n, d in src.nodes(data=True):
        g.add_node(n, **_restore(d))
    edges = src.edges(keys=True, data=True) if src.is_multigraph() else ((u, v, None, d) for u, v, d in src.edges(data=True))
    for u, v, k, d in edges:
        d = _restore(d)
        d.pop("id", None)
        # keys were renumbered e0, e1… for Gephi; the relation is the natural key again
        key = d.get("relation") or k
        if key is not None and g.has_edge(u, v, key):
            key = k
        g.add_edge(u, v, key=key, **d)
    return g


def _read_json(path: Path) -> nx.MultiDiGraph:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        src = nx.node_link_graph(data, edges="edges" if "edges" in data else "links")
    except (json.JSONDecodeError, KeyError, TypeError, nx.NetworkXError) as exc:
        raise GraphFileError(f"{path}: not a node-link JSON graph ({exc})") from exc
    return _to_schema(src)


def resolve_graph_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if p.is_dir():
        for name in ("graph.json", "graph.graphml"):
            if (p / name).is_file():
                return p / name
        raise GraphFileError(f"{p}: no graph.json or graph.graphml in this folder (run `forumgraph build` first)")
    if not p.is_file():
        raise GraphFileError(f"{p}: no such file")
    return p


def load_graph(path: str | os.PathLike) -> nx.MultiDiGraph:
    """A graph from graph.graphml, graph.json or an output folder, with list attributes restored."""
    p = resolve_graph_path(path)
    if p.suffix.lower() == ".json":
        return _read_json(p)
    if p.suffix.lower() in (".graphml", ".xml"):
        return _read_graphml(p)
    raise GraphFileError(f"{p}: unknown graph format (use .graphml or .json)")
