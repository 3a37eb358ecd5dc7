"""The extraction cache: a rebuild extracts only new or changed documents, and a
cached build writes exactly what a fresh build writes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graph.build_state import FILENAME

from extractors import pipeline
from extractors.documents import Document
from graph import cache as cache_mod
from graph.cache import CACHE_DIRNAME, RecordCache, document_key, records_from_dict, records_to_dict
from graph.export import WRITERS
from graph.runner import read_all, run_build
from seed_text import SEEDS


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """Ids of the documents the (in-process) extractor was run on."""
    seen: list[str] = []
    real = pipeline.Extractor._make_doc     # the first step of every extraction, batched or not

    def make_doc(self, document):
        seen.append(document.id)
        return real(self, document)

    monkeypatch.setattr(pipeline.Extractor, "_make_doc", make_doc)
    return seen


def _corpus(tmp_path: Path, n: int = 5) -> Path:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for f in sorted(SEEDS.glob("*.txt"))[:n]:
        shutil.copy(f, corpus / f.name)
    return corpus


def _outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in WRITERS}


def test_records_round_trip_exactly():
    docs, _ = read_all([SEEDS])
    extractor = pipeline.Extractor()
    for doc in docs[:2]:
        records = extractor(doc)
        assert records_from_dict(records_to_dict(records)) == records


def test_rebuild_extracts_only_the_new_article_and_writes_the_same_bytes(tmp_path, calls):
    corpus = _corpus(tmp_path, 4)
    out = tmp_path / "out"
    run_build([corpus], out)
    assert len(calls) == 4
    assert (out / CACHE_DIRNAME).is_dir()

    new = sorted(SEEDS.glob("*.txt"))[4]
    shutil.copy(new, corpus / new.name)
    calls.clear()
    messages: list[str] = []
    report = run_build([corpus], out, progress=messages.append)
    assert calls == [new.name]
    assert "cache: 4 of 5 documents reused, 1 to extract" in messages
    assert report.documents == 5

    fresh = tmp_path / "fresh"
    run_build([corpus], fresh, cache=False)
    assert not (fresh / CACHE_DIRNAME).exists()
    assert _outputs(out) == _outputs(fresh)


def test_new_pipeline_version_invalidates_everything(tmp_path, calls, monkeypatch):
    corpus = _corpus(tmp_path, 2)
    out = tmp_path / "out"
    run_build([corpus], out)
    calls.clear()
    run_build([corpus], out)
    assert calls == []
    monkeypatch.setattr(cache_mod, "pipeline_version", lambda: "another version")
    run_build([corpus], out)
    assert len(calls) == 2


def test_corrupt_entry_is_ignored_and_rewritten(tmp_path, calls):
    corpus = _corpus(tmp_path, 2)
    out, store = tmp_path / "out", tmp_path / "store"
    run_build([corpus], out, cache_dir=store)
    assert not (out / CACHE_DIRNAME).exists()
    entries = sorted(store.rglob("*.cache"))
    assert len(entries) == 2
    entries[0].write_bytes(b'{"format": 1, "key": "trunc')
    entries[1].write_bytes(b'{"format": 1, "key": "not this key", "records": {}}')
    before = _outputs(out)
    calls.clear()
    # (without the last build's graph state, which would spare this build loading any record)
    (store / FILENAME).unlink()
    run_build([corpus], out, cache_dir=store)
    assert len(calls) == 2
    assert _outputs(out) == before
    calls.clear()
    run_build([corpus], out, cache_dir=store)
    assert calls == []


def test_key_follows_content_not_path():
    doc = Document(id="a.txt", text="正文", path="/x/a.txt", title="标题", date="2024-01-01", meta={"k": 1})
    key = document_key(doc, "lac", "v")
    assert document_key(Document(**{**doc.__dict__, "path": "/elsewhere/a.txt"}), "lac", "v") == key
    for change in ({"text": "正文。"}, {"title": "题"}, {"date": "2024-01-02"}, {"meta": {"k": 2}},
                   {"id": "b.txt"}, {"url": "http://x"}):
        assert document_key(Document(**{**doc.__dict__, **change}), "lac", "v") != key, change
    assert document_key(doc, "lac+hanlp", "v") != key
    assert document_key(doc, "lac", "w") != key


def test_pipeline_version_hashes_extractor_sources():
    assert len(cache_mod.pipeline_version()) == 64
    assert cache_mod.pipeline_version() == cache_mod.pipeline_version()


def test_unwritable_cache_never_costs_the_build(tmp_path):
    (tmp_path / "c").write_text("a file where the cache folder would be", encoding="utf-8")
    store = RecordCache(tmp_path / "c")
    from extractors.records import DocumentRecords

    assert store.put("ab" * 32, DocumentRecords(doc="x")) is False
    assert store.writable is False
    assert store.get("ab" * 32) is None


def test_entries_are_written_whole_and_leave_no_temporary_file(tmp_path):
    from extractors.records import DocumentRecords

    store = RecordCache(tmp_path / "c")
    records = DocumentRecords(doc="x", title="題")
    assert store.put("cd" * 32, records) and store.put("cd" * 32, records)   # a new shard, then over itself
    assert [p.name for p in (tmp_path / "c").rglob("*") if p.is_file()] == [f"{'cd' * 32}.cache"]
    assert store.get("cd" * 32) == records


def test_evidence_made_without_init_is_the_dataclass_itself():
    # records_from_tuple fills Evidence's fields directly: they must be the dataclass's fields,
    # and the object must behave as one made by __init__ (equal, same hash, frozen)
    import dataclasses

    from extractors.records import Evidence
    from graph.cache import _evidence_of_tuple as _evidence

    assert [f.name for f in dataclasses.fields(Evidence)] == ["doc", "sentence", "start", "end"]
    made, built = _evidence(("d1", "吉先生致辞。", 3, 6)), Evidence("d1", "吉先生致辞。", 3, 6)
    assert made == built and hash(made) == hash(built) and made.to_dict() == built.to_dict()
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.start = 0
