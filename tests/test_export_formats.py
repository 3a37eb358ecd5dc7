"""Every export format: deterministic, complete, and readable by the clients people use."""
from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pytest

from explore_fixtures import hostile_graph, sample_graph
from graph.export import WRITERS, write_all
from graph.export.flatten import flat_graph
from graph.load import GraphFileError, load_graph

JS_DIR = Path(__file__).parent / "js"
EXPORTS = ["graph.graphml", "graph.gexf", "graph.json", "nodes.csv", "edges.csv", "coattendance.graphml"]


def test_all_formats_registered():
    for name in EXPORTS:
        assert name in WRITERS


@pytest.mark.parametrize("make", [sample_graph, hostile_graph])
def test_same_input_same_bytes(tmp_path, make):
    write_all(make(), tmp_path / "one")
    # a graph built in another insertion order must give the same files
    g = make()
    shuffled = nx.MultiDiGraph()
    for n in sorted(g.nodes, reverse=True):
        shuffled.add_node(n, **g.nodes[n])
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2]), reverse=True):
        shuffled.add_edge(u, v, key=k, **d)
    write_all(shuffled, tmp_path / "two")
    for name in WRITERS:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_no_temporary_files_left(tmp_path):
    write_all(sample_graph(), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(WRITERS)
    write_all(sample_graph(), tmp_path, reuse=True)
    write_all(sample_graph(), tmp_path, reuse=True)   # the second time reusing the first's files
    # the outputs, and the hidden folder of the previous files' fragment indexes (fragments.py)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*WRITERS, ".forumgraph-cache"])
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_json_round_trip_keeps_lists(tmp_path):
    g = sample_graph()
    write_all(g, tmp_path)
    back = load_graph(tmp_path / "graph.json")
    assert sorted(back.nodes) == sorted(g.nodes)
    for n in g.nodes:
        assert back.nodes[n] == g.nodes[n]
    assert sorted((u, v, d["relation"]) for u, v, d in back.edges(data=True)) == \
        sorted((u, v, d["relation"]) for u, v, d in g.edges(data=True))
    e = back.get_edge_data("person:陈明远", "event:2031未来城市论坛")["attended"]
    assert e["participation"] == ["致辞"] and e["evidence"][0]["doc"] == "trad.txt"


def test_graphml_round_trip_restores_lists(tmp_path):
    g = sample_graph()
    write_all(g, tmp_path)
    back = load_graph(tmp_path / "graph.graphml")
    assert back.nodes["org:星河大学"]["aliases"] == ["星大", "星河大學"]
    assert back.nodes["person:陈明远"]["evidence"] == g.nodes["person:陈明远"]["evidence"]
    assert back.get_edge_data("person:陈明远", "org:星河大学")["holds_role"]["title"] == "校长|党委副书记"
    assert back.nodes["event:智能制造分论坛"]["minor"] is False
    # a folder means its graph.json first
    assert load_graph(tmp_path).number_of_edges() == g.number_of_edges()


def test_graphml_with_entities_is_refused(tmp_path):
    bomb = tmp_path / "bomb.graphml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE g [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed">'
                    '<node id="&b;"/></graph></graphml>')
    with pytest.raises(GraphFileError):
        load_graph(bomb)
    with pytest.raises(GraphFileError):
        load_graph(tmp_path / "missing.graphml")


def test_csv_is_gephi_spreadsheet_layout(tmp_path):
    g = hostile_graph()
    write_all(g, tmp_path)
    nodes = list(csv.DictReader(io.StringIO((tmp_path / "nodes.csv").read_text(encoding="utf-8"))))
    edges = list(csv.DictReader(io.StringIO((tmp_path / "edges.csv").read_text(encoding="utf-8"))))
    assert list(nodes[0])[:2] == ["Id", "Label"]
    assert list(edges[0])[:5] == ["Source", "Target", "Type", "Id", "Label"]
    assert sorted(r["Id"] for r in nodes) == sorted(g.nodes)
    assert len(edges) == g.number_of_edges()
    assert len({r["Id"] for r in edges}) == len(edges)        # Gephi drops repeated edge ids
    ids = {r["Id"] for r in nodes}
    assert all(r["Source"] in ids and r["Target"] in ids for r in edges)
    chen = next(r for r in nodes if r["Id"] == "person:陈明远")
    assert chen["Label"] == "陳明遠" and chen["Kind"] == "person" and chen["Aliases"] == "陈明远"
    assert json.loads(chen["Evidence"])[0]["sentence"] == "星河大學校長陳明遠致辭。"


