"""Queries over a hand-built graph, and the `forumgraph query` / `forumgraph html` commands."""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from explore_fixtures import hostile_graph, large_graph, sample_graph
from graph import query as q
from graph.cli import cli
from graph.export import write_all
from graph.export.html import json_for_script, render_html, select_view


@pytest.fixture(scope="module")
def g():
    return sample_graph()


@pytest.fixture
def out(tmp_path):
    write_all(sample_graph(), tmp_path)
    return tmp_path


def test_find_node_any_script_alias_and_id(g):
    assert q.find_node(g, "陈明远") == "person:陈明远"      # Simplified for a Traditional label
    assert q.find_node(g, "陳明遠") == "person:陈明远"
    assert q.find_node(g, "星大") == "org:星河大学"          # alias
    assert q.find_node(g, "星河大學") == "org:星河大学"
    assert q.find_node(g, "person:李思齐") == "person:李思齐"
    assert q.find_node(g, "未来城市论坛", "event") == "event:2031未来城市论坛"   # unique part of a name


def test_unknown_name_suggests(g):
    with pytest.raises(q.UnknownName) as exc:
        q.find_node(g, "王小峰", "person")
    assert "王晓峰" in exc.value.suggestions
    with pytest.raises(q.UnknownName) as exc:
        q.find_node(g, "星大", "person")
    assert "organization" in str(exc.value)


def test_coattend_carries_sub_events_up(g):
    pairs = {(p["a_id"], p["b_id"]): p for p in q.coattend(g)}
    chen_li = pairs[("person:李思齐", "person:陈明远")]
    assert chen_li["shared"] == 2
    assert [e["event"] for e in chen_li["events"]] == ["2031未来城市论坛", "数字健康峰会"]
    # a sub-forum speaker and a forum speaker met at the forum
    assert [e["event"] for e in pairs[("person:王晓峰", "person:陈明远")]["events"]] == ["2031未来城市论坛"]
    # both at the sub-forum: the sub-forum, not also the forum
    assert [e["event"] for e in pairs[("person:李思齐", "person:王晓峰")]["events"]] == ["智能制造分论坛"]
    assert ("person:王晓峰", "person:赵一鸣") not in pairs
    assert [(p["a"], p["b"]) for p in q.coattend(g, min_shared=2)] == [("李思齐", "陳明遠")]
    assert {p["a"] for p in q.coattend(g, person="赵一鸣")} == {"赵一鸣"}


def test_person_profile(g):
    p = q.person_profile(g, "王晓峰")
    assert p["roles"] == [{"id": "org:东方数字产业协会", "organization": "东方数字产业协会", "titles": ["会长"]}]
    parts = {e["event"]: e["participation"] for e in p["events"]}
    assert parts == {"智能制造分论坛": ["主旨演讲"], "2031未来城市论坛": ["(via sub-event)"]}
    assert {c["person"] for c in p["coattendees"]} == {"李思齐", "陳明遠"}
    chen = q.person_profile(g, "陈明远")
    assert chen["roles"][0]["titles"] == ["校长", "党委副书记"]


def test_event_profile(g):
    e = q.event_profile(g, "2031未来城市论坛")
    assert list(e["roster"]) == ["致辞"]
    assert [o["organization"] for o in e["organizers"]] == ["东方数字产业协会"]
    assert [s["event"] for s in e["sub_events"]] == ["智能制造分论坛"]
    sub = q.event_profile(g, "智能制造分论坛")
    assert list(sub["roster"]) == ["主持", "主旨演讲"]     # 主持 first, as in an agenda
    assert sub["part_of"][0]["event"] == "2031未来城市论坛"


def test_between(g):
    r = q.between(g, "李思齐", "陈明远")
    assert [e["event"] for e in r["shared_events"]] == ["2031未来城市论坛", "数字健康峰会"]
    assert [o["organization"] for o in r["shared_organizations"]] == ["星河大学"]
    assert r["path"][0] == "李思齐" and r["path"][-1] == "陳明遠" and len(r["path"]) == 3
    assert q.between(g, "王晓峰", "赵一鸣")["shared_events"] == []


def test_top_and_communities_are_stable(g):
    assert q.top(g, by="events", n=1)[0]["label"] == "李思齐"
    assert q.top(g, by="degree")[0]["score"] >= q.top(g, by="degree")[-1]["score"]
    assert q.top(g, by="betweenness", n=3) == q.top(g, by="betweenness", n=3)
    first, again = q.communities(g), q.communities(sample_graph())
    assert first == again
    assert sum(c["size"] for c in first) == g.number_of_nodes()
    with pytest.raises(ValueError):
        q.top(g, by="charm")


def test_coattendance_graph_weights(g):
    proj = q.coattendance_graph(g)
    assert proj.edges["person:李思齐", "person:陈明远"]["weight"] == 2
    assert proj.nodes["person:李思齐"]["event_count"] == 3


