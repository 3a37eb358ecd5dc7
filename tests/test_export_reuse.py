"""Incremental exports (issue 5): graph.graphml, graph.gexf, graph.json, nodes.csv and edges.csv
written after a change, copying what did not change from the previous files
(graph/export/fragments.py), are byte for byte what a full write of the changed graph makes.

Each test writes a graph with reuse, changes it (records of a document added or removed, an
attribute changed, a node renamed, an attribute that changes the files' headers, ids with
XML-illegal characters, …), writes again into the same folder and compares every file with a
fresh full write of the changed graph; and checks that bytes were really copied where the
change left chunks alone. Sidecars that cannot be trusted (the output edited or replaced, the
sidecar corrupt or truncated) and a previous file that ends early give full, correct writes.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SIDECAR_DAMAGE, cut_copies_short, damage_sidecar
from explore_fixtures import _edge, _node, hostile_graph, large_graph, sample_graph
from graph.export import WRITERS, fragments, write_all
from graph.export.flatten import FlatGraph, edge_ids, flat_graph
from graph.export.gexf import write_gexf
from graph.export.graphml import graphml_bytes, write_graphml
from graph.export.json_export import write_json
from graph.export.stream import write_flat
from test_export_speed_equivalence import colliding_graph, graphs

FLAT = ["graph.graphml", "graph.gexf", "nodes.csv", "edges.csv"]
REUSED = [*FLAT, "graph.json"]
BY_WRITE_ALL = [*REUSED, "coattendance.graphml"]   # write_all's files with sidecars (tests/test_coattendance_reuse.py)


def write_five(g: nx.MultiDiGraph, out: Path, reuse: bool) -> None:
    """The five files, as write_all writes them (the shared pass, then graph.json)."""
    write_flat(g, {name: out / name for name in FLAT}, reuse=reuse)
    write_json(g, out / "graph.json", reuse=reuse)


def full(g: nx.MultiDiGraph, out: Path) -> dict[str, bytes]:
    write_five(g, out, reuse=False)
    return {name: (out / name).read_bytes() for name in REUSED}


def assert_same(out: Path, want: dict[str, bytes]) -> None:
    for name, data in want.items():
        assert (out / name).read_bytes() == data, name


def rewrite(old: nx.MultiDiGraph, new: nx.MultiDiGraph, tmp_path: Path, written: dict) -> dict[str, tuple[int, int]]:
    """Write `old` then `new` with reuse into one folder; the files must be `new`'s full write.
    Returns what each file copied and rendered the second time."""
    out = tmp_path / "out"
    shutil.rmtree(out, ignore_errors=True)
    write_five(old, out, reuse=True)
    written.clear()
    write_five(new, out, reuse=True)
    assert sorted(written) == sorted(REUSED)
    assert_same(out, full(new, tmp_path / "full"))
    shutil.rmtree(tmp_path / "full")
    return dict(written)


# ---------------------------------------------------------------- documents added and removed

@pytest.fixture(scope="module")
def seed_records() -> list:
    from graph.runner import extract_all, read_all
    from seed_text import SEEDS

    docs, _ = read_all([SEEDS])
    return sorted(extract_all(docs), key=lambda r: r.doc)


def test_a_document_added_then_removed(seed_records, tmp_path, written):
    from graph.build import build_graph

    fewer, more = build_graph(seed_records[:-1]), build_graph(seed_records)
    assert more.number_of_edges() > fewer.number_of_edges()
    out = tmp_path / "out"
    (out / fragments.CACHE_DIRNAME).mkdir(parents=True)   # as a build with its cache in the output folder
    write_all(fewer, out, jobs=1)
    for g in (more, fewer):   # the build after adding an article, then after removing it again
        written.clear()
        write_all(g, out, jobs=1)
        assert_same(out, full(g, tmp_path / "full"))
        # five articles: a fifth of the graph changes, and most chunks with it; some are copied
        assert sorted(written) == sorted(BY_WRITE_ALL) and sum(c for c, _r in written.values()) > 0, written


def test_reuse_copies_most_of_a_large_graph_after_a_small_change(tmp_path, written):
    old = large_graph(3000, 150)
    new = old.copy()
    _node(new, "person:新人", "person", "新来的人", docs=["new.txt"])
    _edge(new, "person:新人", "event:论坛7", "attended", "new.txt", "新来的人出席。", participation=["致辞"])
    new.nodes["person:甲42"]["docs"] = ["a.txt", "new.txt"]
    for name, (copied, rendered) in rewrite(old, new, tmp_path, written).items():
        assert rendered < copied / 10, (name, copied, rendered)   # a few chunks rendered, the rest copied


# ---------------------------------------------------------------- changes of every kind

def _relabel(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    return nx.relabel_nodes(g, {"person:甲5": "person:乙5"}, copy=True)


def _remove_node(g):
    g.remove_node("person:甲17")
    return g


def _edge_attribute(g):
    g.edges["person:甲3", "event:论坛3", "attended"]["participation"] = ["主持", "致辞"]
    return g


def _label(g):
    g.nodes["event:论坛2"]["label"] = "改过名的论坛 & <会议>"
    return g


def _new_attribute_type(g):
    # a new int attribute: a new GraphML key and a new GEXF attribute id (every GEXF id after it moves)
    g.nodes["person:甲8"]["score"] = 3
    g.edges["person:甲9", "event:论坛9", "attended"]["weight_"] = 2.5
    return g


def _graph_attribute(g):
    g.graph["note"] = "第二版"
    return g


def _illegal_ids(g):
    # ids that lose characters in the files: flat ids differ from ids, two of them merge
    _node(g, "person:坏\x01名", "person", "坏名")
    _node(g, "person:坏名", "person", "坏名二")
    _edge(g, "person:坏\x01名", "event:论坛1", "attended", "x.txt", "坏名\x02出席。")
    _edge(g, "person:坏名", "event:论坛1", "attended", "x.txt")
    return g


def _parallel_keys(g):
    # keys whose text is the same: their ids collide and are resolved
    g.add_edge("person:甲1", "event:论坛1", key=1, relation="knows")
    g.add_edge("person:甲1", "event:论坛1", key="1", relation="knows")
    return g


def _all_edges_removed(g):
    g.remove_edges_from(list(g.edges(keys=True)))
    return g


CHANGES = [_relabel, _remove_node, _edge_attribute, _label, _new_attribute_type, _graph_attribute, _illegal_ids,
           _parallel_keys, _all_edges_removed]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__.strip("_"))
def test_changed_graph_same_bytes_as_a_full_write(change, tmp_path, written):
    old = large_graph(400, 30)
    new = change(old.copy())
    rewrite(old, new, tmp_path, written)
    rewrite(new, old, tmp_path, written)   # and the change undone


def test_odd_graphs(tmp_path, written):
    rewrite(sample_graph(), hostile_graph(), tmp_path, written)
    rewrite(hostile_graph(), colliding_graph(), tmp_path, written)
    rewrite(colliding_graph(), nx.MultiDiGraph(), tmp_path, written)
    rewrite(nx.MultiDiGraph(), sample_graph(), tmp_path, written)


@st.composite
def changed(draw):
    """A random graph and a random change of it."""
    g = draw(graphs())
    new = g.copy()
    nodes = sorted(new.nodes, key=str)
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["drop_node", "drop_edge", "attr", "add"]))
        if what == "drop_node" and len(nodes) > 1:
            new.remove_node(nodes.pop(draw(st.integers(0, len(nodes) - 1))))
        elif what == "drop_edge" and new.number_of_edges():
            edges = sorted(new.edges(keys=True), key=str)
            new.remove_edge(*edges[draw(st.integers(0, len(edges) - 1))])
        elif what == "attr" and nodes:
            n = nodes[draw(st.integers(0, len(nodes) - 1))]
            new.nodes[n][draw(st.sampled_from(["label", "extra", "docs"]))] = draw(st.sampled_from(["x", 1, ["a", "b"], "\x01y"]))
        elif nodes:
            u = nodes[draw(st.integers(0, len(nodes) - 1))]
            new.add_edge(u, nodes[0], key=draw(st.sampled_from(["attended", 0, "新"])), relation="attended")
    return g, new


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                  HealthCheck.function_scoped_fixture])
@given(changed())
def test_random_changes_same_bytes_as_a_full_write(tmp_path, written, pair):
    old, new = pair
    rewrite(old, new, tmp_path, written)


# ---------------------------------------------------------------- what cannot be trusted

def _two_builds(tmp_path):
    old = large_graph(400, 30)
    new = _label(old.copy())
    out = tmp_path / "out"
    write_five(old, out, reuse=True)
    return out, new, full(new, tmp_path / "full")


@pytest.mark.parametrize("how", ["edited in place", "same size, mtime put back", "replaced", "removed"])
def test_an_output_touched_since_is_written_in_full(tmp_path, how, written):
    out, new, want = _two_builds(tmp_path)
    for name in REUSED:
        f = out / name
        if how == "removed":
            f.unlink()
            continue
        st_before = f.stat()
        data = bytearray(f.read_bytes())
        data[len(data) // 2] ^= 0x20   # one character changed, size kept
        if how == "replaced":
            tmp = f.with_name(name + ".new")
            tmp.write_bytes(bytes(data))
            os.replace(tmp, f)
        else:
            with open(f, "r+b") as fh:
                fh.write(bytes(data))
            if how == "same size, mtime put back":
                os.utime(f, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))   # the ctime still tells
    write_five(new, out, reuse=True)
    assert_same(out, want)
    assert all(written[name][0] == 0 for name in REUSED), written


@pytest.mark.parametrize("how", SIDECAR_DAMAGE)
def test_a_sidecar_that_cannot_be_trusted_means_a_full_write(tmp_path, how, written):
    out, new, want = _two_builds(tmp_path)
    for name in REUSED:
        damage_sidecar(fragments.sidecar_path(out / name), how)
    write_five(new, out, reuse=True)
    assert_same(out, want)
    assert all(written[name][0] == 0 for name in REUSED), written
    write_five(new, out, reuse=True)   # the sidecars written this time are good again
    assert all(written[name][1] < written[name][0] for name in REUSED), written


def test_a_previous_file_ending_early_costs_a_second_pass(tmp_path, monkeypatch):
    out, new, want = _two_builds(tmp_path)
    calls = cut_copies_short(monkeypatch)
    write_five(new, out, reuse=True)
    assert calls
    assert_same(out, want)
    assert not [p for p in out.rglob("*.tmp")]


def test_without_kernel_copy_the_bytes_are_read_and_written(tmp_path, monkeypatch, written):
    out, new, want = _two_builds(tmp_path)

    def unsupported(*a, **k):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", unsupported, raising=False)
    write_five(new, out, reuse=True)
    assert_same(out, want)
    assert all(written[name][0] > 0 for name in REUSED), written


def test_reuse_off_reads_no_sidecar(tmp_path, monkeypatch, written):
    out, new, want = _two_builds(tmp_path)
    exports = out / fragments.CACHE_DIRNAME / fragments.EXPORTS_DIRNAME
    before = {p.name: p.read_bytes() for p in exports.iterdir()}

    def refuse(*a, **k):
        raise AssertionError("a sidecar was read with reuse off")

    with monkeypatch.context() as m:
        m.setattr(fragments.Previous, "load", refuse)
        write_all(new, out, jobs=1, reuse=False)
    assert_same(out, want)
    assert {p.name: p.read_bytes() for p in exports.iterdir()} == before   # nothing written there either
    write_five(_label(new), out, reuse=True)   # the sidecars no longer match their files: not trusted
    assert all(written[name][0] == 0 for name in REUSED), written
    assert_same(out, full(_label(new), tmp_path / "again"))


def test_write_all_reuses_where_the_build_keeps_its_cache(tmp_path, monkeypatch):
    loads = []
    real = fragments.Previous.load
    monkeypatch.setattr(fragments.Previous, "load", lambda *a: loads.append(a) or real(*a))
    write_all(sample_graph(), tmp_path / "plain", jobs=1)
    assert not (tmp_path / "plain" / fragments.CACHE_DIRNAME).exists() and not loads
    (tmp_path / "built" / fragments.CACHE_DIRNAME).mkdir(parents=True)
    write_all(sample_graph(), tmp_path / "built", jobs=1)
    assert len(loads) == len(BY_WRITE_ALL)
    assert fragments.sidecar_path(tmp_path / "built" / "graph.json").exists()


# ---------------------------------------------------------------- write_all and the single writers

def test_write_all_with_two_processes_reuses_too(tmp_path):
    old = large_graph(400, 30)
    new = _illegal_ids(_label(old.copy()))
    write_all(old, tmp_path / "two", jobs=2, reuse=True)
    write_all(new, tmp_path / "two", jobs=2, reuse=True)
    write_all(new, tmp_path / "one", jobs=1, reuse=False)
    for name in WRITERS:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    sidecars = sorted(p.name for p in (tmp_path / "two" / fragments.CACHE_DIRNAME / fragments.EXPORTS_DIRNAME).iterdir())
    assert sidecars == sorted(f"{name}.fragments" for name in REUSED)


def test_single_writers(tmp_path, written):
    old, new = large_graph(300, 20), _label(large_graph(300, 20))
    path = tmp_path / "g.graphml"
    write_graphml(old, path)   # reuse is off by default for a writer alone: no hidden folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.graphml"]
    write_graphml(old, path, reuse=True)
    write_graphml(new, path, reuse=True)
    assert path.read_bytes() == graphml_bytes(new)
    assert written["g.graphml"][0] > 0
    write_gexf(new, tmp_path / "g.gexf", reuse=True)
    assert fragments.sidecar_path(tmp_path / "g.gexf").exists()


def test_the_cache_folder_is_the_builds():
    from graph.cache import CACHE_DIRNAME

    assert fragments.CACHE_DIRNAME == CACHE_DIRNAME


# ---------------------------------------------------------------- stable edge ids

def _ids(g: nx.MultiDiGraph) -> dict:
    fg = FlatGraph(g)
    return {(u, v, k): i for (u, v, k, _d), i in zip(fg.sorted_edges(), fg.edge_ids())}


def test_edge_ids_are_unique_compact_and_kept_across_builds(seed_records):
    from graph.build import build_graph

    fewer, more = _ids(build_graph(seed_records[:-1])), _ids(build_graph(seed_records))
    for ids in (fewer, more):
        assert len(set(ids.values())) == len(ids)
        assert all(re.fullmatch(r"e[0-9a-f]{16}", i) for i in ids.values())
    kept = fewer.keys() & more.keys()
    assert kept and all(fewer[e] == more[e] for e in kept)
    # the reference writers (flat_graph, networkx) use the same ids
    flat = flat_graph(build_graph(seed_records))
    assert sorted(k for _u, _v, k in flat.edges(keys=True)) == sorted(more.values())


def test_colliding_edge_ids_are_resolved_the_same_way_every_time(monkeypatch):
    g = nx.MultiDiGraph()
    g.add_edge("a", "b", key=1)
    g.add_edge("a", "b", key="1")   # the same text as 1: the same first hash
    g.add_edge("a", "c", key="x")
    ids = _ids(g)
    assert len(set(ids.values())) == 3
    shuffled = nx.MultiDiGraph()
    for u, v, k in reversed(list(g.edges(keys=True))):
        shuffled.add_edge(u, v, key=k)
    assert set(_ids(shuffled).values()) == set(ids.values())

    import graph.export.flatten as flatten

    real = flatten.hashlib.blake2b

    class Colliding:   # every first-round hash the same: a collision for every pair
        def __init__(self, data, digest_size):
            self.h = real(data if b"#" in data else b"same", digest_size=digest_size)   # rounds: "#<n>"

        def hexdigest(self):
            return self.h.hexdigest()

    monkeypatch.setattr(flatten.hashlib, "blake2b", Colliding)
    edges = [("a", "b", "x", {}), ("a", "c", "y", {}), ("b", "c", "z", {})]
    got = edge_ids(edges)
    assert len(set(got)) == 3 and got == edge_ids(edges)
    assert got[0] == "e" + real(b"same", digest_size=8).hexdigest()   # the first keeps its hash


# ---------------------------------------------------------------- chunks

def test_cuts_move_only_near_a_change():
    import hashlib

    hexes = [hashlib.blake2b(str(i).encode(), digest_size=8).hexdigest() for i in range(5000)]
    ends = fragments.cuts(hexes, 64)
    assert ends[-1] == 5000 and 40 < len(ends) < 120
    inserted = hexes[:2500] + ["ffff"] + hexes[2500:]
    moved = set(fragments.cuts(inserted, 64))
    shifted = {e + 1 if e > 2500 else e for e in ends}
    assert len(shifted - moved) <= 1   # at most the chunk holding the new element changed