def test_coattendance_projection(tmp_path):
    write_all(sample_graph(), tmp_path)
    proj = nx.read_graphml(tmp_path / "coattendance.graphml")
    assert all(proj.nodes[n]["label"] for n in proj.nodes)
    assert proj.number_of_nodes() == 4
    weights = {tuple(sorted((u, v))): d["weight"] for u, v, d in proj.edges(data=True)}
    # sub-forum attendance counts for the forum; a shared sub-forum is not counted twice
    assert weights[("person:李思齐", "person:陈明远")] == 2
    assert weights[("person:李思齐", "person:王晓峰")] == 1
    assert proj.edges["person:李思齐", "person:王晓峰"]["events"] == "智能制造分论坛"
    assert weights[("person:王晓峰", "person:陈明远")] == 1
    assert ("person:王晓峰", "person:赵一鸣") not in weights


def test_gexf_has_viz_colour_and_size(tmp_path):
    write_all(sample_graph(), tmp_path)
    text = (tmp_path / "graph.gexf").read_text(encoding="utf-8")
    assert "lastmodifieddate" not in text
    g = nx.read_gexf(tmp_path / "graph.gexf")
    viz = g.nodes["person:李思齐"]["viz"]
    assert viz["size"] > 10 and set(viz["color"]) >= {"r", "g", "b"}


# ---------------------------------------------------------------- real clients (graphology, as in Gephi Lite)

def _node_client(fmt: str, path: Path) -> dict:
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    if not (JS_DIR / "node_modules" / "graphology").is_dir():
        pytest.skip("tests/js/node_modules missing: run `npm ci` in tests/js")
    out = subprocess.run(["node", str(JS_DIR / "read_graph.js"), fmt, str(path)],
                         capture_output=True, text=True, encoding="utf-8", check=True)
    return json.loads(out.stdout)


def _expected(g: nx.MultiDiGraph):
    flat = flat_graph(g)
    nodes = {n: d for n, d in flat.nodes(data=True)}
    edges = {k: (u, v, d) for u, v, k, d in flat.edges(keys=True, data=True)}
    return nodes, edges


def _same(expected, got, fmt: str = "gexf") -> bool:
    # both writers put U+2028/2029 as character references, which xmldom keeps (a literal one it
    # would read as a line end), so values compare exactly
    if isinstance(expected, bool) or isinstance(got, bool):
        return str(expected).lower() == str(got).lower()
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return float(expected) == float(got)
    return str(expected) == str(got)


@pytest.mark.parametrize("make", [sample_graph, hostile_graph])
@pytest.mark.parametrize("fmt,name", [("graphml", "graph.graphml"), ("gexf", "graph.gexf")])
def test_graphology_reads_everything(tmp_path, make, fmt, name):
    g = make()
    write_all(g, tmp_path)
    got = _node_client(fmt, tmp_path / name)
    nodes, edges = _expected(g)
    assert got["type"] == "directed"
    assert {n["key"] for n in got["nodes"]} == set(nodes)
    for n in got["nodes"]:
        for attr, value in nodes[n["key"]].items():
            assert attr in n["attributes"], (n["key"], attr)
            assert _same(value, n["attributes"][attr], fmt), (n["key"], attr, value, n["attributes"][attr])
    assert len(got["edges"]) == len(edges)
    assert {e["key"] for e in got["edges"]} == set(edges)
    for e in got["edges"]:
        u, v, data = edges[e["key"]]
        assert (e["source"], e["target"]) == (u, v)
        for attr, value in data.items():
            assert attr in e["attributes"], (e["key"], attr)
            assert _same(value, e["attributes"][attr], fmt), (e["key"], attr)
    if fmt == "gexf":   # Gephi's viz data arrives as colour and size
        li = next(n for n in got["nodes"] if n["key"] == "person:李思齐")
        assert li["attributes"]["color"].startswith("rgb") and li["attributes"]["size"] > 10


def test_graphology_reads_coattendance(tmp_path):
    write_all(sample_graph(), tmp_path)
    got = _node_client("graphml", tmp_path / "coattendance.graphml")
    assert got["type"] == "undirected"
    assert len(got["nodes"]) == 4 and len(got["edges"]) == 5
    w = {tuple(sorted((e["source"], e["target"]))): e["attributes"]["weight"] for e in got["edges"]}
    assert w[("person:李思齐", "person:陈明远")] == 2
