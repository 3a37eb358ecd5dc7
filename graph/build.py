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

from extractors.records import DocumentRecords, Evidence
from graph.resolve import resolve

MAX_EVIDENCE = 5   # per node/edge: enough to show where a fact comes from, bounded for large corpora


def _merge_edge(g: nx.MultiDiGraph, u: str, v: str, relation: str, doc: str, evidence: Evidence | None,
                **attrs) -> dict:
    key = relation
    if g.has_edge(u, v, key):
        data = g.edges[u, v, key]
    else:
        g.add_edge(u, v, key=key, relation=relation, docs=[], evidence=[])
        data = g.edges[u, v, key]
    if not data["docs"] or data["docs"][-1] != doc:   # documents arrive in order
        data["docs"].append(doc)
    if evidence and len(data["evidence"]) < MAX_EVIDENCE:   # (a few sentences: convert only those)
        item = evidence.to_dict()
        if item not in data["evidence"]:
            data["evidence"].append(item)
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
                _merge_edge(g, u, v, "holds_role", dr.doc, r.evidence, titles=r.title)
        for a in dr.attendance:
            u, v = res.person.get((dr.doc, a.person)), res.event.get((dr.doc, a.event))
            if u and v:
                _merge_edge(g, u, v, "attended", dr.doc, a.evidence, participation=a.participation)
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
