"""`forumgraph build seeds/` end to end: the files a user gets, read back by networkx."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from extractors.normalize import fold
from seed_text import SEEDS, seed_path

pytestmark = pytest.mark.slow
FORUMGRAPH = [sys.executable, "-m", "graph.cli"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("out")
    proc = subprocess.run(FORUMGRAPH + ["build", str(SEEDS), "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=600)
    return proc, out


@pytest.fixture(scope="module")
def graph(built) -> nx.MultiDiGraph:
    return nx.read_graphml(built[1] / "graph.graphml", force_multigraph=True)


def test_build_exits_zero_and_writes_graphml(built):
    proc, out = built
    assert proc.returncode == 0, proc.stderr
    assert (out / "graph.graphml").stat().st_size > 0
    assert "5 documents" in proc.stdout


def test_every_node_has_kind_and_label(graph):
    assert graph.number_of_nodes() > 0
    for n, d in graph.nodes(data=True):
        assert d.get("kind") in {"person", "organization", "event"}, n
        assert d.get("label"), n


def test_edge_ids_are_unique(built):
    import xml.etree.ElementTree as ET

    root = ET.parse(built[1] / "graph.graphml").getroot()
    ids = [e.get("id") for e in root.iter("{http://graphml.graphdrawing.org/xmlns}edge")]
    assert ids and None not in ids
    assert len(ids) == len(set(ids))


def _persons(graph: nx.MultiDiGraph, name: str) -> list[str]:
    return [n for n, d in graph.nodes(data=True) if d["kind"] == "person" and fold(d["label"]) == name]


def test_persons_of_001_and_004_are_single_nodes(graph):
    both = 0
    for n, d in graph.nodes(data=True):
        if d["kind"] != "person":
            continue
        docs = set(d["docs"].split("|"))
        if {seed_path("001").name, seed_path("004").name} <= docs:
            both += 1
    assert both >= 5   # the two articles report one conference and its speakers
    for name in ("程和平", "徐涛", "肖瑞平", "吉训明", "谭丽霞", "程涛"):
        assert len(_persons(graph, name)) == 1, name


def test_traditional_and_simplified_spelling_is_one_person(graph):
    nodes = _persons(graph, "侯岩")
    assert len(nodes) == 1
    d = graph.nodes[nodes[0]]
    assert {seed_path("000").name, seed_path("002").name} <= set(d["docs"].split("|"))
    # both spellings are known: one as the label, the other as an alias
    assert {"侯巖", "侯岩"} <= {d["label"], *d.get("aliases", "").split("|")}


def test_cli_runner_build(tmp_path):
    # the in-process entry point gives the same result as the subprocess
    from click.testing import CliRunner

    from graph.cli import cli

    result = CliRunner().invoke(cli, ["build", str(seed_path("002")), "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    g = nx.read_graphml(tmp_path / "graph.graphml", force_multigraph=True)
    assert _persons(g, "侯岩")


def test_the_build_command_leaves_its_garbage_to_the_system_at_exit(tmp_path):
    # the built graph is garbage in reference cycles; the interpreter's last collection would
    # walk all of it for nothing. The command freezes what is left when the process exits.
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        "from graph.cli import cli\n"
        f"cli(['build', {str(seed_path('000'))!r}, '--out', {str(tmp_path / 'out')!r}, '-q', '--no-cache'],"
        " standalone_mode=False)\n"
        "print('frozen after the build:', gc.get_freeze_count() > 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-2:] == ["frozen after the build: False", "frozen at exit: True"]
    assert (tmp_path / "out" / "graph.graphml").is_file()
