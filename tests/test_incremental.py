"""Incremental builds: the stat index (unchanged files are not read again) and the compact
cache entries. Every rebuild writes the bytes a fresh build writes."""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractors import pipeline
from extractors.records import (AttendanceRecord, DocumentRecords, EventRecord, Evidence, OrganizationRecord,
                                PersonRecord, RoleRecord)
from graph import build_state
from graph import cache as cache_mod
from graph import runner
from graph.cache import (CACHE_DIRNAME, CODEC_CURRENT, Packed, RecordCache, StatIndex, compact, pack,
                         records_from_tuple, records_to_tuple)
from graph.cli import EXIT_SKIPPED, cli
from graph.export import WRITERS
from seed_text import SEEDS, seed_text


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Names of the files the build read (decoded and parsed)."""
    seen: list[str] = []
    real = runner.read_path

    def read_path(f):
        seen.append(Path(f).name)
        return real(f)

    monkeypatch.setattr(runner, "read_path", read_path)
    return seen


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """Ids of the documents the extractor was run on."""
    seen: list[str] = []
    real = pipeline.Extractor._make_doc

    def make_doc(self, document):
        seen.append(document.id)
        return real(self, document)

    monkeypatch.setattr(pipeline.Extractor, "_make_doc", make_doc)
    return seen


@pytest.fixture
def trust_now(monkeypatch):
    """Files written by the test a moment ago count as settled (by default a file changed
    within StatIndex.RACY_NS of its read is read again: its timestamp could hide a change)."""
    monkeypatch.setattr(StatIndex, "RACY_NS", 0)


def _corpus(tmp_path: Path, n: int = 3) -> Path:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for f in sorted(SEEDS.glob("*.txt"))[:n]:
        shutil.copy(f, corpus / f.name)
    return corpus


def _outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in WRITERS}


def _fresh(tmp_path: Path, corpus: Path, name: str = "fresh") -> dict[str, bytes]:
    out = tmp_path / name
    run_build_quiet([corpus], out, cache=False)
    return _outputs(out)


def run_build_quiet(*args, **kwargs):
    return runner.run_build(*args, **kwargs)


# ---------------------------------------------------------------- the stat index

def test_unchanged_files_are_not_read_again(tmp_path, reads, calls, trust_now):
    corpus = _corpus(tmp_path)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    assert len(reads) == 3 and len(calls) == 3
    assert (out / CACHE_DIRNAME / StatIndex.NAME).is_file()
    first = _outputs(out)

    reads.clear()
    calls.clear()
    messages: list[str] = []
    report = runner.run_build([corpus], out, progress=messages.append)
    assert reads == [] and calls == []
    assert "cache: 3 of 3 documents reused, 0 to extract" in messages
    assert report.documents == 3
    assert _outputs(out) == first == _fresh(tmp_path, corpus)


def test_added_article_is_the_only_file_read_and_extracted(tmp_path, reads, calls, trust_now):
    corpus = _corpus(tmp_path, 2)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    new = sorted(SEEDS.glob("*.txt"))[2]
    shutil.copy(new, corpus / new.name)
    reads.clear()
    calls.clear()
    runner.run_build([corpus], out)
    assert reads == [new.name] and calls == [new.name]
    assert _outputs(out) == _fresh(tmp_path, corpus)


def test_same_size_and_mtime_but_new_content_is_read_again(tmp_path, reads, calls, trust_now):
    """A rewrite that keeps the size and restores the mtime (an editor, `touch -r`, a sync
    tool) still changes the ctime, which nobody can set back: the file is read again."""
    corpus = _corpus(tmp_path, 2)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    target = sorted(corpus.iterdir())[0]
    st = target.stat()
    text = target.read_text(encoding="utf-8")
    i = text.index("。")
    changed = text[:i] + "！" + text[i + 1:]        # one character for another of the same UTF-8 length
    assert len(changed.encode()) == st.st_size and changed != text
    time.sleep(0.05)                                 # past the file system's timestamp tick
    target.write_text(changed, encoding="utf-8")
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)

    reads.clear()
    calls.clear()
    runner.run_build([corpus], out)
    assert reads == [target.name] and calls == [target.name]
    assert _outputs(out) == _fresh(tmp_path, corpus)


def test_a_file_changed_just_before_its_read_is_read_again_next_time(tmp_path, reads):
    """The racy case: a change right after the read, within the same timestamp tick, would
    leave the stat unchanged. Entries of files younger than RACY_NS are not trusted."""
    corpus = _corpus(tmp_path, 1)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    reads.clear()
    runner.run_build([corpus], out)
    assert reads == [sorted(corpus.iterdir())[0].name]


def test_new_pipeline_version_extracts_again_although_no_file_changed(tmp_path, reads, calls, trust_now,
                                                                      monkeypatch):
    corpus = _corpus(tmp_path, 2)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    before = _outputs(out)
    monkeypatch.setattr(cache_mod, "pipeline_version", lambda: "another version")
    reads.clear()
    calls.clear()
    runner.run_build([corpus], out)
    assert len(reads) == 2 and len(calls) == 2     # the cache misses, so the files are read after all
    assert _outputs(out) == before


def test_index_of_another_reader_is_ignored(tmp_path, reads, trust_now, monkeypatch):
    corpus = _corpus(tmp_path, 2)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    monkeypatch.setattr(cache_mod, "reader_version", lambda: "documents.py changed")
    reads.clear()
    runner.run_build([corpus], out)
    assert len(reads) == 2


@pytest.mark.parametrize("damage", [b"", b"garbage", "truncate", "flip"])
def test_corrupt_index_is_an_empty_index_and_is_rewritten(tmp_path, reads, calls, trust_now, damage):
    corpus = _corpus(tmp_path, 2)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    before = _outputs(out)
    index = out / CACHE_DIRNAME / StatIndex.NAME
    data = index.read_bytes()
    if damage == "truncate":
        index.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        index.write_bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:])
    else:
        index.write_bytes(damage)
    reads.clear()
    calls.clear()
    runner.run_build([corpus], out)
    assert len(reads) == 2 and calls == []           # read again, records still from the cache
    assert _outputs(out) == before
    reads.clear()
    runner.run_build([corpus], out)
    assert reads == []


def test_corrupt_entry_behind_an_unchanged_file_is_extracted_again(tmp_path, reads, calls, trust_now):
    corpus = _corpus(tmp_path, 2)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    before = _outputs(out)
    entries = sorted((out / CACHE_DIRNAME).rglob("*.cache"))
    assert len(entries) == 2
    data = entries[0].read_bytes()
    entries[0].write_bytes(data[:-1] + bytes([data[-1] ^ 1]))   # fails the CRC
    reads.clear()
    calls.clear()
    # going on from the last build's graph state, no record is loaded: the damage does not matter
    runner.run_build([corpus], out)
    assert reads == [] and calls == []
    assert _outputs(out) == before
    # a build that loads the records (here: without that state) finds it and extracts again
    (out / CACHE_DIRNAME / build_state.FILENAME).unlink()
    runner.run_build([corpus], out)
    assert len(reads) == 1 and len(calls) == 1
    assert _outputs(out) == before


def test_deleted_file_leaves_graph_and_index(tmp_path, reads, trust_now):
    corpus = _corpus(tmp_path, 3)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    gone = sorted(corpus.iterdir())[1]
    gone.unlink()
    runner.run_build([corpus], out)
    index = RecordCache(out / CACHE_DIRNAME).index()
    assert StatIndex.key(gone) not in index.entries and len(index.entries) == 2
    assert _outputs(out) == _fresh(tmp_path, corpus)


def test_index_keeps_entries_of_another_corpus_sharing_the_cache(tmp_path, reads, trust_now):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    shutil.copy(seeds[0], a / seeds[0].name)
    shutil.copy(seeds[1], b / seeds[1].name)
    store = tmp_path / "store"
    runner.run_build([a], tmp_path / "out_a", cache_dir=store)
    runner.run_build([b], tmp_path / "out_b", cache_dir=store)
    reads.clear()
    runner.run_build([a], tmp_path / "out_a", cache_dir=store)
    assert reads == []


def test_two_files_of_one_name_keep_their_ids_when_not_read(tmp_path, reads, trust_now):
    corpus = tmp_path / "in"
    seeds = sorted(SEEDS.glob("*.txt"))
    for sub, seed in (("x", seeds[0]), ("y", seeds[1])):
        (corpus / sub).mkdir(parents=True)
        shutil.copy(seed, corpus / sub / "same.txt")
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    reads.clear()
    runner.run_build([corpus], out)
    assert reads == []
    assert _outputs(out) == _fresh(tmp_path, corpus)
    docs, _ = runner.read_all([corpus])
    assert [d.id for d in docs] == ["same.txt", "same.txt@y"]


def test_remarks_and_skipped_records_are_reported_again_when_not_read(tmp_path, reads, trust_now):
    """Bad input is reported the same way by a build that reads a file and by one that
    trusts the index: same lines, same exit code."""
    corpus = _corpus(tmp_path, 1)
    lines = seed_text("002").replace("\xa0", " ").split("\n")
    (corpus / "mixed.txt").write_bytes("\n".join(lines[:5]).encode() + b"\n" + "\n".join(lines[5:]).encode("gbk"))
    text = max(lines, key=len)
    good = json.dumps({"text": text, "title": "t"}, ensure_ascii=False)
    (corpus / "part.jsonl").write_text(good + "\n{broken\n", encoding="utf-8")
    (corpus / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"

    def build():
        r = CliRunner().invoke(cli, ["build", str(corpus), "--out", str(out), "-q"])
        assert r.exit_code == EXIT_SKIPPED, r.output
        return sorted(line for line in r.output.splitlines() if line.startswith(("note", "skipped")))

    first = build()
    assert any("mixed.txt" in line and line.startswith("note") for line in first)
    assert any("part.jsonl#2" in line for line in first)
    assert any("empty.txt" in line for line in first)
    reads.clear()
    assert build() == first
    assert reads == ["empty.txt"]           # unreadable files are not indexed: read (and reported) again


def test_strict_build_that_writes_nothing_writes_no_index(tmp_path):
    corpus = _corpus(tmp_path, 1)
    (corpus / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["build", str(corpus), "--out", str(out), "-q", "--strict"])
    assert r.exit_code == 4
    assert not out.exists() or not list(out.rglob("*"))


def test_jobs_and_index_write_the_same_bytes(tmp_path, reads, trust_now):
    corpus = _corpus(tmp_path, 3)
    out = tmp_path / "out"
    runner.run_build([corpus], out, jobs=2)
    reads.clear()
    runner.run_build([corpus], out, jobs=2)
    assert reads == []
    assert _outputs(out) == _fresh(tmp_path, corpus)


# ---------------------------------------------------------------- compact entries

def _full_records(doc: str = "a.txt") -> DocumentRecords:
    """Records with every field of every record type set to something not its default, so
    that a field the codec forgets fails the round trip."""
    def ev(i: int) -> Evidence:
        return Evidence(doc, f"第{i}句。", i, i + 2)

    values = {
        PersonRecord: lambda i: PersonRecord(f"人{i}", f"人{i}", [f"别名{i}"], [ev(i), ev(i)]),
        OrganizationRecord: lambda i: OrganizationRecord(f"机构{i}", f"机构{i}", [f"简称{i}"], [ev(i)]),
        EventRecord: lambda i: EventRecord(f"E{i}", f"会{i}", f"会{i}", "2030-01-01", "某地", "E0", True,
                                           [f"机构{i}"], [ev(i)]),
        RoleRecord: lambda i: RoleRecord(f"人{i}", "主任", f"机构{i}", ev(i)),
        AttendanceRecord: lambda i: AttendanceRecord(f"人{i}", f"E{i}", "出席", ev(i)),
    }
    r = DocumentRecords(doc, "标题", "2030-01-01", *[[values[t](i) for i in range(2)] for t in
                                                   (PersonRecord, OrganizationRecord, EventRecord, RoleRecord,
                                                    AttendanceRecord)])
    for obj in [r, *r.persons, *r.organizations, *r.events, *r.roles, *r.attendance]:
        for f in fields(obj):
            assert getattr(obj, f.name) not in ("", None, [], False), (type(obj).__name__, f.name)
    return r


def test_temporary_entries_of_killed_builds_are_removed_and_a_live_writers_kept(tmp_path, trust_now):
    import subprocess
    import sys

    corpus = _corpus(tmp_path, 1)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    (entry,) = (out / CACHE_DIRNAME).glob("*/*.cache")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()      # a pid that has exited
    dead = entry.with_name(f"{entry.name}.{gone}.1.tmp")
    live = entry.with_name(f"{entry.name}.{os.getpid()}.1.tmp")
    other = entry.parent / "notes.tmp"          # not named like an entry's temporary: not ours
    for f in (dead, live, other):
        f.write_bytes(b"half an entry")
    entries = sorted(p.name for p in (out / CACHE_DIRNAME).glob("*/*.cache"))
    runner.run_build([corpus], out)
    assert not dead.exists() and live.exists() and other.exists()
    assert sorted(p.name for p in (out / CACHE_DIRNAME).glob("*/*.cache")) == entries


def test_codec_knows_every_field_of_the_records():
    assert CODEC_CURRENT, "a record type gained or lost a field: update graph/cache.py (_LAYOUT, the codec)"
    r = _full_records()
    assert records_from_tuple(records_to_tuple(r)) == r
    assert compact(r) == r


def test_compact_shares_equal_strings():
    a = "同一句话。" * 3
    b = "".join(list(a))              # equal, another object
    r = DocumentRecords("d", persons=[PersonRecord("x", "x", [], [Evidence("d", a, 0, 1)]),
                                      PersonRecord("y", "y", [], [Evidence("d", b, 2, 3)])])
    assert r.persons[0].evidence[0].sentence is not r.persons[1].evidence[0].sentence
    c = compact(r)
    assert c == r
    assert c.persons[0].evidence[0].sentence is c.persons[1].evidence[0].sentence


def test_packed_records_round_trip_shared_and_cache_as_the_records_do(tmp_path):
    r = _full_records()
    packed = pack(r)
    assert isinstance(packed, Packed)
    assert packed.records() == r
    # equal strings come back as one object, as from `compact`
    a = "同一句话。" * 3
    two = DocumentRecords("d", persons=[PersonRecord("x", "x", [], [Evidence("d", a, 0, 1)]),
                                        PersonRecord("y", "y", [], [Evidence("d", "".join(list(a)), 2, 3)])])
    back = pack(two).records()
    assert back.persons[0].evidence[0].sentence is back.persons[1].evidence[0].sentence
    # a worker's packed records make the same cache entry as the records themselves
    key = "ab" * 32
    by_records, by_packed = RecordCache(tmp_path / "records"), RecordCache(tmp_path / "packed")
    assert by_records.put(key, r) and by_packed.put(key, packed)
    assert Path(by_records.path(key)).read_bytes() == Path(by_packed.path(key)).read_bytes()
    assert by_packed.get(key) == r
    # what the codec cannot hold stays records (and is not cached)
    broken = DocumentRecords("d", persons=[PersonRecord("x", "x", None, [])])
    assert pack(broken) is broken


def test_entries_survive_the_round_trip_and_reject_damage(tmp_path):
    store = RecordCache(tmp_path)
    r = _full_records()
    key = "ab" * 32
    assert store.put(key, r)
    assert store.get(key) == r
    assert store.get("cd" * 32) is None
    path = Path(store.path(key))
    data = path.read_bytes()
    for bad in (b"", data[:8], data[:-3], data[:20] + bytes([data[20] ^ 0x40]) + data[21:], b"FGC2" + b"\0" * 40):
        path.write_bytes(bad)
        assert store.get(key) is None
    # an entry stored under another key (a file copied or renamed by hand) is a miss
    path.write_bytes(data)
    other = Path(store.path("cd" * 32))
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_bytes(data)
    assert store.get("cd" * 32) is None


def test_values_marshal_cannot_store_are_not_cached(tmp_path):
    store = RecordCache(tmp_path)
    r = DocumentRecords("d", persons=[PersonRecord("x", "x", [], [Evidence("d", "s", object(), 1)])])
    assert store.put("ab" * 32, r) is False
    assert store.writable


# ---------------------------------------------------------------- text does not outlive its extraction

def test_documents_are_dropped_from_the_list_as_they_are_extracted(tmp_path):
    docs, _ = runner.read_all([_corpus(tmp_path, 2)])
    ids = [d.id for d in docs]
    got: list = []
    runner._extract_here(docs, "lac", lambda i, r: got.append((i, r.doc)), None, reraise=True)
    assert docs == [None, None]
    assert got == list(enumerate(ids))


def test_compact_keeps_values_that_are_equal_but_not_strings():
    r = DocumentRecords("d", roles=[RoleRecord("x", 1, "o", None), RoleRecord("y", True, "o", None)],
                        persons=[PersonRecord("x", "x", [1.0, "1"], [])])
    c = compact(r)
    assert [type(x.title) for x in c.roles] == [int, bool]
    assert [type(a) for a in c.persons[0].aliases] == [float, str]
    broken = DocumentRecords("d", persons=[PersonRecord("x", "x", None, [])])   # aliases not a list
    assert compact(broken) is broken


def test_build_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    import gc

    corpus = _corpus(tmp_path, 1)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    runner.run_build([corpus], tmp_path / "out")
    assert gc.isenabled() and gc.get_freeze_count() == 0      # what the build froze is handed back
    gc.freeze()                                                # a caller's own freeze is left alone
    try:
        frozen = gc.get_freeze_count()
        runner.run_build([corpus], tmp_path / "out")
        assert gc.isenabled() and gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


# ---------------------------------------------------------------- extraction while the cache loads

def test_new_article_extracted_in_another_process_while_cached_records_load(tmp_path, reads, calls, trust_now,
                                                                            monkeypatch):
    """With many cached documents (here: any), a new one is extracted in a worker process
    while the cached records load: same files as a fresh build, and its records cached."""
    monkeypatch.setattr(runner, "OVERLAP_MIN_CACHED", 1)
    corpus = _corpus(tmp_path, 2)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    new = sorted(SEEDS.glob("*.txt"))[2]
    shutil.copy(new, corpus / new.name)
    reads.clear()
    calls.clear()
    messages: list[str] = []
    runner.run_build([corpus], out, progress=messages.append)
    assert reads == [new.name]
    assert calls == []                       # not in this process
    assert any(m.startswith("extracted 1/1 documents") for m in messages)
    assert "cache: 2 of 3 documents reused, 1 to extract" in messages
    assert _outputs(out) == _fresh(tmp_path, corpus)
    calls.clear()
    runner.run_build([corpus], out)          # and the new record came from the cache
    assert calls == []
    assert len(list((out / CACHE_DIRNAME).rglob("*.cache"))) == 3


def test_corrupt_entry_of_one_document_of_a_many_document_file(tmp_path, reads, calls, trust_now):
    """A JSON Lines file of three articles whose second entry is damaged: only that article
    is extracted again, under the id it had, and the build equals a fresh one."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    texts = [seed_text(n) for n in ("001", "002", "003")]
    (corpus / "three.jsonl").write_text(
        "".join(json.dumps({"text": t, "title": f"t{i}"}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)),
        encoding="utf-8")
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    ids = sorted(calls)
    assert len(ids) == 3
    before = _outputs(out)
    store = RecordCache(out / CACHE_DIRNAME)
    docs, _ = runner.read_all([corpus])
    from graph.cache import document_key, pipeline_version

    damaged = Path(store.path(document_key(docs[1], "lac", pipeline_version())))
    damaged.write_bytes(damaged.read_bytes()[:-3])
    for index_too in (False, True):   # the file unread (stat index) and read (no index)
        # (without the last build's graph state, which would spare the build loading any record)
        (out / CACHE_DIRNAME / build_state.FILENAME).unlink()
        if index_too:
            (out / CACHE_DIRNAME / StatIndex.NAME).unlink()
            damaged.write_bytes(damaged.read_bytes()[:-3])
        reads.clear()
        calls.clear()
        runner.run_build([corpus], out)
        assert calls == [docs[1].id]
        assert reads == ["three.jsonl"] * (2 if index_too else 1)
        assert _outputs(out) == before


