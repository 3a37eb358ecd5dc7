"""Extraction on a Dask cluster gives the graph a single process gives."""
from __future__ import annotations

import builtins
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph import cache as cache_mod
from graph.cli import cli
from graph.distributed import INSTALL_HINT, extract_dask
from graph.runner import read_all, run_build
from seed_text import SEEDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single")
    run_build([SEEDS], out, cache=False)
    return out


def test_dask_cluster_writes_the_same_graphml(cluster, single, tmp_path):
    messages: list[str] = []
    report = run_build([SEEDS], tmp_path, cache=False, scheduler=cluster.scheduler_address,
                       progress=messages.append)
    assert report.documents == 5
    assert "extracted 5/5 documents (dask)" in messages
    assert (tmp_path / "graph.graphml").read_bytes() == (single / "graph.graphml").read_bytes()


def test_results_from_other_extraction_code_are_refused(cluster, monkeypatch):
    docs, _ = read_all([SEEDS])
    monkeypatch.setattr(cache_mod, "pipeline_version", lambda: "not what the workers run")
    with pytest.raises(RuntimeError, match="different extraction code"):
        extract_dask(docs[:1], "lac", lambda i, r: None, scheduler=cluster.scheduler_address)


def test_without_dask_one_line_says_how_to_install(tmp_path, monkeypatch):
    real = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "dask" or name.startswith("dask."):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    for mod in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
        monkeypatch.delitem(sys.modules, mod)
    r = CliRunner().invoke(cli, ["build", str(SEEDS), "--out", str(tmp_path), "-q", "--no-cache", "--workers", "2"])
    assert r.exit_code != 0
    assert r.output.strip() == f"Error: {INSTALL_HINT}"


def test_scheduler_and_workers_together_are_refused(tmp_path):
    r = CliRunner().invoke(cli, ["build", str(SEEDS), "--out", str(tmp_path), "-q",
                                 "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"])
    assert r.exit_code != 0
    assert "either --scheduler or --workers" in r.output


def test_unreachable_scheduler_is_one_line(tmp_path, monkeypatch):
    pytest.importorskip("dask.distributed")
    from graph import distributed

    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", "2s")
    r = CliRunner().invoke(cli, ["build", str(SEEDS), "--out", str(tmp_path), "-q", "--no-cache",
                                 "--scheduler", "tcp://127.0.0.1:1"])
    assert r.exit_code == 1
    assert r.output.startswith("Error: cannot reach the Dask scheduler at tcp://127.0.0.1:1")
    assert len(r.output.strip().splitlines()) == 1
