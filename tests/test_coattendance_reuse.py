"""coattendance.graphml written after a change, copying the rows of persons whose pairs cannot
have changed from the previous file (graph/export/coattendance.py, issue 5), is byte for byte
what a full write of the changed graph makes; and only the changed persons' pairs are computed.

Each test writes a graph with reuse, changes it (a document's records added or removed, an
attendance added or removed, an event moved under a parent, a label or alias changed, random
graphs and changes, …), writes again into the same folder and compares with a fresh full write.
Files and sidecars that cannot be trusted give full, correct writes; reuse off reads and writes
nothing in the cache folder. Names are made up.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graph.query as q
from conftest import SIDECAR_DAMAGE, cut_copies_short, damage_sidecar
from explore_fixtures import _edge, _node, hostile_graph, large_graph, sample_graph
from graph.export import fragments, write_all
from graph.export.coattendance import (NAME, coattendance_bytes, coattendance_via_networkx, row_digests,
                                       write_coattendance)
from test_export_speed_equivalence import colliding_graph, graphs, text


@pytest.fixture
def computed(monkeypatch) -> list[str]:
    """The persons whose pairs were computed (`Attendance.pairs_of`) since last cleared."""
    seen: list[str] = []
    real = q.Attendance.pairs_of

    def pairs_of(self, a):
        seen.append(a)
        return real(self, a)

    monkeypatch.setattr(q.Attendance, "pairs_of", pairs_of)
    return seen


def rewrite(old: nx.MultiDiGraph, new: nx.MultiDiGraph, tmp_path: Path, computed: list | None = None) -> Path:
    """Write `old` then `new` with reuse into one file; it must be `new`'s full write."""
    want = coattendance_bytes(new)   # first: `computed` is to count the second write's pairs only
    path = tmp_path / "out" / NAME
    shutil.rmtree(path.parent, ignore_errors=True)
    path.parent.mkdir()
    write_coattendance(old, path, reuse=True)
    if computed is not None:
        computed.clear()
    write_coattendance(new, path, reuse=True)
    assert path.read_bytes() == want
    return path


def both_ways(old: nx.MultiDiGraph, new: nx.MultiDiGraph, tmp_path: Path) -> None:
    rewrite(old, new, tmp_path)
    rewrite(new, old, tmp_path)   # and the change undone


# ---------------------------------------------------------------- the full write is unchanged

def test_pairs_of_is_pairs_one_person_at_a_time():
    for g in (sample_graph(), hostile_graph(), large_graph(300, 20), colliding_graph()):
        att = q.Attendance(g)
        assert [(a, b, evs) for a in sorted(att.events) for b, evs in att.pairs_of(a)] == list(att.pairs())
        for a in att.events:   # the pairs after a, as `partners` finds them
            assert dict(att.pairs_of(a)) == {b: evs for b, evs in att.partners(a).items() if b > a and evs}
    assert q.Attendance(sample_graph()).pairs_of("person:nobody") == []


@pytest.mark.parametrize("make", [sample_graph, hostile_graph, lambda: large_graph(300, 20), colliding_graph,
                                  nx.MultiDiGraph])
def test_a_first_write_with_reuse_is_the_full_write(make, tmp_path):
    g = make()
    write_coattendance(g, tmp_path / NAME, reuse=True)
    assert (tmp_path / NAME).read_bytes() == coattendance_bytes(g) == coattendance_via_networkx(g)


# ---------------------------------------------------------------- documents added and removed

@pytest.fixture(scope="module")
def seed_records() -> list:
    from graph.runner import extract_all, read_all
    from seed_text import SEEDS

    docs, _ = read_all([SEEDS])
    return sorted(extract_all(docs), key=lambda r: r.doc)


def test_seed_documents_added_and_removed(seed_records, tmp_path, computed):
    from graph.build import build_graph

    everything = build_graph(seed_records)
    assert q.Attendance(everything).pairs()   # the seeds have co-attendance to get right
    for i in range(len(seed_records)):   # each document added to the others, then removed again
        others = build_graph(seed_records[:i] + seed_records[i + 1:])
        both_ways(others, everything, tmp_path)
    rewrite(everything, everything, tmp_path, computed)
    assert computed == []   # nothing changed: every row copied


