"""The exploring tools on the real seed corpus: exports read back, queries answer, the page draws."""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph.cli import cli
from graph.load import load_graph

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("extractors.pipeline") is None, reason="no extraction pipeline yet"),
]


@pytest.fixture(scope="module")
def seeds_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seeds-out")
    result = CliRunner().invoke(cli, ["build", str(ROOT / "seeds"), "--out", str(out), "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_every_export_written_and_loadable(seeds_out):
    for name in ("graph.graphml", "graph.gexf", "graph.json", "nodes.csv", "edges.csv", "coattendance.graphml", "graph.html"):
        assert (seeds_out / name).stat().st_size > 0, name
    from_json, from_graphml = load_graph(seeds_out / "graph.json"), load_graph(seeds_out / "graph.graphml")
    assert sorted(from_json.nodes) == sorted(from_graphml.nodes)
    assert from_json.number_of_edges() == from_graphml.number_of_edges() > 0
    assert {k for _, k in from_json.nodes(data="kind")} == {"person", "organization", "event"}


def test_graphology_reads_seed_exports(seeds_out):
    from test_export_formats import _node_client

    g = load_graph(seeds_out / "graph.json")
    for fmt, name in (("graphml", "graph.graphml"), ("gexf", "graph.gexf")):
        got = _node_client(fmt, seeds_out / name)
        assert len(got["nodes"]) == g.number_of_nodes() and len(got["edges"]) == g.number_of_edges()


def test_queries_on_seeds(seeds_out):
    run = lambda *a: CliRunner().invoke(cli, ["query", str(seeds_out), *a], catch_exceptions=False)  # noqa: E731
    pairs = json.loads(run("coattend", "--format", "json").output)
    assert pairs and all(p["shared"] >= 1 for p in pairs)
    top_person = json.loads(run("top", "--by", "events", "--kind", "person", "--format", "json").output)[0]
    assert run("person", top_person["label"]).exit_code == 0
    top_event = json.loads(run("top", "--kind", "event", "--format", "json").output)[0]
    event = json.loads(run("event", top_event["id"], "--format", "json").output)
    assert event["roster"]
    assert run("communities").exit_code == 0
    assert run("between", pairs[0]["a_id"], pairs[0]["b_id"]).exit_code == 0


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_seed_page_draws_offline(seeds_out, tmp_path):
    pytest.importorskip("websocket")
    from test_html_browser import Browser, open_page, screenshot

    browser = Browser(str(tmp_path / "profile"))
    try:
        url = open_page(browser, seeds_out / "graph.html")
        assert browser.js("document.querySelectorAll('#network canvas').length") >= 1
        screenshot(browser, tmp_path / "seeds.png")
        assert [u for u in browser.requests() if u != url and not u.startswith("data:")] == []
    finally:
        browser.close()
