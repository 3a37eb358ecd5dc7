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

from typing import Iterable

import networkx as nx

from extractors.records import DocumentRecords
from graph.resolve import resolve

MAX_EVIDENCE = 5   # per node/edge: enough to show where a fact comes from, bounded for large corpora


def _merge_edge(g: nx.MultiDiGraph, u: str, v: str, relation: str, doc: str, evidence: dict | None, **attrs) -> dict:
    key = relation
    if g.has_edge(u, v, key):
        data = g.edges[u, v, key]
    else:
        g.add_edge(u, v, key=key, relation=relation, docs=[], evidence=[])
        data = g.edges[u, v, key]
    if doc not in data["docs"]:
        data["docs"].append(doc)
    if evidence and evidence not in data["evidence"] and len(data["evidence"]) < MAX_EVIDENCE:
        data["evidence"].append(evidence)
    for k, value in attrs.items():
        if isinstance(value, str):
            values = data.setdefault(k, [])
            if value and value not in values:
                values.append(value)
    return data


def build_graph(documents: Iterable[DocumentRecords]) -> nx.MultiDiGraph:
    docs = sorted(documents, key=lambda d: d.doc)
    res = resolve(docs)
    g = nx.MultiDiGraph()
    for nid in sorted(res.nodes):
        n = res.nodes[nid]
        attrs = {"kind": n.kind, "label": n.label, "aliases": list(n.aliases), "docs": sorted(n.docs),
                 "evidence": n.evidence[:MAX_EVIDENCE]}
        if n.kind == "event":
            attrs.update(date=n.date, place=n.place, minor=n.minor)
        g.add_node(nid, **attrs)

    for dr in docs:
        for r in dr.roles:
            u, v = res.person.get((dr.doc, r.person)), res.org.get((dr.doc, r.organization))
            if u and v:
                ev = r.evidence.to_dict() if r.evidence else None
                _merge_edge(g, u, v, "holds_role", dr.doc, ev, titles=r.title)
        for a in dr.attendance:
            u, v = res.person.get((dr.doc, a.person)), res.event.get((dr.doc, a.event))
            if u and v:
                ev = a.evidence.to_dict() if a.evidence else None
                _merge_edge(g, u, v, "attended", dr.doc, ev, participation=a.participation)
        for e in dr.events:
            child = res.event[(dr.doc, e.local_id)]
            if e.parent:
                parent = res.event.get((dr.doc, e.parent))
                if parent and parent != child:
                    _merge_edge(g, child, parent, "part_of", dr.doc, None)
            for org in e.organizers:
                o = res.org.get((dr.doc, org))
                if o:
                    _merge_edge(g, o, child, "organized", dr.doc, None)
    for _, _, data in g.edges(data=True):
        if "titles" in data:
            data["title"] = "|".join(data.pop("titles"))
    return g