# ---------------------------------------------------------------- changes of every kind

def _attend(g):
    _edge(g, "person:甲3", "event:论坛11", "attended", "new.txt", participation=["致辞"])
    return g


def _unattend(g):
    g.remove_edge("person:甲5", "event:论坛5", "attended")
    return g


def _new_person(g):
    _node(g, "person:甲新", "person", "新来的人", docs=["new.txt"])
    for e in (0, 7, 21):
        _edge(g, "person:甲新", f"event:论坛{e}", "attended", "new.txt")
    return g


def _remove_person(g):
    g.remove_node("person:甲17")
    return g


def _lonely_person(g):
    _node(g, "person:甲无", "person", "无会之人")   # a node, no row
    return g


def _new_event(g):
    _node(g, "event:新论坛", "event", "新的论坛", date="2031-02-02")
    for p in (2, 40, 77, 150):
        _edge(g, f"person:甲{p}", "event:新论坛", "attended", "new.txt")
    return g


def _under_a_parent(g):
    # a forum moved under another: its attendees now attended the parent too, and a pair who
    # shared both now shows the sub-forum only
    _edge(g, "event:论坛3", "event:论坛4", "part_of", "new.txt")
    return g


def _two_levels(g):
    _edge(g, "event:论坛3", "event:论坛4", "part_of", "new.txt")
    _edge(g, "event:论坛4", "event:论坛9", "part_of", "new.txt")
    return g


def _cycle(g):
    # part_of both ways: each implies the other, a pair sharing only those two shows nothing
    _edge(g, "event:论坛3", "event:论坛4", "part_of", "new.txt")
    _edge(g, "event:论坛4", "event:论坛3", "part_of", "new.txt")
    return g


def _event_label(g):
    g.nodes["event:论坛2"]["label"] = "改过名的论坛 | 分会 & <会议>\r"
    return g


def _event_label_removed(g):
    del g.nodes["event:论坛2"]["label"]   # the id shows instead
    return g


def _person_alias(g):
    g.nodes["person:甲8"]["aliases"] = ["别名甲|八", "另一个<别名>"]
    return g


def _person_label(g):
    g.nodes["person:甲9"]["label"] = "改名的人\x01"
    return g


def _participation(g):
    # an attribute the file does not show: nothing to compute again
    g.edges["person:甲3", "event:论坛3", "attended"]["participation"] = ["主持"]
    return g


def _renamed_person(g):
    return nx.relabel_nodes(g, {"person:甲5": "person:乙5"}, copy=True)


def _odd_event_ids(g):
    _node(g, "event:a|b<&>\"x\"", "event", "竖线|标签")
    _edge(g, "person:甲1", "event:a|b<&>\"x\"", "attended")
    _edge(g, "person:甲2", "event:a|b<&>\"x\"", "attended")
    return g


def _odd_person_ids(g):
    # an XML-illegal character in a person id: the networkx route, recorded nowhere
    _node(g, "person:坏\x01名", "person", "坏名")
    _edge(g, "person:坏\x01名", "event:论坛1", "attended", "x.txt")
    return g


def _no_pairs(g):
    g.remove_edges_from([e for e in g.edges(keys=True) if e[2] == "attended"])
    _edge(g, "person:甲1", "event:论坛1", "attended")   # events, but no one to share them with
    return g


def _only_the_last_pair(g):
    # every row empty but the last person's: the header's edge keys depend on that one row
    g.remove_edges_from([e for e in g.edges(keys=True) if e[2] == "attended"])
    last = sorted(n for n in g if n.startswith("person:"))[-3:]
    for p in last:
        _edge(g, p, "event:论坛1", "attended")
    _edge(g, last[-1], "event:论坛2", "attended")
    return g


