"""Hand-built graphs in the schema of graph/build.py, with made-up names."""
from __future__ import annotations

import networkx as nx


def _ev(doc: str, sentence: str, start: int = 0, end: int = 3) -> dict:
    return {"doc": doc, "sentence": sentence, "start": start, "end": end}


def _node(g: nx.MultiDiGraph, nid: str, kind: str, label: str, aliases=(), docs=("a.txt",), sentence="", **extra) -> None:
    attrs = {"kind": kind, "label": label, "aliases": list(aliases), "docs": list(docs),
             "evidence": [_ev(docs[0], sentence or f"{label}出席。")]}
    if kind == "event":
        attrs.update(date=extra.pop("date", ""), place=extra.pop("place", ""), minor=extra.pop("minor", False))
    attrs.update(extra)
    g.add_node(nid, **attrs)


def _edge(g: nx.MultiDiGraph, u: str, v: str, relation: str, doc: str = "a.txt", sentence: str = "", **attrs) -> None:
    ev = [_ev(doc, sentence)] if sentence else []
    g.add_edge(u, v, key=relation, relation=relation, docs=[doc], evidence=ev, **attrs)


def sample_graph() -> nx.MultiDiGraph:
    """Three persons at a forum and its sub-forum, two at a summit; one Traditional-script article."""
    g = nx.MultiDiGraph()
    _node(g, "person:陈明远", "person", "陳明遠", aliases=["陈明远"], docs=["trad.txt", "a.txt"],
          sentence="星河大學校長陳明遠致辭。")
    _node(g, "person:王晓峰", "person", "王晓峰", docs=["a.txt"])
    _node(g, "person:李思齐", "person", "李思齐", docs=["a.txt", "b.txt"])
    _node(g, "person:赵一鸣", "person", "赵一鸣", docs=["b.txt"])
    _node(g, "org:星河大学", "organization", "星河大学", aliases=["星大", "星河大學"], docs=["a.txt", "trad.txt"])
    _node(g, "org:东方数字产业协会", "organization", "东方数字产业协会", aliases=["数产协"], docs=["a.txt"])
    _node(g, "event:2031未来城市论坛", "event", "2031未来城市论坛", docs=["a.txt", "trad.txt"],
          date="2031-05-01", place="临江")
    _node(g, "event:智能制造分论坛", "event", "智能制造分论坛", docs=["a.txt"], date="2031-05-01", place="临江")
    _node(g, "event:数字健康峰会", "event", "数字健康峰会", docs=["b.txt"], date="2031-06-10")
    _edge(g, "person:陈明远", "org:星河大学", "holds_role", "trad.txt", "星河大學校長陳明遠致辭。", title="校长|党委副书记")
    _edge(g, "person:王晓峰", "org:东方数字产业协会", "holds_role", "a.txt", "东方数字产业协会会长王晓峰作主旨演讲。", title="会长")
    _edge(g, "person:李思齐", "org:星河大学", "holds_role", "a.txt", "星河大学教授李思齐主持。", title="教授")
    _edge(g, "person:陈明远", "event:2031未来城市论坛", "attended", "trad.txt", "星河大學校長陳明遠致辭。", participation=["致辞"])
    _edge(g, "person:王晓峰", "event:智能制造分论坛", "attended", "a.txt", "王晓峰作主旨演讲。", participation=["主旨演讲"])
    _edge(g, "person:李思齐", "event:智能制造分论坛", "attended", "a.txt", "李思齐主持。", participation=["主持"])
    _edge(g, "person:李思齐", "event:数字健康峰会", "attended", "b.txt", "李思齐出席。", participation=["出席"])
    _edge(g, "person:赵一鸣", "event:数字健康峰会", "attended", "b.txt", "赵一鸣作主旨演讲。", participation=["主旨演讲"])
    _edge(g, "person:陈明远", "event:数字健康峰会", "attended", "b.txt", "陈明远出席。", participation=["出席"])
    _edge(g, "event:智能制造分论坛", "event:2031未来城市论坛", "part_of", "a.txt")
    _edge(g, "org:东方数字产业协会", "event:2031未来城市论坛", "organized", "a.txt")
    _edge(g, "org:星河大学", "event:数字健康峰会", "organized", "b.txt")
    return g


