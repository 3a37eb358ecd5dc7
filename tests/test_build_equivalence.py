"""The graph build, made fast, must build the very graph the straightforward build did:
same nodes, same edges, same attributes, in the same order (exporters write in that order),
and the event index must pair the reports `same_event` pairs."""
from __future__ import annotations

import random

import networkx as nx
import pytest

from extractors.records import (AttendanceRecord, DocumentRecords, EventRecord, Evidence, OrganizationRecord,
                                PersonRecord, RoleRecord)
from graph.build import MAX_EVIDENCE, build_graph
from graph.resolve import _event_core, _EventIndex, same_event


def _reference_build(documents) -> nx.MultiDiGraph:
    """The graph built edge by edge through networkx (what build_graph did before it
    collected edges in dicts): build_graph must give the very same graph."""
    from graph.resolve import resolve

    def merge(g, u, v, relation, doc, evidence, **attrs):
        if not g.has_edge(u, v, relation):
            g.add_edge(u, v, key=relation, relation=relation, docs=[], evidence=[])
        data = g.edges[u, v, relation]
        if not data["docs"] or data["docs"][-1] != doc:
            data["docs"].append(doc)
        if evidence and len(data["evidence"]) < MAX_EVIDENCE:
            item = evidence.to_dict()
            if item not in data["evidence"]:
                data["evidence"].append(item)
        for k, value in attrs.items():
            if isinstance(value, str):
                values = data.setdefault(k, [])
                if value and value not in values:
                    values.append(value)

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
            u, v = res.person[dr.doc].get(r.person), res.org[dr.doc].get(r.organization)
            if u and v:
                merge(g, u, v, "holds_role", dr.doc, r.evidence, titles=r.title)
        for a in dr.attendance:
            u, v = res.person[dr.doc].get(a.person), res.event[dr.doc].get(a.event)
            if u and v:
                merge(g, u, v, "attended", dr.doc, a.evidence, participation=a.participation)
        for e in dr.events:
            child = res.event[dr.doc][e.local_id]
            if e.parent:
                parent = res.event[dr.doc].get(e.parent)
                if parent and parent != child:
                    merge(g, child, parent, "part_of", dr.doc, None)
            for org in e.organizers:
                o = res.org[dr.doc].get(org)
                if o:
                    merge(g, o, child, "organized", dr.doc, None)
    for _, _, data in g.edges(data=True):
        if "titles" in data:
            data["title"] = "|".join(data.pop("titles"))
    return g


def _layout(g: nx.MultiDiGraph):
    """Everything an exporter can see, in iteration order: nodes, successors, predecessors."""
    return (list(g.nodes(data=True)),
            [(n, [(v, list(keys.items())) for v, keys in g._succ[n].items()]) for n in g],
            [(n, [(u, list(keys.items())) for u, keys in g._pred[n].items()]) for n in g])


def _random_records(rng: random.Random, n_docs: int) -> list[DocumentRecords]:
    persons = [f"甲{c}" for c in "一二三四五六七八"]
    orgs = [f"示例{c}研究院" for c in "东南西北中"]
    events = ["2030示例发展大会", "示例发展大会", "第六届示例发展大会", "第七届示例发展大会",
              "2030示例健康生态大会暨示例平台发布会", "示例平台发布会", "示例管理大会产业创新论坛", "“示例”论坛"]
    titles = ["主任", "院长", "", "副院长"]
    out = []
    for d in range(n_docs):
        doc = f"{rng.randrange(1000):03d}.txt"
        sents = [f"句子{rng.randrange(6)}。" for _ in range(4)]

        def ev():
            return Evidence(doc, rng.choice(sents), rng.randrange(5), rng.randrange(5, 9))
        ps = rng.sample(persons, rng.randrange(1, 5))
        os_ = rng.sample(orgs, rng.randrange(0, 4))
        es = [EventRecord(f"E{i}", name, name, rng.choice(["", "2030", "2030-04-10", "2030-05-01"]),
                          rng.choice(["", "某地"]), rng.choice([None, "E1"]), rng.random() < 0.3,
                          rng.sample(os_, min(len(os_), rng.randrange(3))), [ev()])
              for i, name in enumerate(rng.sample(events, rng.randrange(0, 4)), 1)]
        out.append(DocumentRecords(
            doc, "t", "",
            [PersonRecord(p, p, rng.sample(["别名", p + "子"], rng.randrange(3)), [ev() for _ in range(rng.randrange(4))])
             for p in ps],
            [OrganizationRecord(o, o, rng.sample(["示例院", "简称"], rng.randrange(3)), [ev()]) for o in os_],
            es,
            [RoleRecord(rng.choice(ps), rng.choice(titles + [None]), rng.choice(os_ or ["无"]),
                        rng.choice([None, ev()])) for _ in range(rng.randrange(6))],
            [AttendanceRecord(rng.choice(ps), rng.choice([e.local_id for e in es] or ["E9"]),
                              rng.choice(["出席", "致辞", ""]), rng.choice([None, ev()]))
             for _ in range(rng.randrange(6))],
        ))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_build_graph_equals_the_edge_by_edge_build(seed):
    records = _random_records(random.Random(seed), 40)
    assert _layout(build_graph(records)) == _layout(_reference_build(records))


def _first_match_by_comparing_all(known: list[tuple[str, EventRecord]], name: str, date: str,
                                  exclude: set[str]) -> str | None:
    for nid, rec in sorted(known):
        if nid not in exclude and same_event(name, date, rec.name, rec.date):
            return nid
    return None


def test_event_index_finds_what_comparing_every_known_event_finds():
    rng = random.Random(7)
    stems = ["示例发展大会", "健康生态大会", "产业创新论坛", "发展大会", "示例平台发布会", "大会", "论坛"]
    prefixes = ["", "2030", "第六届", "第七届", "首届", "示例市", "2031年", "“"]
    names = set()
    for _ in range(300):
        name = rng.choice(prefixes) + rng.choice(stems)
        if rng.random() < 0.3:
            name += "暨" + rng.choice(prefixes) + rng.choice(stems)
        names.add(name)
    names = sorted(names)
    dates = ["", "2030", "2030-04-10", "2030-04-11", "2030-04-10 09:00"]
    index, known = _EventIndex(), []
    for i in range(400):
        name, date = rng.choice(names), rng.choice(dates)
        exclude = {nid for nid, _ in rng.sample(known, min(len(known), rng.randrange(3)))}
        expected = _first_match_by_comparing_all(known, name, date, exclude)
        assert index.first_match(name, date, exclude) == expected, (name, date)
        if expected is None and _event_core(name):
            nid = f"event:{i:03d}{name}"
            rec = EventRecord("E1", name, name, date)
            index.add(nid, rec.name, rec.date)
            known.append((nid, rec))
    assert len(known) > 20


def test_edge_count_is_networkx_count():
    from graph.build import edge_count

    g = nx.MultiDiGraph()
    g.add_edges_from([("a", "b", "k1"), ("a", "b", "k2"), ("b", "a", "k1"), ("c", "a", "k")])
    g.add_node("alone")
    assert edge_count(g) == g.number_of_edges() == 4
    assert edge_count(nx.MultiDiGraph()) == 0
    plain = nx.DiGraph(g)
    assert edge_count(plain) == plain.number_of_edges()