def _no_persons(g):
    g.remove_nodes_from([n for n in list(g) if n.startswith("person:")])
    return g


CHANGES = [_attend, _unattend, _new_person, _remove_person, _lonely_person, _new_event, _under_a_parent, _two_levels,
           _cycle, _event_label, _event_label_removed, _person_alias, _person_label, _participation, _renamed_person,
           _odd_event_ids, _odd_person_ids, _no_pairs, _only_the_last_pair, _no_persons]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__.strip("_"))
def test_changed_graph_same_bytes_as_a_full_write(change, tmp_path):
    old = large_graph(400, 30)
    both_ways(old, change(old.copy()), tmp_path)


def test_lineage_alone_changes_the_pairs(tmp_path, computed):
    # two events with the same attendees: one moved under the other changes no attendee list and no
    # person's events, only which shared events are the most specific ones
    old = large_graph(400, 30)
    for e in ("event:主会", "event:分会"):
        _node(old, e, "event", e[6:])
        for p in ("person:甲1", "person:甲2", "person:甲3"):
            _edge(old, p, e, "attended")
    new = old.copy()
    _edge(new, "event:分会", "event:主会", "part_of")
    both_ways(old, new, tmp_path)
    rewrite(old, new, tmp_path, computed)
    assert sorted(computed) == ["person:甲1", "person:甲2", "person:甲3"]


def test_changes_one_after_another(tmp_path):
    g = large_graph(400, 30)
    path = tmp_path / NAME
    write_coattendance(g, path, reuse=True)
    for change in CHANGES:
        g = change(g.copy()) if change not in (_no_persons, _no_pairs) else g
        write_coattendance(g, path, reuse=True)
        assert path.read_bytes() == coattendance_bytes(g), change.__name__


def test_odd_graphs(tmp_path):
    for old, new in [(sample_graph(), hostile_graph()), (hostile_graph(), colliding_graph()),
                     (colliding_graph(), nx.MultiDiGraph()), (nx.MultiDiGraph(), sample_graph())]:
        both_ways(old, new, tmp_path)


# ---------------------------------------------------------------- what is computed

def test_a_one_person_change_computes_a_small_share(tmp_path, computed, written):
    old = large_graph(2400, 120)
    persons = len(q.Attendance(old).events)
    rewrite(old, _attend(old.copy()), tmp_path, computed)
    # the person's row, and those of the persons before it at the event it joined (and no other)
    at_event = [p for p in q.Attendance(old).attendees["event:论坛11"] if p < "person:甲3"]
    assert set(computed) == {"person:甲3", *at_event}
    assert len(computed) < persons / 50, (len(computed), persons)
    copied, rendered = written[NAME]
    assert rendered < copied / 20, written
    # a new person at three events sorts after all their attendees: their rows and its own
    rewrite(old, _new_person(old.copy()), tmp_path, computed)
    att = q.Attendance(old)
    assert set(computed) == {"person:甲新", *att.attendees["event:论坛0"], *att.attendees["event:论坛7"],
                             *att.attendees["event:论坛21"]}
    assert len(computed) < persons / 10


def test_joining_an_event_computes_the_rows_before_the_newcomer_only(tmp_path, computed):
    old = large_graph(400, 30)
    new = old.copy()
    _node(new, "person:甲1999", "person", "后来的人")   # sorts after most of the event's attendees
    _edge(new, "person:甲1999", "event:论坛4", "attended")
    rewrite(old, new, tmp_path, computed)
    attendees = q.Attendance(new).attendees["event:论坛4"]
    before = {p for p in attendees if p < "person:甲1999"}
    assert before and len(before) < len(attendees) - 1   # some attendees sort after the newcomer
    assert set(computed) == {*before, "person:甲1999"}
    # the hash chains: a person's digest changes only if the attendees after it changed
    d_old, d_new = row_digests(old, q.Attendance(old)), row_digests(new, q.Attendance(new))
    assert {p for p in d_new if d_old.get(p) != d_new[p]} == {*before, "person:甲1999"}