def test_exports_keep_their_fragment_records_only_beside_a_cache_in_the_output_folder(tmp_path):
    corpus = _corpus(tmp_path, 2)
    runner.run_build([corpus], tmp_path / "out")
    kept = {p.name for p in (tmp_path / "out" / CACHE_DIRNAME / "exports").iterdir()}
    assert kept >= {f"{name}.fragments" for name in ("graph.graphml", "graph.gexf", "graph.json", "nodes.csv", "edges.csv")}
    runner.run_build([corpus], tmp_path / "plain", cache=False)
    runner.run_build([corpus], tmp_path / "elsewhere", cache_dir=tmp_path / "store")
    assert not (tmp_path / "plain" / CACHE_DIRNAME).exists()
    assert not (tmp_path / "elsewhere" / CACHE_DIRNAME).exists()
    assert _outputs(tmp_path / "plain") == _outputs(tmp_path / "out") == _outputs(tmp_path / "elsewhere")


# ---------------------------------------------------------------- going on from the last graph state

@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """Cache keys whose records the build loaded."""
    seen: list[str] = []
    real = RecordCache.get

    def get(self, key):
        seen.append(key)
        return real(self, key)

    monkeypatch.setattr(RecordCache, "get", get)
    return seen


RESUMED = "graph: going on from the last build's state"


