"""graph.db, the query index: the same answers as the whole graph, from a fraction of it."""
from __future__ import annotations

import json
import sqlite3

import networkx as nx
import pytest
from click.testing import CliRunner

import graph.query_index as qi
from explore_fixtures import _edge, _node, large_graph, nested_graph, sample_graph
from graph import query as q
from graph.build import build_graph
from graph.cli import cli
from graph.export import write_all
from graph.query_index import INDEX_NAME, QueryIndex, index_path, write_query_index
from graph.runner import extract_all, read_all
from seed_text import SEEDS


@pytest.fixture(scope="module")
def seed_graph() -> nx.MultiDiGraph:
    docs, _ = read_all([SEEDS])
    return build_graph(extract_all(docs))


GRAPHS = {"sample": sample_graph, "nested": nested_graph, "large": lambda: large_graph(300, 25)}


@pytest.fixture(scope="module", params=[*GRAPHS, "seeds"])
def indexed(request, tmp_path_factory, seed_graph):
    g = seed_graph if request.param == "seeds" else GRAPHS[request.param]()
    path = tmp_path_factory.mktemp(request.param) / INDEX_NAME
    write_query_index(g, path)
    return g, QueryIndex(path)


def test_person_profiles_equal_the_whole_graphs(indexed):
    g, ix = indexed
    for p in q.nodes_of_kind(g, "person"):
        assert q.person_profile(ix.node_view(p), p, coattendees=ix.coattendees(p)) == q.person_profile(g, p), p


def test_event_profiles_equal_the_whole_graphs(indexed):
    g, ix = indexed
    events = q.nodes_of_kind(g, "event")
    assert events
    for e in events:
        want = q.event_profile(g, e)
        assert q.event_profile(ix.event_view(e), e) == want, e
        assert ix.event_profile(e) == want, e      # read from the tables, no view built


@pytest.mark.parametrize("min_shared, limit", [(1, 0), (2, 0), (1, 3)])
def test_coattendance_equals_the_whole_graphs(indexed, min_shared, limit):
    g, ix = indexed
    assert ix.coattend(min_shared, limit) == q.coattend(g, min_shared=min_shared, limit=limit)
    for p in q.nodes_of_kind(g, "person")[:40]:
        assert ix.coattendees(p, min_shared, limit) == q.coattend(g, min_shared=min_shared, person=p, limit=limit)


def test_rankings_equal_the_whole_graphs(indexed):
    g, ix = indexed
    for by in ("degree", "events"):
        for kind in (None, "person", "event", "organization"):
            for n in (0, 5):
                assert ix.top(by, n, kind) == q.top(g, by=by, n=n, kind=kind), (by, kind, n)


def test_structure_gives_the_same_communities_and_betweenness(indexed):
    g, ix = indexed
    s = ix.structure()
    assert sorted(s.nodes) == sorted(g.nodes) and s.number_of_edges() == g.number_of_edges()
    assert q.communities(s) == q.communities(g)
    assert q.top(s, by="betweenness", n=10) == q.top(g, by="betweenness", n=10)


def test_skeleton_is_the_whole_graphs_and_ranks_the_same(indexed):
    g, ix = indexed
    sk, whole = ix.skeleton(), q.skeleton(g)
    assert sk.ends is not None        # edge ends read as numbers, not ids
    assert (sk.nodes, sk.labels, sk.kinds) == (whole.nodes, whole.labels, whole.kinds)
    assert sorted(sk.edges) == sorted(whole.edges)
    assert sk.degrees() == {n: q.neighbour_count(g, n) for n in g.nodes}
    assert q.communities_of(sk) == q.communities(g)
    assert q.betweenness_ranking(sk, n=0) == q.top(g, by="betweenness", n=0)