def test_nothing_changed_nothing_computed(tmp_path, computed, written):
    g = large_graph(400, 30)
    rewrite(g, g.copy(), tmp_path, computed)
    assert computed == [] and written[NAME][1] == 0


# ---------------------------------------------------------------- random graphs and changes

PERSON_PARTS = ["a", "b", "c", "甲", "乙", "x|y", "<&>", '"q"', "é", " "]
EVENT_PARTS = ["1", "2", "会", "x|y", "<&>", "\x01", "é"]
labels = st.one_of(st.none(), st.sampled_from(["", "论坛", "分|会", "&<>\r", "a\x02b", "同名"]), text)


@st.composite
def attendance(draw):
    """A random graph of persons at events (and part_of between events), sometimes on top of a
    random graph of `graphs` (other kinds, odd attributes), rarely with an XML-illegal person id."""
    g = draw(graphs()) if draw(st.booleans()) else nx.MultiDiGraph()
    ids = st.lists(st.sampled_from(PERSON_PARTS), min_size=1, max_size=2).map("".join)
    persons = [f"person:{x}" for x in draw(st.lists(ids, min_size=1, max_size=8, unique=True))]
    if draw(st.integers(0, 9)) == 0:
        persons.append("person:坏\x01")
    events = [f"event:{x}" for x in draw(st.lists(st.lists(st.sampled_from(EVENT_PARTS), min_size=1, max_size=2)
                                                  .map("".join), min_size=1, max_size=6, unique=True))]
    for p in persons:
        g.add_node(p, kind="person", label=draw(labels), aliases=draw(st.lists(text, max_size=2)))
    for e in events:
        g.add_node(e, kind="event", label=draw(labels))
    for _ in range(draw(st.integers(0, 25))):
        g.add_edge(draw(st.sampled_from(persons)), draw(st.sampled_from(events)), key="attended", relation="attended")
    for _ in range(draw(st.integers(0, 4))):
        g.add_edge(draw(st.sampled_from(events)), draw(st.sampled_from(events)), key="part_of", relation="part_of")
    return g


@st.composite
def changed(draw):
    """A random graph and a random change of it."""
    g = draw(attendance())
    new = g.copy()
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["drop_node", "drop_edge", "label", "aliases", "kind", "attend", "part_of"]))
        nodes = sorted(new.nodes, key=str)
        persons = [n for n in nodes if str(n).startswith("person:")]
        events = [n for n in nodes if str(n).startswith("event:")]
        if what == "drop_node" and len(nodes) > 1:
            new.remove_node(draw(st.sampled_from(nodes)))
        elif what == "drop_edge" and new.number_of_edges():
            new.remove_edge(*draw(st.sampled_from(sorted(new.edges(keys=True), key=str))))
        elif what == "label" and nodes:
            new.nodes[draw(st.sampled_from(nodes))]["label"] = draw(st.one_of(labels, st.sampled_from([1, 2.5, True])))
        elif what == "aliases" and persons:
            new.nodes[draw(st.sampled_from(persons))]["aliases"] = draw(st.sampled_from(["x", "y|z", "", None,
                                                                                        ["a", "b|c"], ["&<\r"]]))
        elif what == "kind" and nodes:
            new.nodes[draw(st.sampled_from(nodes))]["kind"] = draw(st.sampled_from(["person", "event", None]))
        elif what == "attend" and persons and events:
            new.add_edge(draw(st.sampled_from(persons)), draw(st.sampled_from(events)), key="attended",
                         relation="attended")
        elif what == "part_of" and events:
            new.add_edge(draw(st.sampled_from(events)), draw(st.sampled_from(events)), key="part_of",
                         relation="part_of")
    return g, new


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.function_scoped_fixture])
@given(changed())
def test_random_changes_same_bytes_as_a_full_write(tmp_path, pair):
    old, new = pair
    path = rewrite(old, new, tmp_path)
    assert path.read_bytes() == coattendance_via_networkx(new)


# ---------------------------------------------------------------- what cannot be trusted

