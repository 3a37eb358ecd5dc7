"""--jobs N: extraction in local processes writes exactly what one process writes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extractors import pipeline
from graph.export import WRITERS
from graph.parallel import batches, resolve_jobs
from graph.runner import run_build
from seed_text import SEEDS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The five seeds twice, under new names: ten documents."""
    folder = tmp_path_factory.mktemp("in")
    for f in sorted(SEEDS.glob("*.txt")):
        shutil.copy(f, folder / f.name)
        shutil.copy(f, folder / f"copy_{f.name}")
    return folder


@pytest.fixture(scope="module")
def single(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single")
    run_build([corpus], out, cache=False)
    return out


def _outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in WRITERS}


def test_jobs_2_writes_the_same_bytes_as_jobs_1(corpus, single, tmp_path):
    messages: list[str] = []
    report = run_build([corpus], tmp_path, cache=False, jobs=2, progress=messages.append)
    assert report.documents == 10
    assert "extracted 10/10 documents (2 processes)" in messages
    assert _outputs(tmp_path) == _outputs(single)


def test_cache_filled_by_workers_serves_a_single_process_build(corpus, single, tmp_path, monkeypatch):
    run_build([corpus], tmp_path, jobs=2)
    calls: list[str] = []
    monkeypatch.setattr(pipeline.Extractor, "_make_doc", lambda self, doc: calls.append(doc.id))
    run_build([corpus], tmp_path, jobs=1)
    assert calls == []
    assert _outputs(tmp_path) == _outputs(single)


def test_resolve_jobs():
    assert resolve_jobs(3) == 3
    assert resolve_jobs(0) >= 1
    assert resolve_jobs(None, pending=5) == 1                  # too few documents to repay workers
    assert resolve_jobs(None, pending=500) == resolve_jobs(0)
    with pytest.raises(ValueError):
        resolve_jobs(-1)


def test_batches_keep_order_and_bound_size():
    docs = list(range(95))
    parts = batches(docs, 2)
    assert [d for p in parts for d in p] == docs
    assert max(len(p) for p in parts) <= 20
    assert len(batches(list(range(5)), 2)) == 5     # few documents: one each, all workers busy


def test_lac_worker_starts_spacy_without_pytorch_and_leaves_it_importable():
    """A LAC worker does not pay for thinc importing PyTorch; PyTorch still imports if asked."""
    import subprocess
    import sys

    pytest.importorskip("torch")   # only installed with the HanLP extra
    code = ("import sys; from graph.worker import init_worker; init_worker('lac'); "
            "import thinc.compat; print('torch' in sys.modules, thinc.compat.has_torch); "
            "import torch; print(torch.tensor([1, 2]).sum().item())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parent.parent)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False", "3"]


def test_workers_fed_while_reading_write_the_same_bytes(corpus, single, tmp_path, monkeypatch):
    """Extraction streamed to the workers as files are read (from the third document on)."""
    from graph import runner

    monkeypatch.setattr(runner, "STREAM_MIN_DOCUMENTS", 3)
    messages: list[str] = []
    report = run_build([corpus], tmp_path, jobs=2, progress=messages.append)
    assert report.documents == 10
    assert "extracted 10/10 documents (2 processes)" in messages
    assert _outputs(tmp_path) == _outputs(single)
    calls: list[str] = []
    monkeypatch.setattr(pipeline.Extractor, "_make_doc", lambda self, doc: calls.append(doc.id))
    run_build([corpus], tmp_path, jobs=2)          # every record was cached
    assert calls == []
    assert _outputs(tmp_path) == _outputs(single)


def test_extraction_stream_hands_back_results_by_position():
    from extractors.documents import read_path
    from graph.cache import Packed
    from graph.parallel import ExtractionStream
    from graph.worker import received

    docs = [d for f in sorted(SEEDS.glob("*.txt"))[:3] for d in read_path(f)[0]]
    got: dict[int, object] = {}
    stream = ExtractionStream("lac", 2, got.__setitem__, batch=2)
    for d in docs:
        stream.add(d)
    stream.finish()
    assert sorted(got) == [0, 1, 2]
    # records travel packed (graph.cache.Packed) and are unpacked by the receiver
    assert all(isinstance(got[i], Packed) for i in range(3))
    assert [received(got[i]).doc for i in range(3)] == [d.id for d in docs]