# ---------------------------------------------------------------- CLI

def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("graph_file", ["", "graph.graphml", "graph.json"])
def test_cli_coattend_table(out, graph_file):
    r = run("query", str(out / graph_file) if graph_file else str(out), "coattend", "--min-shared", "2")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split() == ["a", "b", "shared", "events_text"]
    assert "李思齐" in lines[2] and "陳明遠" in lines[2] and "2031未来城市论坛(2031-05-01)" in lines[2]


def test_cli_json_and_csv(out):
    r = run("query", str(out), "coattend", "--person", "陳明遠", "--format", "json")
    data = json.loads(r.output)
    assert {d["b"] for d in data} == {"李思齐", "王晓峰", "赵一鸣"}
    r = run("query", str(out), "top", "--by", "events", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert rows[0]["label"] == "李思齐" and rows[0]["score"] == "3"
    r = run("query", str(out), "person", "王晓峰", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert {row["section"] for row in rows} == {"Titles", "Events", "Co-attendees"}


@pytest.mark.parametrize("args", [
    ["person", "陈明远"], ["person", "星大"], ["event", "智能制造分论坛"], ["between", "王晓峰", "星河大学"],
    ["top"], ["top", "--by", "betweenness"], ["communities"], ["coattend"],
])
def test_cli_every_command_answers(out, args):
    r = run("query", str(out), *args)
    if args == ["person", "星大"]:
        assert r.exit_code == 1 and "organization" in r.output
    else:
        assert r.exit_code == 0, r.output
        assert r.output.strip()


def test_cli_unknown_name_did_you_mean(out):
    r = run("query", str(out), "person", "王小峰")
    assert r.exit_code == 1
    assert "did you mean" in r.output and "王晓峰" in r.output and "Traceback" not in r.output
    r = run("query", str(out / "missing.graphml"), "top")
    assert r.exit_code == 1 and "no such file" in r.output


def test_cli_table_keeps_hostile_text_on_one_line(tmp_path):
    write_all(hostile_graph(), tmp_path)
    r = run("query", str(tmp_path), "top", "-n", "0")
    assert r.exit_code == 0
    assert len(r.output.splitlines()) == hostile_graph().number_of_nodes() + 2


def test_cli_html_views(out):
    r = run("html", str(out / "graph.graphml"), "--focus", "赵一鸣")
    assert r.exit_code == 0, r.output
    page = (out / "view.html").read_text(encoding="utf-8")
    assert "neighbourhood of 赵一鸣" in page
    r = run("html", str(out), "--out", str(out / "people.html"), "--kind", "person,event")
    assert r.exit_code == 0 and (out / "people.html").exists()
    assert run("html", str(out), "--focus", "无此人").exit_code == 1
    assert run("html", str(out), "--kind", "planet").exit_code == 2


# ---------------------------------------------------------------- HTML without a browser

def test_html_is_self_contained_and_escaped():
    page = render_html(hostile_graph())
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert "url(http" not in page.replace(" ", "") and "url('http" not in page and 'url("http' not in page
    data_block = page.split('<script type="application/json" id="graph-data">')[1].split("</script>")[0]
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in data_block
    decoded = json.loads(data_block)
    assert any(n["label"].startswith("<script>") for n in decoded["nodes"])
    assert "innerHTML" not in page.split('id="graph-data"')[1].split("</script>", 2)[-1]


def test_json_for_script_round_trips():
    obj = {"s": "</script><!-- \u2028 & <b>"}
    text = json_for_script(obj)
    assert json.loads(text) == obj and "</" not in text


def test_large_graph_default_view_and_options():
    big = large_graph()
    view, note = select_view(big)
    assert view.number_of_nodes() == 500 and "most connected" in note
    view, note = select_view(big, top=50)
    assert view.number_of_nodes() == 50
    view, note = select_view(big, focus="第3届测试论坛")
    assert "event:论坛3" in view and "neighbourhood" in note
    view, note = select_view(big, kinds=["event"])
    assert {k for _, k in view.nodes(data="kind")} == {"event"}
    small, note = select_view(sample_graph())
    assert note == "" and small.number_of_nodes() == 9


def test_html_same_bytes(tmp_path):
    assert render_html(sample_graph()) == render_html(sample_graph())


def test_empty_graph_everywhere(tmp_path):
    import networkx as nx

    empty = nx.MultiDiGraph()
    write_all(empty, tmp_path)
    assert q.coattend(empty) == [] and q.communities(empty) == [] and q.top(empty) == []
    assert run("query", str(tmp_path), "coattend").output.strip() == "(none)"
    assert '"nodes":[]' in (tmp_path / "graph.html").read_text(encoding="utf-8")


def test_long_side_panel_lists_show_their_first_entries_and_how_many():
    from graph.export.html import PANEL_LIMIT, _details, page_data

    big = large_graph(persons=PANEL_LIMIT + 150, events=1)   # every person attends the one event
    hub = "person:甲0"
    for e in range(1, PANEL_LIMIT + 30):                      # and one person attends many
        big.add_node(f"event:会{e}", kind="event", label=f"测试会{e}", date=f"2031-02-{e % 28 + 1:02d}")
        big.add_edge(hub, f"event:会{e}", key="attended", relation="attended", participation=["出席"])
    big.nodes[hub]["docs"] = [f"d{i:03d}.txt" for i in range(PANEL_LIMIT + 5)]
    view, note = select_view(big, top=200)
    data = page_data(big, view, note)
    event = data["details"]["event:论坛0"]
    whole = _details(big, "event:论坛0")                       # no limit: what query.event_profile lists
    group = event["roster"][0]
    assert group["total"] == PANEL_LIMIT + 150 == len(whole["roster"][0]["persons"])
    assert group["persons"] == whole["roster"][0]["persons"][:PANEL_LIMIT]
    person = data["details"][hub]
    assert person["events_total"] == len(_details(big, hub)["events"]) == PANEL_LIMIT + 30
    assert person["events"] == _details(big, hub)["events"][:PANEL_LIMIT]
    node = next(n for n in data["nodes"] if n["id"] == hub)
    assert node["docs_total"] == PANEL_LIMIT + 5 and node["docs"] == big.nodes[hub]["docs"][:PANEL_LIMIT]
    # short lists are whole, with no total
    other = next(n for n in data["details"] if n.startswith("person:") and n != hub)
    small = data["details"][other]
    assert "events_total" not in small and len(small["events"]) == 1
    assert page_data(big, view, note, limit=None)["details"]["event:论坛0"]["roster"][0]["persons"] == whole["roster"][0]["persons"]


def communities_by_networkx(sk, seed=q.LOUVAIN_SEED, resolution=1.0):
    """`communities_of` as it was: networkx's own Louvain on the graph built edge by edge."""
    import networkx as nx
    from collections import defaultdict

    und = nx.Graph()
    und.add_nodes_from(sk.nodes)
    weights = defaultdict(int)
    for u, v in sorted((str(u), str(v)) for u, v in sk.edges):
        if u != v:
            weights[min(u, v), max(u, v)] += 1
    und.add_weighted_edges_from((a, b, w) for (a, b), w in weights.items())
    groups = ([{n} for n in und.nodes] if und.number_of_edges() == 0
              else nx.community.louvain_communities(und, weight="weight", seed=seed, resolution=resolution))
    return q._described(groups, sk.degrees(), sk)


def random_multigraph(seed: int, n: int, m: int):
    import random

    import networkx as nx

    rng = random.Random(seed)
    g = nx.MultiDiGraph()
    names = [f"{rng.choice(['person', 'org', 'event'])}:测{i:03d}" for i in range(n)]
    for x in names:
        g.add_node(x, kind=x.split(":")[0], label=f"名{rng.randrange(n // 2 + 1)}")   # labels repeat
    for _ in range(m):
        u, v = rng.choice(names), rng.choice(names)       # parallel edges, both directions, self loops
        g.add_edge(u, v, key=rng.choice(["attended", "holds_role", "part_of"]))
    return g


@pytest.mark.parametrize("seed", range(12))
def test_communities_are_networkx_louvain_partition(seed, monkeypatch):
    monkeypatch.setattr(q, "COMPILED_LOUVAIN_MIN_EDGES", 0)    # graph/louvain.py, not networkx itself
    g = random_multigraph(seed, 30 + 20 * seed, 60 + 70 * seed)
    sk = q.skeleton(g)
    assert q.communities_of(sk) == communities_by_networkx(sk)
    assert q.communities_of(sk, resolution=1.7) == communities_by_networkx(sk, resolution=1.7)
    # the same skeleton with its edges as positions (the query index's form)
    import numpy as np

    at = {x: i for i, x in enumerate(sk.nodes)}
    ends = (np.array([at[u] for u, _ in sk.edges]), np.array([at[v] for _, v in sk.edges]))
    assert q.communities_of(q.Skeleton(sk.nodes, sk.labels, sk.kinds, ends=ends)) == communities_by_networkx(sk)


def test_communities_of_graphs_without_edges_or_nodes(monkeypatch):
    import networkx as nx

    monkeypatch.setattr(q, "COMPILED_LOUVAIN_MIN_EDGES", 0)

    for g in (nx.MultiDiGraph(), random_multigraph(1, 5, 0)):
        sk = q.skeleton(g)
        assert q.communities_of(sk) == communities_by_networkx(sk)
    loops = nx.MultiDiGraph()
    loops.add_node("person:a", kind="person", label="甲")
    loops.add_node("person:b", kind="person", label="乙")
    loops.add_edge("person:a", "person:a", key="x")
    sk = q.skeleton(loops)
    assert q.communities_of(sk) == communities_by_networkx(sk)