def _two_builds(tmp_path):
    old = large_graph(400, 30)
    new = _attend(old.copy())
    path = tmp_path / NAME
    write_coattendance(old, path, reuse=True)
    return path, new


@pytest.mark.parametrize("how", ["edited in place", "same size, mtime put back", "replaced", "removed"])
def test_an_output_touched_since_is_written_in_full(tmp_path, how, written, computed):
    path, new = _two_builds(tmp_path)
    if how == "removed":
        path.unlink()
    else:
        st_before = path.stat()
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x20   # one character changed, size kept
        if how == "replaced":
            tmp = path.with_name("new.tmp")
            tmp.write_bytes(bytes(data))
            os.replace(tmp, path)
        else:
            with open(path, "r+b") as fh:
                fh.write(bytes(data))
            if how == "same size, mtime put back":
                os.utime(path, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))   # the ctime still tells
    computed.clear()
    write_coattendance(new, path, reuse=True)
    assert path.read_bytes() == coattendance_bytes(new)
    assert written[NAME][0] == 0 and len(set(computed)) == len(q.Attendance(new).events)


@pytest.mark.parametrize("how", SIDECAR_DAMAGE)
def test_a_sidecar_that_cannot_be_trusted_means_a_full_write(tmp_path, how, written):
    path, new = _two_builds(tmp_path)
    damage_sidecar(fragments.sidecar_path(path), how)
    write_coattendance(new, path, reuse=True)
    assert path.read_bytes() == coattendance_bytes(new)
    assert written[NAME][0] == 0, written
    write_coattendance(new, path, reuse=True)   # the sidecar written this time is good again
    assert written[NAME][1] == 0 < written[NAME][0], written


def test_a_previous_file_ending_early_costs_a_second_pass(tmp_path, monkeypatch):
    path, new = _two_builds(tmp_path)
    calls = cut_copies_short(monkeypatch)
    write_coattendance(new, path, reuse=True)
    assert calls and path.read_bytes() == coattendance_bytes(new)
    assert not list(tmp_path.rglob("*.tmp"))


def test_reuse_off_reads_and_writes_nothing_in_the_cache_folder(tmp_path, monkeypatch, written):
    out = tmp_path / "out"
    write_all(large_graph(400, 30), out, jobs=1, reuse=False)
    assert not (out / fragments.CACHE_DIRNAME).exists()
    path, new = _two_builds(tmp_path)
    side = fragments.sidecar_path(path)
    before = side.read_bytes()

    def refuse(*a, **k):
        raise AssertionError("a sidecar was read with reuse off")

    with monkeypatch.context() as m:
        m.setattr(fragments.Previous, "load", refuse)
        m.setattr(fragments, "save_index", refuse)
        write_coattendance(new, path)   # off by default for the writer alone
        assert path.read_bytes() == coattendance_bytes(new)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([NAME, fragments.CACHE_DIRNAME, "out"])
    assert side.read_bytes() == before
    write_coattendance(_attend(_unattend(new.copy())), path, reuse=True)   # that sidecar no longer matches
    assert written[NAME][0] == 0
    assert path.read_bytes() == coattendance_bytes(_attend(_unattend(new.copy())))


def test_write_all_reuses_it(tmp_path, written):
    old = large_graph(400, 30)
    new = _attend(old.copy())
    out = tmp_path / "out"
    (out / fragments.CACHE_DIRNAME).mkdir(parents=True)   # as a build with its cache in the output folder
    write_all(old, out, jobs=1)
    assert fragments.sidecar_path(out / NAME).exists()
    write_all(new, out, jobs=1)
    assert (out / NAME).read_bytes() == coattendance_bytes(new)
    copied, rendered = written[NAME]
    assert rendered < copied / 10, written
    write_all(new, tmp_path / "two", jobs=2, reuse=True)
    write_all(old, tmp_path / "two", jobs=2, reuse=True)
    assert (tmp_path / "two" / NAME).read_bytes() == coattendance_bytes(old)
