"""Nothing lost: a build killed at any moment leaves the previous outputs whole;
the same input gives the same bytes; XML-illegal text never reaches GraphML/GEXF;
no output escapes --out."""
from __future__ import annotations

import csv
import io
import json
import random
import shutil
import signal
import os
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pytest

from extractors.documents import Document
from graph.build import build_graph
from graph.export import WRITERS
from graph.atomic import UnsafePath, inside, write_bytes
from graph.export.gexf import gexf_bytes
from graph.export.graphml import graphml_bytes
from seed_text import SEEDS, seed_line

FORUMGRAPH = [sys.executable, "-m", "graph.cli", "build"]


def build(args: list[str], out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(FORUMGRAPH + args + ["--out", str(out), "-q"], capture_output=True, text=True, timeout=600)


def assert_whole(out: Path) -> None:
    """Every output present parses; no temp file is visible as an output."""
    for f in out.iterdir():
        # hidden entries (temp files, the extraction cache) are not outputs
        assert f.name in WRITERS or f.name.startswith("."), f.name
    for name in WRITERS:
        f = out / name
        if not f.exists():
            continue
        if name.endswith(".graphml"):
            nx.read_graphml(f)
        elif name.endswith(".gexf"):
            nx.read_gexf(f)
        elif name.endswith(".json"):
            json.loads(f.read_text(encoding="utf-8"))
        elif name.endswith(".csv"):
            rows = list(csv.reader(io.StringIO(f.read_text(encoding="utf-8"))))
            assert rows and len({len(r) for r in rows}) == 1
        elif name.endswith(".html"):
            assert f.read_text(encoding="utf-8").rstrip().endswith("</html>")


def snapshot(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in WRITERS if (out / name).exists()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The seeds twice over under distinct names: a build of some seconds."""
    d = tmp_path_factory.mktemp("corpus")
    for i in range(2):
        for f in sorted(SEEDS.glob("*.txt")):
            shutil.copy(f, d / f"c{i}_{f.name}")
    return d


@pytest.fixture(scope="module")
def full_build(corpus, tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("full")
    proc = build([str(corpus)], out)
    assert proc.returncode == 0, proc.stderr
    return snapshot(out)


@pytest.mark.slow
def test_same_corpus_in_shuffled_order_gives_identical_files(corpus, full_build, tmp_path):
    files = sorted(str(f) for f in corpus.iterdir())
    random.Random(7).shuffle(files)
    proc = build(files, tmp_path)
    assert proc.returncode == 0, proc.stderr
    again = snapshot(tmp_path)
    assert set(again) == set(full_build) == set(WRITERS)
    for name in WRITERS:
        assert again[name] == full_build[name], name


@pytest.mark.slow
def test_kill_at_random_moments_leaves_previous_outputs_whole(corpus, full_build, tmp_path):
    out = tmp_path / "out"
    # the previous build: a smaller corpus, so "old" and "new" files differ
    first = build([str(f) for f in sorted(corpus.iterdir())[:2]], out)
    assert first.returncode == 0, first.stderr
    old = snapshot(out)
    assert old != full_build
    rng = random.Random(20240411)
    for attempt in range(4):
        proc = subprocess.Popen(FORUMGRAPH + [str(corpus), "--out", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # wait for a stage to begin, then kill a random moment later: during
        # extraction for the first attempts, during the writes for the others
        # (progress lines that appear whether or not an extraction cache is used)
        stage, delay = [("read ", 2.0), ("read ", 0.5), ("wrote graph.graphml", 0.2), ("wrote graph.gexf", 0.3)][attempt]
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith(stage):
                break
        time.sleep(rng.uniform(0.0, delay))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert_whole(out)
        now = snapshot(out)
        assert set(now) == set(old)
        for name, data in now.items():
            # each file is the previous one or the complete new one, never a mix
            assert data in (old[name], full_build[name]), (attempt, name)
    # a later build cleans up what the killed ones left and completes normally
    done = build([str(corpus)], out)
    assert done.returncode == 0, done.stderr
    assert snapshot(out) == full_build
    assert not [f for f in out.iterdir() if f.name.endswith(".tmp")]


def test_write_bytes_failure_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "graph.json"
    write_bytes(target, b'{"old": true}')
    import graph.atomic as atomic

    def fail(*_a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError):
        write_bytes(target, b'{"new": ')
    assert target.read_bytes() == b'{"old": true}'
    assert [f.name for f in tmp_path.iterdir()] == ["graph.json"]


def test_stale_temp_of_a_dead_writer_is_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".graph.json.{dead.stdout.strip()}.abc123.tmp"
    stale.write_bytes(b"half")
    write_bytes(tmp_path / "graph.json", b"{}")
    assert not stale.exists()
    assert (tmp_path / "graph.json").read_bytes() == b"{}"


@pytest.fixture(scope="module")
def extractor():
    from extractors.pipeline import Extractor

    return Extractor()


def hostile_graph(extractor) -> nx.MultiDiGraph:
    # bypass the reader (which blanks controls) to test the exporters' own guard
    line = seed_line("002", "热利科·布迪米尔")
    i = line.index("波黑塞族")
    hostile = line[:i] + "\x00\x01\x08\x0b\x0c\x1b\ufffe" + line[i:] + "\x7f\n" + line
    records = extractor(Document(id="bad\x01id.txt", text=hostile, title="标题\x02"))
    g = build_graph([records])
    # the hostile characters did reach the in-memory graph (ids, evidence sentences)
    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from strings(v)

    assert any("\x01" in text for _, d in g.nodes(data=True) for text in strings(d))
    return g


ILLEGAL = (b"\x00", b"\x01", b"\x08", b"\x0b", b"\x0c", b"\x1b", "\ufffe".encode())


def test_xml_illegal_text_never_reaches_graphml(extractor, tmp_path):
    g = hostile_graph(extractor)
    data = graphml_bytes(g)
    assert not any(c in data for c in ILLEGAL)
    (tmp_path / "g.graphml").write_bytes(data)
    assert nx.read_graphml(tmp_path / "g.graphml").number_of_nodes() == g.number_of_nodes()


def test_xml_illegal_text_never_reaches_gexf(extractor, tmp_path):
    g = hostile_graph(extractor)
    data = gexf_bytes(g)
    assert not any(c in data for c in ILLEGAL)
    (tmp_path / "g.gexf").write_bytes(data)
    assert nx.read_gexf(tmp_path / "g.gexf").number_of_nodes() == g.number_of_nodes()


@pytest.mark.slow
def test_build_from_article_with_control_characters(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    line = seed_line("002", "热利科·布迪米尔")
    (inp / "ctl.txt").write_text("\x01" + line.replace("，", "\x0b，") + "\x1f\n", encoding="utf-8")
    proc = build([str(inp)], tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert_whole(tmp_path / "out")


@pytest.mark.parametrize("name", ["../x.graphml", "a/../../x.graphml", "/etc/passwd", "..", "../out2/graph.json"])
def test_output_names_never_escape_out(tmp_path, name):
    with pytest.raises(UnsafePath):
        inside(tmp_path / "out", name)


def test_output_names_inside_out_are_allowed(tmp_path):
    out = tmp_path / "out"
    assert inside(out, "graph.graphml") == (out / "graph.graphml").resolve()
    assert inside(out, "sub/../graph.json") == (out / "graph.json").resolve()


def test_symlinked_name_escaping_out_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "graph.graphml").symlink_to(tmp_path / "elsewhere.graphml")
    with pytest.raises(UnsafePath):
        inside(out, "graph.graphml")


def test_deferred_commits_put_every_file_in_place_in_order(tmp_path):
    import graph.atomic as atomic

    seen = []
    with atomic.deferred_commits():
        for i in range(3):
            write_bytes(tmp_path / f"f{i}", b"x" * (i + 1))
            # runs after the file is in place: what it sees is the new file
            atomic.after_commits(lambda i=i: seen.append((tmp_path / f"f{i}").read_bytes()))
    assert seen == [b"x", b"xx", b"xxx"]
    assert [f.name for f in sorted(tmp_path.iterdir())] == ["f0", "f1", "f2"]   # no temporary left
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "f0").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_deferred_commit_that_fails_keeps_the_previous_file_and_skips_what_follows(tmp_path, monkeypatch):
    import graph.atomic as atomic

    target, other = tmp_path / "graph.json", tmp_path / "nodes.csv"
    write_bytes(target, b'{"old": true}')
    real_replace = os.replace

    def replace(src, dst):
        if str(dst) == str(target):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    recorded = []
    with pytest.raises(OSError, match="No space left"):
        with atomic.deferred_commits():
            write_bytes(target, b'{"new": true}')
            atomic.after_commits(lambda: recorded.append("stat of a file not in place"))
            write_bytes(other, b"id\n")    # written after the failure: still complete and in place
    assert target.read_bytes() == b'{"old": true}'
    assert other.read_bytes() == b"id\n"
    assert recorded == []
    assert sorted(f.name for f in tmp_path.iterdir()) == ["graph.json", "nodes.csv"]


def test_a_forked_process_does_not_defer_to_its_parents_commit_thread(tmp_path):
    import graph.atomic as atomic

    with atomic.deferred_commits() as commits:
        assert atomic._deferring() is commits
        commits.owner = (os.getpid() + 1, commits.owner[1])   # as a forked copy sees it
        assert atomic._deferring() is None
        write_bytes(tmp_path / "now", b"1")          # finished at once, not queued
        assert (tmp_path / "now").read_bytes() == b"1"