def test_sampled_betweenness_is_the_same_from_the_index_and_from_a_shuffled_graph(tmp_path):
    # above 1000 nodes the sources are sampled: the answer must not depend on the order in
    # which a graph file happens to list its nodes
    import random

    g = large_graph(1200, 40)
    nodes = list(g.nodes(data=True))
    random.Random(7).shuffle(nodes)
    shuffled = nx.MultiDiGraph()
    shuffled.add_nodes_from(nodes)
    shuffled.add_edges_from(g.edges(keys=True, data=True))
    write_query_index(g, tmp_path / INDEX_NAME)
    sk = QueryIndex(tmp_path / INDEX_NAME).skeleton()
    assert sk.ends is not None
    from_index = q.betweenness_ranking(sk, n=15)
    assert from_index == q.top(shuffled, by="betweenness", n=15) == q.top(g, by="betweenness", n=15)
    assert from_index[0]["score"] > 0
    # every score the same, not only the first 15 (the same sources, sums and scaling)
    assert q.betweenness_ranking(sk, n=0) == q.top(g, by="betweenness", n=0)


def test_adjacency_rows_hold_each_nodes_out_neighbours_by_number(tmp_path):
    g = nested_graph()
    g.add_edge("person:孙立", "org:星河大学", key="holds_role:2", relation="holds_role", title="顾问")  # a parallel edge
    write_query_index(g, tmp_path / INDEX_NAME)
    ix = QueryIndex(tmp_path / INDEX_NAME)
    rows = ix.con.execute("SELECT id, num, out FROM adjacency ORDER BY id").fetchall()
    assert [r[0] for r in rows] == sorted(g.nodes)
    for nid, num, out in rows:
        assert num == qi.node_number(nid) and -2**63 <= num < 2**63
        ends = [int.from_bytes(out[i:i + 8], "little", signed=True) for i in range(0, len(out), 8)]
        assert ends == sorted(qi.node_number(v) for _, v in g.out_edges(nid)), nid   # one per edge


def test_node_numbers_that_collide_fall_back_to_the_ids(tmp_path, monkeypatch):
    """Two ids of one number (possible, if most unlikely, with 64-bit hashes) must not merge two
    nodes: the skeleton is then read by id, with the same answers."""
    g = large_graph(1200, 40)
    monkeypatch.setattr(qi, "node_number", lambda node: len(node) % 7)
    write_query_index(g, tmp_path / INDEX_NAME)
    sk = QueryIndex(tmp_path / INDEX_NAME).skeleton()
    assert sk.ends is None
    assert sorted(sk.edges) == sorted(g.edges())
    assert q.betweenness_ranking(sk, n=20) == q.top(g, by="betweenness", n=20)


def test_adjacency_rows_that_are_not_the_nodes_fall_back_to_the_ids(tmp_path):
    g = nested_graph()
    write_query_index(g, tmp_path / INDEX_NAME)
    con = sqlite3.connect(tmp_path / INDEX_NAME)
    con.execute("DELETE FROM adjacency WHERE id = 'person:孙立'")      # damaged, or edited by hand
    con.commit()
    con.close()
    sk = QueryIndex(tmp_path / INDEX_NAME).skeleton()
    assert sk.ends is None and sorted(sk.edges) == sorted(g.edges())
    assert q.betweenness_ranking(sk, n=0) == q.top(g, by="betweenness", n=0)


def awkward_event_graph() -> nx.MultiDiGraph:
    """Events whose rosters hold what a roster read from the tables must get right."""
    g = nested_graph()
    forum = "event:2031未来城市论坛"
    _node(g, "person:钱多", "person", "钱多")
    _edge(g, "person:钱多", forum, "attended", participation=["主持", "致辞"])      # listed twice
    _edge(g, "person:钱多", "org:星河大学", "holds_role", title="校长|党委副书记")
    _node(g, "org:同名一", "organization", "同名机构")
    _node(g, "org:同名二", "organization", "同名机构")     # one label, two organizations: by id
    _edge(g, "person:钱多", "org:同名二", "holds_role", title="顾问")
    _edge(g, "person:钱多", "org:同名一", "holds_role", title=["理事", "秘书长"])
    g.add_edge("person:钱多", "org:同名一", key="holds_role:2", relation="holds_role", title="名誉理事")  # parallel
    g.add_node("org:无名", kind="organization")            # no label: shown by id
    _edge(g, "person:钱多", "org:无名", "holds_role")       # no title
    _edge(g, "person:孙立", forum, "attended")               # no participation: 出席
    _edge(g, "person:赵一鸣", forum, "attended", participation="发言|颁奖嘉宾")   # joined; an unranked kind
    _edge(g, "org:星河大学", forum, "attended", participation=["签约"])         # not a person
    _edge(g, "org:星河大学", forum, "organized")
    _edge(g, "event:青年圆桌", "event:青年圆桌", "part_of")     # a loop
    _node(g, "event:闭幕式", "event", "闭幕式", date="2031-05-03")
    _edge(g, "event:闭幕式", forum, "part_of")
    _node(g, "event:空会", "event", "空会")                   # nobody, nothing
    return g