def test_an_article_appended_after_the_others_goes_on_from_the_last_state(tmp_path, reads, calls, loads, trust_now):
    corpus = _corpus(tmp_path, 3)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    state = out / CACHE_DIRNAME / build_state.FILENAME
    saved = state.read_bytes()
    for n, name in ((3, "zz_1.txt"), (4, "zz_2.txt")):     # names sorting after every other
        shutil.copy(sorted(SEEDS.glob("*.txt"))[n], corpus / name)
        reads.clear(), calls.clear(), loads.clear()
        messages: list[str] = []
        report = runner.run_build([corpus], out, progress=messages.append)
        # the state holds the first three; what came after it is replayed from the cache
        assert f"{RESUMED} (3 documents, {n - 2} new)" in messages
        assert reads == [name] and calls == [name]
        assert len(loads) == n - 3                       # no record of the three loaded, zz_1's replayed
        assert report.documents == n + 1
        assert _outputs(out) == _fresh(tmp_path, corpus, f"fresh{n}")
        assert state.read_bytes() == saved               # a short tail: the state is not written again
    # nothing changed: the state as it is, the same files
    messages = []
    runner.run_build([corpus], out, progress=messages.append)
    assert f"{RESUMED} (3 documents, 2 new)" in messages
    assert _outputs(out) == _fresh(tmp_path, corpus, "fresh-again")