HOSTILE_PERSON = '<script>window.__xss=1</script>张<img src=x onerror="window.__xss=2">'
HOSTILE_ORG = 'javascript:window.__xss=3//</script><script>window.__xss=4</script>'
HOSTILE_EVENT = '峰会<svg onload="window.__xss=5">\u2028&amp;<!--'
# GraphML/GEXF ids are XML attributes, which xmldom normalizes: keep U+2028 out of the id
HOSTILE_EVENT_ID = 'event:峰会<svg onload="window.__xss=5">&amp;<!--'
HOSTILE_SENTENCE = '</script><img src=x onerror="window.__xss=6"> <a href="javascript:window.__xss=7">点</a>'


def hostile_graph() -> nx.MultiDiGraph:
    """Names and sentences that would run script if any of them reached the DOM as HTML."""
    g = sample_graph()
    _node(g, "person:" + HOSTILE_PERSON, "person", HOSTILE_PERSON, aliases=[HOSTILE_SENTENCE], docs=["x<y>.txt"],
          sentence=HOSTILE_SENTENCE)
    _node(g, "org:" + HOSTILE_ORG, "organization", HOSTILE_ORG, docs=["x<y>.txt"], sentence=HOSTILE_SENTENCE)
    _node(g, HOSTILE_EVENT_ID, "event", HOSTILE_EVENT, docs=["x<y>.txt"], date="2031-07-01",
          place='<iframe src="javascript:window.__xss=8">', sentence=HOSTILE_SENTENCE)
    _edge(g, "person:" + HOSTILE_PERSON, "org:" + HOSTILE_ORG, "holds_role", "x<y>.txt", HOSTILE_SENTENCE,
          title='<b onmouseover="window.__xss=9">主任</b>')
    _edge(g, "person:" + HOSTILE_PERSON, HOSTILE_EVENT_ID, "attended", "x<y>.txt", HOSTILE_SENTENCE,
          participation=['<img src=x onerror="window.__xss=10">'])
    _edge(g, "person:" + HOSTILE_PERSON, "event:数字健康峰会", "attended", "x<y>.txt", HOSTILE_SENTENCE,
          participation=["出席"])
    _edge(g, "org:" + HOSTILE_ORG, HOSTILE_EVENT_ID, "organized", "x<y>.txt")
    return g


def large_graph(persons: int = 2400, events: int = 120) -> nx.MultiDiGraph:
    """Many persons over many events (synthetic names), for the large-graph views."""
    g = nx.MultiDiGraph()
    for e in range(events):
        _node(g, f"event:论坛{e}", "event", f"第{e}届测试论坛", date=f"2031-01-{e % 28 + 1:02d}")
    for p in range(persons):
        _node(g, f"person:甲{p}", "person", f"测试人{p}")
        for e in {p % events, (p * 7) % events}:
            _edge(g, f"person:甲{p}", f"event:论坛{e}", "attended", "a.txt", participation=["出席"])
    return g


def nested_graph() -> nx.MultiDiGraph:
    """Sub-forums two levels deep, a person in several, organizers, shared organizations."""
    g = sample_graph()
    _node(g, "event:青年圆桌", "event", "青年圆桌", date="2031-05-02")
    _edge(g, "event:青年圆桌", "event:智能制造分论坛", "part_of")
    _node(g, "person:孙立", "person", "孙立")
    _edge(g, "person:孙立", "event:青年圆桌", "attended", participation=["发言"])
    _edge(g, "person:孙立", "org:星河大学", "holds_role", title="院长")
    _edge(g, "person:赵一鸣", "event:青年圆桌", "attended", participation=["出席"])
    return g