def test_event_profiles_read_from_the_tables_equal_the_whole_graphs(tmp_path):
    g = awkward_event_graph()
    write_query_index(g, tmp_path / INDEX_NAME)
    ix = QueryIndex(tmp_path / INDEX_NAME)
    for e in q.nodes_of_kind(g, "event"):
        want = q.event_profile(g, e)
        assert ix.event_profile(e) == want == q.event_profile(ix.event_view(e), e), e
    forum = ix.event_profile("event:2031未来城市论坛")
    assert [r["person"] for r in forum["roster"]["主持"]] == ["钱多"]
    assert next(r for r in forum["roster"]["致辞"] if r["id"] == "person:钱多")["titles"] == [
        "org:无名", "同名机构 理事、秘书长", "同名机构 名誉理事", "同名机构 顾问", "星河大学 校长、党委副书记"]
    assert list(forum["roster"])[-1] == "颁奖嘉宾"


def test_names_resolve_as_on_the_whole_graph(indexed):
    g, ix = indexed
    for n in list(g.nodes)[:60]:
        for name in [n, *q._names(g.nodes[n])]:
            for kind in (None, g.nodes[n]["kind"]):
                try:
                    want = q.find_node(g, name, kind)
                except LookupError as exc:
                    with pytest.raises(type(exc)) as got:
                        ix.find(name, kind)
                    assert str(got.value) == str(exc)
                else:
                    assert ix.find(name, kind) == want


def test_unknown_name_gets_the_same_suggestions(indexed):
    g, ix = indexed
    label = g.nodes[q.nodes_of_kind(g, "person")[0]]["label"]
    typo = label[:-1] + "丶"
    with pytest.raises(q.UnknownName) as want:
        q.find_node(g, typo, "person")
    with pytest.raises(q.UnknownName) as got:
        ix.find(typo, "person")
    assert got.value.suggestions == want.value.suggestions


def test_between_finds_the_same_shared_things_and_a_shortest_path(indexed):
    g, ix = indexed
    und = nx.Graph(g.to_undirected(as_view=True))
    nodes = sorted(g.nodes)[:25]
    for a in nodes[:8]:
        for b in nodes:
            view, path = ix.between_view(a, b)
            got, want = q.between(view, a, b, path=path), q.between(g, a, b)
            assert got["shared_events"] == want["shared_events"]
            assert got["shared_organizations"] == want["shared_organizations"]
            assert len(got["path"]) == len(want["path"])
            assert all(und.has_edge(u, v) for u, v in zip(path, path[1:]))
            assert [s["relation"] for s in got["steps"]] == [
                " / ".join(sorted({f"{d['relation']} →" for d in g.get_edge_data(u, v, default={}).values()} |
                                  {f"← {d['relation']}" for d in g.get_edge_data(v, u, default={}).values()}))
                for u, v in zip(path, path[1:])]


def test_index_leaves_out_evidence_and_keeps_one_nodes_documents(tmp_path):
    g = sample_graph()
    write_query_index(g, tmp_path / INDEX_NAME)
    ix = QueryIndex(tmp_path / INDEX_NAME)
    view = ix.node_view("person:陈明远")
    assert view.nodes["person:陈明远"]["docs"] == ["trad.txt", "a.txt"]
    assert all("evidence" not in d for _, d in view.nodes(data=True))
    assert all("evidence" not in d for *_, d in view.edges(data=True))
    assert [p.name for p in tmp_path.iterdir()] == [INDEX_NAME]      # no temporary file left


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("args", [
    ["person", "陈明远"], ["person", "李思齐", "--format", "json"], ["event", "2031未来城市论坛"],
    ["event", "智能制造分论坛", "--format", "csv"], ["between", "王晓峰", "星河大学"], ["top"],
    ["top", "--by", "events"], ["top", "--by", "betweenness"], ["communities"], ["coattend"],
    ["coattend", "-n", "1"], ["coattend", "--person", "陳明遠"], ["person", "王小峰"],
])
def test_cli_answers_the_same_from_the_index_and_from_graph_json(tmp_path, args):
    g = nested_graph()
    write_all(g, tmp_path)
    write_query_index(g, tmp_path / INDEX_NAME)
    assert index_path(tmp_path) == tmp_path / INDEX_NAME
    from_index = run("query", str(tmp_path), *args)
    from_json = run("query", str(tmp_path / "graph.json"), *args)
    assert (from_index.exit_code, from_index.output) == (from_json.exit_code, from_json.output)


