"""Records of many documents → one `nx.MultiDiGraph`.

Schema (in memory; exporters flatten lists to `|`-joined strings):

nodes  kind=person|organization|event, label, aliases[list], docs[list],
       evidence[list of {doc, sentence, start, end}]; events also date, place, minor
edges  relation=holds_role (person→organization, title)
               attended   (person→event, participation[list])
               part_of    (event→event, child→parent)
               organized  (organization→event)
       every edge: docs[list], evidence[list]; keys are stable strings
"""
from __future__ import annotations

from itertools import chain, groupby
from typing import Iterable

import networkx as nx

from extractors.records import DocumentRecords, Evidence
from graph.resolve import Resolver

MAX_EVIDENCE = 5   # per node/edge: enough to show where a fact comes from, bounded for large corpora


class _Edges:
    """Edges collected in plain dicts, in the order they are first seen, then added to the
    graph in that order: the same graph as adding each edge to it when first seen and
    updating it there (same edges, same order, same attributes in the same order), without
    a graph lookup per record (tests/test_build_equivalence.py)."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str, str], dict] = {}
        # titles of holds_role edges, as lists (the edge's "title" is them joined with "|", set
        # when the graph is made): a build going on from a saved state appends to them
        self.titles: dict[tuple[str, str, str], list[str]] = {}

    def merge(self, u: str, v: str, relation: str, doc: str, evidence: Evidence | None) -> None:
        """An edge without attributes of its own (part_of, organized) seen in `doc`; roles and
        attendance, which carry titles and participation, are merged inline (`GraphBuilder`)."""
        data = self.data.get((u, v, relation))
        if data is None:
            data = self.data[(u, v, relation)] = {"relation": relation, "docs": [doc], "evidence": []}
        elif data["docs"][-1] != doc:   # documents arrive in order
            data["docs"].append(doc)
        if evidence:
            items = data["evidence"]
            if len(items) < MAX_EVIDENCE:   # (a few sentences: convert only those)
                item = evidence.to_dict()
                if item not in items:
                    items.append(item)

    def add_to(self, g: nx.MultiDiGraph) -> None:
        """Add the edges to `g`, whose nodes they join are all in it already (the edges' data
        dicts are shared with `g`)."""
        data_of = self.data
        for key, titles in self.titles.items():
            data_of[key]["title"] = "|".join(titles)
        if type(g) is nx.MultiDiGraph and _plain_dicts(g):
            # what `g.add_edge(u, v, key, **data)` does once its nodes exist, for a plain
            # MultiDiGraph: one key dict shared by both adjacencies (a third of the time)
            succ, pred = g._succ, g._pred
            for (u, v, key), data in self.data.items():
                keys = succ[u].get(v)
                if keys is None:
                    succ[u][v] = pred[v][u] = {key: data}
                else:
                    keys[key] = data
        else:
            for (u, v, key), data in self.data.items():
                g.add_edge(u, v, key, **data)


def _plain_dicts(g: nx.MultiDiGraph) -> bool:
    return all(getattr(g, f) is dict for f in ("adjlist_inner_dict_factory", "edge_key_dict_factory",
                                               "edge_attr_dict_factory"))


def edge_count(g: nx.MultiDiGraph) -> int:
    """`g.number_of_edges()`, counted from the adjacency's key dicts (networkx sums a degree view:
    a Python call per node, 0.16 s at 10,000 articles against 0.02 s)."""
    if type(g) is not nx.MultiDiGraph or not _plain_dicts(g):
        return g.number_of_edges()
    return sum(map(len, chain.from_iterable(map(dict.values, g._succ.values()))))


class GraphBuilder:
    """Records → graph, one document at a time in id order. What it holds between documents
    (the resolver's state and the edges collected so far) is all a later build needs to go on
    with documents whose ids sort after every one seen (graph/build_state.py saves it)."""

    def __init__(self, resolver: Resolver | None = None, edges: _Edges | None = None,
                 last_doc: str | None = None) -> None:
        self.resolver = resolver if resolver is not None else Resolver()
        self.edges = edges if edges is not None else _Edges()
        self.last_doc = last_doc

    def add_all(self, documents: Iterable[DocumentRecords]) -> "GraphBuilder":
        """Add `documents` in id order (records of one id together, as `resolve` sees them)."""
        for _, group in groupby(sorted(documents, key=lambda d: d.doc), key=lambda d: d.doc):
            self.add(list(group))
        return self

    def add(self, group: list[DocumentRecords]) -> None:
        """The records of one document id (normally one), which must sort after every id added."""
        doc = group[0].doc
        if self.last_doc is not None and doc <= self.last_doc:
            raise ValueError(f"document {doc!r} does not come after {self.last_doc!r}, the last one added")
        persons_here: dict[str, str] = {}
        orgs_here: dict[str, str] = {}
        events_here: dict[str, str] = {}
        for dr in group:
            self.resolver.add(dr, persons_here, orgs_here, events_here)
        for dr in group:
            self._edges_of(dr, persons_here.get, orgs_here.get, events_here)
        self.last_doc = doc

    def _edges_of(self, dr: DocumentRecords, person_of, org_of, event_of: dict[str, str]) -> None:
        edges = self.edges
        merge, data_of, titles_of = edges.merge, edges.data, edges.titles
        doc = dr.doc
        # roles and attendance are most of the edges: `_Edges.merge`, inlined
        for r in dr.roles:
            u, v = person_of(r.person), org_of(r.organization)
            if u and v:
                key = (u, v, "holds_role")
                data = data_of.get(key)
                if data is None:
                    data = data_of[key] = {"relation": "holds_role", "docs": [doc], "evidence": []}
                elif data["docs"][-1] != doc:
                    data["docs"].append(doc)
                if r.evidence and len(data["evidence"]) < MAX_EVIDENCE:
                    item = r.evidence.to_dict()
                    if item not in data["evidence"]:
                        data["evidence"].append(item)
                if isinstance(r.title, str):
                    values = titles_of.get(key)
                    if values is None:
                        values = titles_of[key] = []
                    if r.title and r.title not in values:
                        values.append(r.title)
        for a in dr.attendance:
            u, v = person_of(a.person), event_of.get(a.event)
            if u and v:
                data = data_of.get((u, v, "attended"))
                if data is None:
                    data = data_of[(u, v, "attended")] = {"relation": "attended", "docs": [doc], "evidence": []}
                elif data["docs"][-1] != doc:
                    data["docs"].append(doc)
                if a.evidence and len(data["evidence"]) < MAX_EVIDENCE:
                    item = a.evidence.to_dict()
                    if item not in data["evidence"]:
                        data["evidence"].append(item)
                if isinstance(a.participation, str):
                    values = data.setdefault("participation", [])
                    if a.participation and a.participation not in values:
                        values.append(a.participation)
        for e in dr.events:
            child = event_of[e.local_id]
            if e.parent:
                parent = event_of.get(e.parent)
                if parent and parent != child:
                    merge(child, parent, "part_of", doc, None)
            for org in e.organizers:
                o = org_of(org)
                if o:
                    merge(o, child, "organized", doc, None)

    def graph(self) -> nx.MultiDiGraph:
        """The graph of everything added so far (its edge data dicts are the builder's own: add
        no more documents while it is in use)."""
        nodes = self.resolver.nodes
        g = nx.MultiDiGraph()
        for nid in sorted(nodes):
            n = nodes[nid]
            attrs = {"kind": n.kind, "label": n.label, "aliases": list(n.aliases), "docs": sorted(n.docs),
                     "evidence": n.evidence[:MAX_EVIDENCE]}
            if n.kind == "event":
                attrs.update(date=n.date, place=n.place, minor=n.minor)
            g.add_node(nid, **attrs)
        self.edges.add_to(g)
        return g


def build_graph(documents: Iterable[DocumentRecords]) -> nx.MultiDiGraph:
    return GraphBuilder().add_all(documents).graph()
