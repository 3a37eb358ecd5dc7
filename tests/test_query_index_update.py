"""graph.db updated in place: every table and every answer as a fresh write of the new graph;
the old index intact when an update fails; a whole rewrite when an update cannot be trusted."""
from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Callable

import networkx as nx
import pytest

import graph.query_index as qi
from explore_fixtures import _edge, _node, large_graph, nested_graph
from graph import query as q
from graph.build import build_graph
from graph.query_index import INDEX_NAME, TABLES, QueryIndex, write_query_index
from graph.runner import extract_all, read_all
from seed_text import SEEDS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def in_place(monkeypatch):
    """Small test graphs: one change is a large share of them; no size rule sends it to a rewrite."""
    monkeypatch.setattr(qi, "MIN_UPDATE_ROWS", 0)
    monkeypatch.setattr(qi, "REWRITE_SHARE", float("inf"))
    monkeypatch.setattr(qi, "FREE_SHARE", float("inf"))


@pytest.fixture(scope="module")
def seed_records() -> list:
    docs, _ = read_all([SEEDS])
    return extract_all(docs)


def tables(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted: no reader depends on the physical order of rows."""
    con = sqlite3.connect(path)
    try:
        return {t: sorted(con.execute(f"SELECT * FROM {t}")) for t in TABLES}
    finally:
        con.close()


def _try(fn: Callable, *args) -> object:
    try:
        return fn(*args)
    except LookupError as exc:
        return type(exc).__name__, str(exc)


def answers(path: Path, g: nx.MultiDiGraph) -> dict:
    """What `forumgraph query` can ask of the index, for every node of `g` (of a large graph: every
    node whose neighbourhood differs from a graph without the last nodes, and a spread of others)."""
    ix = QueryIndex(path)
    try:
        out: dict = {}
        nodes = sorted(g.nodes)
        if len(nodes) > 60:
            recent = list(g.nodes)[-5:]
            near = {m for n in recent for m in nx.ego_graph(g, n, 2, undirected=True)}
            nodes = sorted({*nodes[::len(nodes) // 30], *[n for n in near if len(near) < 200], *recent,
                            *(n for n, d in g.nodes(data=True) if str(d.get("label", "")).startswith("改"))})
        for i, n in enumerate(nodes):
            d = g.nodes[n]
            for name in [n, *q._names(d)]:
                out["find", name] = _try(ix.find, name)
            out["find", n, "person"] = _try(ix.find, str(d.get("label")), "person")
            if i % 10 == 0:      # a partial name: suggestions from every name (slow on many names)
                out["find", n, "partial"] = _try(ix.find, str(d.get("label", ""))[:2])
            view = ix.node_view(n)
            out["node_view", n] = (sorted(view.nodes(data=True)), list(view.edges(keys=True, data=True)))
            if d.get("kind") == "person":
                out["person", n] = q.person_profile(view, n, coattendees=ix.coattendees(n))
                out["coattendees", n] = ix.coattendees(n), ix.coattendees(n, 2, 3)
                pv = ix.person_view(n)
                out["person_view", n] = (sorted(pv.nodes(data=True)), list(pv.edges(keys=True, data=True)))
            if d.get("kind") == "event":
                out["event", n] = q.event_profile(ix.event_view(n), n)
                out["event from the tables", n] = ix.event_profile(n)
        out["gone"] = _try(ix.find, "不存在的名字")
        out["coattend"] = ix.coattend(1, 0), ix.coattend(2, 0), ix.coattend(1, 5)
        for by in ("degree", "events"):
            for kind in (None, "person", "event", "organization"):
                out["top", by, kind] = ix.top(by, 0, kind), ix.top(by, 3, kind)
        for a in nodes[:6]:
            for b in nodes[::max(1, len(nodes) // 12)]:
                out["path", a, b] = ix.shortest_path(a, b)
                view, path = ix.between_view(a, b)
                out["between", a, b] = q.between(view, a, b, path=path)
        s = ix.structure()
        out["structure"] = list(s.nodes(data=True)), list(s.edges(keys=True, data=True))
        out["communities"] = q.communities(s)
        sk = ix.skeleton()      # edge ends by node number: the numbers of an update are a fresh write's
        out["skeleton"] = sk.nodes, sk.labels, sk.kinds, sorted(sk.edges), sk.ends is None
        out["betweenness"] = q.betweenness_ranking(sk, n=0)
        out["names"] = list(ix.names().nodes(data=True))
        return out
    finally:
        ix.close()


def assert_same_as_fresh(path: Path, g: nx.MultiDiGraph, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh" / INDEX_NAME
    fresh.parent.mkdir(exist_ok=True)
    fresh.unlink(missing_ok=True)
    write_query_index(g, fresh)
    want, got = tables(fresh), tables(path)
    for t in TABLES:
        assert got[t] == want[t], t
    assert answers(path, g) == answers(fresh, g)


def update(a: nx.MultiDiGraph, b: nx.MultiDiGraph, tmp_path: Path, in_place: bool = True) -> Path:
    """graph.db of `a`, then written again for `b`; `in_place`: whether it must be the same file."""
    path = tmp_path / INDEX_NAME
    path.unlink(missing_ok=True)
    write_query_index(a, path)
    inode = path.stat().st_ino
    write_query_index(b, path)
    assert (path.stat().st_ino == inode) == in_place
    assert (qi.LAST_WRITE["how"] in ("update", "unchanged")) == in_place, qi.LAST_WRITE
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".") or p.name.endswith("-journal")] == []
    return path


# ---------------------------------------------------------------- changes of the graph

def relabel_person(g: nx.MultiDiGraph) -> None:
    g.nodes["person:王晓峰"]["label"] = "王小峰"


def add_alias(g: nx.MultiDiGraph) -> None:
    g.nodes["org:星河大学"]["aliases"] = ["星大", "星河大學", "河大"]


def change_edge_attribute(g: nx.MultiDiGraph) -> None:
    g.edges["person:李思齐", "event:智能制造分论坛", "attended"]["participation"] = ["主持", "发言"]


def change_event_date(g: nx.MultiDiGraph) -> None:
    g.nodes["event:数字健康峰会"]["date"] = "2031-06-11"


def add_document_of_a_node(g: nx.MultiDiGraph) -> None:
    g.nodes["person:赵一鸣"]["docs"] = ["b.txt", "c.txt"]
    g.nodes["person:赵一鸣"]["evidence"] = g.nodes["person:赵一鸣"]["evidence"] * 2


def add_attendance(g: nx.MultiDiGraph) -> None:
    _edge(g, "person:王晓峰", "event:数字健康峰会", "attended", "c.txt", participation=["出席"])


def remove_attendance(g: nx.MultiDiGraph) -> None:
    g.remove_edge("person:李思齐", "event:智能制造分论坛", "attended")


def add_part_of(g: nx.MultiDiGraph) -> None:
    """The summit becomes part of the forum: sharing both now counts the summit only."""
    _edge(g, "event:数字健康峰会", "event:2031未来城市论坛", "part_of")
    _edge(g, "person:李思齐", "event:2031未来城市论坛", "attended", participation=["出席"])


def remove_part_of(g: nx.MultiDiGraph) -> None:
    g.remove_edge("event:青年圆桌", "event:智能制造分论坛", "part_of")


def add_person(g: nx.MultiDiGraph) -> None:
    _node(g, "person:周新", "person", "周新", docs=["c.txt"])
    _edge(g, "person:周新", "event:2031未来城市论坛", "attended", "c.txt", participation=["致辞"])
    _edge(g, "person:周新", "org:星河大学", "holds_role", "c.txt", title="副校长")


def remove_person(g: nx.MultiDiGraph) -> None:
    g.remove_node("person:李思齐")


def rename_person(g: nx.MultiDiGraph) -> None:
    nx.relabel_nodes(g, {"person:赵一鸣": "person:赵一鸣2"}, copy=False)


def merge_persons(g: nx.MultiDiGraph) -> None:
    """Two nodes found to be one person: the second's edges move to the first."""
    for _, v, k, d in list(g.out_edges("person:孙立", keys=True, data=True)):
        if not g.has_edge("person:赵一鸣", v, k):
            g.add_edge("person:赵一鸣", v, key=k, **d)
    g.nodes["person:赵一鸣"]["aliases"] = ["孙立"]
    g.remove_node("person:孙立")


def person_becomes_organization(g: nx.MultiDiGraph) -> None:
    g.nodes["person:赵一鸣"]["kind"] = "organization"


def remove_event(g: nx.MultiDiGraph) -> None:
    """Everyone who shared only it no longer shares anything."""
    g.remove_node("event:数字健康峰会")


def rename_event(g: nx.MultiDiGraph) -> None:
    nx.relabel_nodes(g, {"event:智能制造分论坛": "event:智能制造分论坛(上午)"}, copy=False)


def no_change(g: nx.MultiDiGraph) -> None:
    pass


CHANGES = [relabel_person, add_alias, change_edge_attribute, change_event_date, add_document_of_a_node,
           add_attendance, remove_attendance, add_part_of, remove_part_of, add_person, remove_person,
           rename_person, merge_persons, person_becomes_organization, remove_event, rename_event, no_change]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
def test_an_update_equals_a_fresh_write(tmp_path, in_place, change):
    a = nested_graph()
    b = a.copy()
    change(b)
    path = update(a, b, tmp_path)
    assert_same_as_fresh(path, b, tmp_path)


def test_several_changes_one_after_another(tmp_path, in_place):
    g = nested_graph()
    path = tmp_path / INDEX_NAME
    write_query_index(g, path)
    inode = path.stat().st_ino
    for change in CHANGES:
        change(g)
        write_query_index(g, path)
        assert_same_as_fresh(path, g, tmp_path)
    assert path.stat().st_ino == inode


def test_no_change_writes_nothing(tmp_path, in_place):
    g = nested_graph()
    path = tmp_path / INDEX_NAME
    write_query_index(g, path)
    before = path.read_bytes(), path.stat().st_mtime_ns
    write_query_index(g.copy(), path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def reversed_graph(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The same graph built in another order (nodes, edges and attributes)."""
    r = nx.MultiDiGraph()
    r.add_nodes_from((n, dict(reversed(list(d.items())))) for n, d in reversed(list(g.nodes(data=True))))
    r.add_edges_from((u, v, k, dict(reversed(list(d.items())))) for u, v, k, d in
                     reversed(list(g.edges(keys=True, data=True))))
    return r


def test_insertion_order_does_not_matter(tmp_path, in_place):
    """The digests are of the content: the same graph built in another order is no change, and
    a fresh write of it is the same bytes."""
    a = nested_graph()
    path = tmp_path / INDEX_NAME
    write_query_index(a, path)
    before = path.read_bytes()
    write_query_index(reversed_graph(a), path)
    assert path.read_bytes() == before
    other = tmp_path / "other.db"
    write_query_index(reversed_graph(a), other)
    assert other.read_bytes() == before


def test_a_small_index_is_written_whole_the_same_bytes_as_a_fresh_write(tmp_path):
    """Below MIN_UPDATE_ROWS an update saves nothing worth a file that differs from a fresh one."""
    a, b = nested_graph(), nested_graph()
    add_person(b)
    path = update(a, b, tmp_path, in_place=False)
    assert 'small: ' in qi.LAST_WRITE["why"], qi.LAST_WRITE
    fresh = tmp_path / "fresh.db"
    write_query_index(b, fresh)
    assert path.read_bytes() == fresh.read_bytes()


def test_random_changes_one_after_another(tmp_path, in_place):
    """Attendance, lineage, labels and nodes changed at random, many times over: after every
    update the tables are those of a fresh write."""
    rng = random.Random(20310501)
    g = large_graph(120, 12)
    events = [n for n in g if n.startswith("event:")]
    for i, e in enumerate(events[1:6]):        # some sub-forums
        _edge(g, e, events[0] if i % 2 else events[1], "part_of")
    path = tmp_path / INDEX_NAME
    write_query_index(g, path)
    fresh = tmp_path / "fresh.db"
    for step in range(40):
        persons = [n for n in g if n.startswith("person:")]
        events = [n for n in g if n.startswith("event:")]
        for _ in range(rng.randint(1, 4)):
            what = rng.randrange(7)
            p, e, f = rng.choice(persons), rng.choice(events), rng.choice(events)
            if what == 0:
                _edge(g, p, e, "attended", participation=[rng.choice(["出席", "发言"])])
            elif what == 1 and g.out_degree(p):
                u, v, k = rng.choice(list(g.out_edges(p, keys=True)))
                g.remove_edge(u, v, k)
            elif what == 2 and e != f:
                _edge(g, e, f, "part_of")         # cycles too: the walk tolerates them
            elif what == 3:
                part_of = [(u, v, k) for u, v, k, d in g.edges(keys=True, data=True) if d["relation"] == "part_of"]
                if part_of:
                    g.remove_edge(*rng.choice(part_of))
            elif what == 4:
                g.nodes[p]["label"] = f"改名{step}"
            elif what == 5 and len(persons) > 20:
                g.remove_node(p)
            else:
                _node(g, f"person:新{step}", "person", f"新人{step}")
                _edge(g, f"person:新{step}", e, "attended")
        write_query_index(g, path)
        assert qi.LAST_WRITE["how"] in ("update", "unchanged"), qi.LAST_WRITE
        fresh.unlink(missing_ok=True)
        write_query_index(g, fresh)
        assert tables(path) == tables(fresh), step
    assert_same_as_fresh(path, g, tmp_path)


# ---------------------------------------------------------------- real articles

@pytest.mark.parametrize("case", ["add_document", "remove_document", "replace_document", "add_two"])
def test_seed_articles_added_and_removed(tmp_path, in_place, seed_records, case):
    docs = seed_records
    a, b = {
        "add_document": (docs[:-1], docs),
        "remove_document": (docs, docs[1:]),
        "replace_document": (docs[:3], docs[1:4]),
        "add_two": (docs[:3], docs),
    }[case]
    ga, gb = build_graph(a), build_graph(b)
    path = update(ga, gb, tmp_path)
    assert_same_as_fresh(path, gb, tmp_path)


def test_a_small_change_to_a_large_graph_is_made_in_place(tmp_path, monkeypatch):
    """With the real share thresholds."""
    monkeypatch.setattr(qi, "MIN_UPDATE_ROWS", 1000)
    a = large_graph(400, 30)
    b = a.copy()
    _node(b, "person:新人", "person", "新来的人")
    _edge(b, "person:新人", "event:论坛3", "attended", participation=["发言"])
    _edge(b, "event:论坛4", "event:论坛3", "part_of")       # everyone at 论坛4 now shares 论坛3
    b.nodes["person:甲7"]["label"] = "改了名的人"
    path = update(a, b, tmp_path)
    assert_same_as_fresh(path, b, tmp_path)


def test_a_large_change_is_written_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(qi, "MIN_UPDATE_ROWS", 1000)
    a = large_graph(400, 30)
    b = large_graph(400, 31)      # most persons attend other events
    path = update(a, b, tmp_path, in_place=False)
    assert 'large: ' in qi.LAST_WRITE["why"], qi.LAST_WRITE
    assert_same_as_fresh(path, b, tmp_path)


# ---------------------------------------------------------------- files that are not to be trusted

def test_a_file_that_is_no_database_is_written_whole(tmp_path, in_place):
    path = tmp_path / INDEX_NAME
    path.write_bytes(b"not a database at all" * 1000)
    write_query_index(nested_graph(), path)
    assert 'DatabaseError: file is not a database' in qi.LAST_WRITE["why"], qi.LAST_WRITE
    assert_same_as_fresh(path, nested_graph(), tmp_path)


def test_a_truncated_index_is_written_whole(tmp_path, in_place):
    a = large_graph(400, 30)
    path = tmp_path / INDEX_NAME
    write_query_index(a, path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    b = a.copy()
    b.nodes["person:甲7"]["label"] = "改了名的人"
    inode = path.stat().st_ino
    write_query_index(b, path)
    assert 'malformed' in qi.LAST_WRITE["why"], qi.LAST_WRITE
    assert path.stat().st_ino != inode
    assert_same_as_fresh(path, b, tmp_path)


def test_a_foreign_database_is_written_whole(tmp_path, in_place):
    path = tmp_path / INDEX_NAME
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    con.execute("CREATE TABLE photos (id INTEGER)")
    con.commit()
    con.close()
    write_query_index(nested_graph(), path)
    assert 'schema None' in qi.LAST_WRITE["why"], qi.LAST_WRITE
    assert_same_as_fresh(path, nested_graph(), tmp_path)


@pytest.mark.parametrize("key, value, why", [("schema", "1", "schema 1"), ("schema", "2", "schema 2"),
                                            ("code", "x", "written by other code"),
                                            ("nodes", "3", "digests and counts disagree")])
def test_an_index_of_another_version_or_that_does_not_add_up_is_written_whole(tmp_path, in_place, key, value, why):
    a = nested_graph()
    path = tmp_path / INDEX_NAME
    write_query_index(a, path)
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    con.commit()
    con.close()
    b = a.copy()
    add_person(b)
    inode = path.stat().st_ino
    write_query_index(b, path)
    assert path.stat().st_ino != inode
    assert qi.LAST_WRITE["why"] == why
    assert_same_as_fresh(path, b, tmp_path)


def test_an_index_of_the_first_schema_is_written_whole(tmp_path, in_place):
    """Schema 1: edges numbered by seq, no digests."""
    path = tmp_path / INDEX_NAME
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema', '1');
        CREATE TABLE edges (seq INTEGER PRIMARY KEY, u TEXT, v TEXT, key TEXT, relation TEXT, attrs TEXT);
    """)
    con.close()
    write_query_index(nested_graph(), path)
    assert 'schema 1' in qi.LAST_WRITE["why"], qi.LAST_WRITE
    assert_same_as_fresh(path, nested_graph(), tmp_path)


def test_a_mostly_empty_file_is_compacted(tmp_path, monkeypatch):
    monkeypatch.setattr(qi, "MIN_UPDATE_ROWS", 1000)
    a = large_graph(400, 30)
    path = tmp_path / INDEX_NAME
    write_query_index(a, path)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE filler (x BLOB)")
    con.execute("INSERT INTO filler VALUES (zeroblob(20000000))")
    con.commit()
    con.execute("DROP TABLE filler")     # its pages are free now: most of the file
    con.commit()
    con.close()
    b = a.copy()
    _edge(b, "person:甲1", "event:论坛9", "attended")
    inode = path.stat().st_ino
    write_query_index(b, path)
    assert 'pages free' in qi.LAST_WRITE["why"], qi.LAST_WRITE
    assert path.stat().st_ino != inode
    assert_same_as_fresh(path, b, tmp_path)


# ---------------------------------------------------------------- failures and readers

def test_a_failure_midway_leaves_the_old_index(tmp_path, in_place, monkeypatch):
    a, b = nested_graph(), nested_graph()
    add_person(b)
    remove_attendance(b)
    path = tmp_path / INDEX_NAME
    write_query_index(a, path)
    before = tables(path)
    real_apply, calls = qi._apply, []

    def failing_apply(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:      # names are updated by now, the edges not
            raise RuntimeError("disk on fire")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(qi, "_apply", failing_apply)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_query_index(b, path)
    assert calls == ["names", "edges"]
    assert tables(path) == before
    assert answers(path, a) == answers_of_fresh(a, tmp_path)
    monkeypatch.setattr(qi, "_apply", real_apply)
    write_query_index(b, path)
    assert_same_as_fresh(path, b, tmp_path)


def answers_of_fresh(g: nx.MultiDiGraph, tmp_path: Path) -> dict:
    fresh = tmp_path / "fresh_a" / INDEX_NAME
    fresh.parent.mkdir(exist_ok=True)
    fresh.unlink(missing_ok=True)
    write_query_index(g, fresh)
    return answers(fresh, g)


KILLED_UPDATE = """
import os, sys
sys.path[:0] = [{root!r}, {tests!r}]
import graph.query_index as qi
from test_query_index_update import nested_graph, add_person, remove_attendance
qi.REWRITE_SHARE = qi.FREE_SHARE = float("inf")
qi.MIN_UPDATE_ROWS = 0
real = qi._apply
def apply(con, table, *args):
    # a one-page cache: what the update changes goes to the file as it goes (after the
    # original pages went to the journal), as in a large update or a commit under way
    con.execute("PRAGMA cache_size = 1")
    out = real(con, table, *args)
    if table == "edges":      # nodes, names and edges written to the file, no commit: the power goes
        os._exit(9)
    return out
qi._apply = apply
b = nested_graph()
add_person(b)
remove_attendance(b)
qi.write_query_index(b, {path!r})
"""


def test_a_build_killed_during_an_update_leaves_the_old_index(tmp_path, in_place):
    a = nested_graph()
    path = tmp_path / INDEX_NAME
    write_query_index(a, path)
    before, before_bytes = tables(path), path.read_bytes()
    script = KILLED_UPDATE.format(root=str(ROOT), tests=str(ROOT / "tests"), path=str(path))
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 9, r.stderr
    assert path.read_bytes() != before_bytes and (tmp_path / (INDEX_NAME + "-journal")).is_file()
    # a reader (read-only) sees the old index: SQLite rolls back what a killed writer left
    assert answers(path, a) == answers_of_fresh(a, tmp_path)
    assert tables(path) == before
    b = nested_graph()
    add_person(b)
    remove_attendance(b)
    write_query_index(b, path)
    assert_same_as_fresh(path, b, tmp_path)


def test_a_reader_sees_one_version_and_an_update_does_not_wait_for_it_forever(tmp_path, in_place, monkeypatch):
    monkeypatch.setattr(qi, "LOCK_WAIT", 0.2)
    a = nested_graph()
    path = tmp_path / INDEX_NAME
    write_query_index(a, path)
    reader = QueryIndex(path)
    seen = reader.coattendees("person:李思齐")
    b = a.copy()
    remove_attendance(b)
    write_query_index(b, path)       # the reader holds the file: written whole, renamed into place
    assert 'OperationalError: database is locked' in qi.LAST_WRITE["why"], qi.LAST_WRITE
    assert reader.coattendees("person:李思齐") == seen       # still the version it opened
    view = reader.node_view("person:李思齐")
    assert q.person_profile(view, "person:李思齐", coattendees=seen) == q.person_profile(a, "person:李思齐")
    reader.close()
    assert_same_as_fresh(path, b, tmp_path)
    c = b.copy()
    add_person(c)
    inode = path.stat().st_ino
    write_query_index(c, path)       # no reader now: in place
    assert path.stat().st_ino == inode
    assert_same_as_fresh(path, c, tmp_path)


def test_readers_never_see_half_an_update(tmp_path, in_place, monkeypatch):
    """A reader opened while an update is under way sees the old index; after the commit, the new."""
    a = nested_graph()
    b = a.copy()
    add_person(b)
    remove_attendance(b)
    path = tmp_path / INDEX_NAME
    write_query_index(a, path)
    inode = path.stat().st_ino
    want_old = answers_of_fresh(a, tmp_path)
    real_apply, midway, go_on = qi._apply, threading.Event(), threading.Event()

    def slow_apply(con, table, *args):
        out = real_apply(con, table, *args)
        if table == "edges":
            midway.set()
            go_on.wait(30)
        return out

    monkeypatch.setattr(qi, "_apply", slow_apply)
    writer = threading.Thread(target=write_query_index, args=(b, path))
    writer.start()
    try:
        assert midway.wait(30)
        assert answers(path, a) == want_old      # opened, read and closed during the update
    finally:
        go_on.set()
        writer.join(30)
    assert path.stat().st_ino == inode
    assert_same_as_fresh(path, b, tmp_path)


def test_a_journal_left_beside_an_unreadable_file_does_not_outlive_it(tmp_path, in_place):
    path = tmp_path / INDEX_NAME
    path.write_bytes(b"garbage" * 1000)
    journal = tmp_path / (INDEX_NAME + "-journal")
    journal.write_bytes(b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7" + b"\0" * 600)
    write_query_index(nested_graph(), path)
    assert not journal.exists()
    assert_same_as_fresh(path, nested_graph(), tmp_path)


def test_the_reader_names_the_version_it_cannot_read(tmp_path):
    path = tmp_path / INDEX_NAME
    write_query_index(nested_graph(), path)
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    con.commit()
    con.close()
    with pytest.raises(qi.QueryIndexError, match="another version"):
        QueryIndex(path)


def test_code_version_follows_the_code_the_rows_are_computed_with(tmp_path, monkeypatch):
    version = qi.code_version()
    assert qi.code_version() == version and len(version) == 32
    edited = tmp_path / "query.py"
    edited.write_bytes(Path(q.__file__).read_bytes() + b"\n# another way to fold names\n")
    monkeypatch.setattr(q, "__file__", str(edited))
    qi.code_version.cache_clear()
    try:
        assert qi.code_version() != version
    finally:
        monkeypatch.undo()
        qi.code_version.cache_clear()
    assert qi.code_version() == version