def test_a_broken_index_is_reported_and_the_graph_file_read(tmp_path):
    write_all(sample_graph(), tmp_path)
    (tmp_path / INDEX_NAME).write_bytes(b"not a database at all" * 100)
    r = CliRunner().invoke(cli, ["query", str(tmp_path), "person", "陈明远", "--format", "json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout)["person"] == "陳明遠"
    assert "graph.db" in r.stderr and "reading the graph file instead" in r.stderr
    r = CliRunner().invoke(cli, ["query", str(tmp_path / INDEX_NAME), "top"])
    assert r.exit_code == 1 and "not a forumgraph query index" in r.output


def test_person_lists_the_first_coattendees_and_says_how_many_there_are(tmp_path):
    g = large_graph(persons=300, events=12)
    write_all(g, tmp_path)
    write_query_index(g, tmp_path / INDEX_NAME)
    everyone = q.coattend(g, person="person:甲0")
    assert len(everyone) > 20
    for source in (str(tmp_path), str(tmp_path / "graph.json")):
        shown = json.loads(run("query", source, "person", "测试人0", "-c", "3", "--format", "json").output)
        assert shown["coattendees_total"] == len(everyone)
        assert [c["id"] for c in shown["coattendees"]] == [r["b_id"] for r in everyone[:3]]
        default = json.loads(run("query", source, "person", "测试人0", "--format", "json").output)
        assert len(default["coattendees"]) == 20
        every = json.loads(run("query", source, "person", "测试人0", "-c", "0", "--format", "json").output)
        assert [c["id"] for c in every["coattendees"]] == [r["b_id"] for r in everyone]
        text = run("query", source, "person", "测试人0", "-c", "3").output
        assert f"Co-attendees (3 of {len(everyone)}, most shared events first; --coattendees 0 for all)" in text
    assert run("query", str(tmp_path), "person", "测试人0", "-c", "3").output == \
        run("query", str(tmp_path / "graph.json"), "person", "测试人0", "-c", "3").output



IMPORTS = """
import sys
from graph.cli import cli
try:
    cli.main(sys.argv[1:], standalone_mode=False)
finally:
    print("IMPORTED", "networkx" in sys.modules, "numpy" in sys.modules, file=sys.stderr)
"""


def _imports(out, *args: str) -> tuple[bool, bool]:
    """Whether `forumgraph query OUT ARGS…` imported (networkx, numpy)."""
    import subprocess
    import sys
    from pathlib import Path

    r = subprocess.run([sys.executable, "-c", IMPORTS, "query", str(out), *args], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 0 and r.stdout.strip(), r.stderr
    line = next(x for x in r.stderr.splitlines() if x.startswith("IMPORTED "))
    return tuple(x == "True" for x in line.split()[1:])


def test_questions_answered_from_the_tables_import_no_networkx(tmp_path):
    """networkx' import is a fifth of a second of such a question: an event's profile, rankings
    and the betweenness ranking build no graph (numpy only when betweenness is computed; the
    second time it is a kept answer). A graph file read instead of graph.db imports it, and so
    may a networkx whose rescaling graph.centrality does not repeat."""
    from graph import centrality

    write_query_index(nested_graph(), tmp_path / INDEX_NAME)
    assert _imports(tmp_path, "event", "2031未来城市论坛") == (False, False)
    assert _imports(tmp_path, "top", "--by", "events") == (False, False)
    computed = _imports(tmp_path, "top", "--by", "betweenness")
    if centrality._own_rescaling():
        assert computed == (False, True)
    assert _imports(tmp_path, "top", "--by", "betweenness") == (False, False)
    assert _imports(tmp_path, "person", "孙立")[0]          # a view is a networkx graph