def test_the_state_is_written_again_once_its_tail_is_long(tmp_path, loads, monkeypatch, trust_now):
    monkeypatch.setattr(runner, "STATE_TAIL_MIN", 1)
    corpus = _corpus(tmp_path, 2)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    for n, name in ((2, "zz_1.txt"), (3, "zz_2.txt")):
        shutil.copy(sorted(SEEDS.glob("*.txt"))[n], corpus / name)
        runner.run_build([corpus], out)
    header = build_state.read_header(out / CACHE_DIRNAME / build_state.FILENAME)
    assert [d for d, _ in header["documents"]][-1] == "zz_2.txt"    # two past the limit of one: saved
    loads.clear()
    messages: list[str] = []
    runner.run_build([corpus], out, progress=messages.append)
    assert f"{RESUMED} (4 documents, 0 new)" in messages and loads == []
    assert _outputs(out) == _fresh(tmp_path, corpus)


@pytest.mark.parametrize("change", ["added among the others", "changed", "removed"])
def test_any_other_change_builds_in_full(change, tmp_path, loads, trust_now):
    corpus = _corpus(tmp_path, 3)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    files = sorted(corpus.iterdir())
    if change == "added among the others":
        shutil.copy(sorted(SEEDS.glob("*.txt"))[3], corpus / ("0" + files[1].name))   # sorts before the second
    elif change == "changed":
        time.sleep(0.05)
        files[0].write_text(files[0].read_text(encoding="utf-8") + "\n另有一段。\n", encoding="utf-8")
    else:
        files[1].unlink()
    loads.clear()
    messages: list[str] = []
    runner.run_build([corpus], out, progress=messages.append)
    assert not any(m.startswith(RESUMED) for m in messages)
    assert loads    # the records are loaded: a full build
    assert _outputs(out) == _fresh(tmp_path, corpus)


def test_a_damaged_state_means_a_full_build(tmp_path, trust_now):
    corpus = _corpus(tmp_path, 2)
    out = tmp_path / "out"
    runner.run_build([corpus], out)
    state = out / CACHE_DIRNAME / build_state.FILENAME
    data = bytearray(state.read_bytes())
    data[-5] ^= 0xFF
    state.write_bytes(bytes(data))
    shutil.copy(sorted(SEEDS.glob("*.txt"))[2], corpus / "zz_new.txt")
    messages: list[str] = []
    runner.run_build([corpus], out, progress=messages.append)
    assert any("is damaged; building in full" in m for m in messages)
    assert _outputs(out) == _fresh(tmp_path, corpus)
    # and the next build goes on from the state that full build saved
    messages.clear()
    runner.run_build([corpus], out, progress=messages.append)
    assert f"{RESUMED} (3 documents, 0 new)" in messages
