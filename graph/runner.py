"""The build job: read → extract (per document) → build graph → export.

`extract` is a pure function of one document, so it can be cached or run in
parallel; everything after it sees all documents at once.
"""
from __future__ import annotations

import gc
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from extractors.documents import Document, Skipped, find_files, read_path
from extractors.records import DocumentRecords
from graph.build import GraphBuilder, edge_count
from graph.export import write_all

Progress = Callable[[str], None]

# with at least this many cached documents to load, new documents are extracted in another
# process while they load (loading takes ~0.35 ms a document; starting an extractor seconds)
OVERLAP_MIN_CACHED = 1000
# with at least this many documents to extract (and more than one process to do it), workers
# start while the inputs are still read
STREAM_MIN_DOCUMENTS = 40
# the saved graph state is written again once the documents added on top of it exceed this share
# of all documents (or this many): see `state_tail_limit`
STATE_TAIL_SHARE = 0.02
STATE_TAIL_MIN = 20


@dataclass
class BuildReport:
    documents: int = 0
    nodes: int = 0
    edges: int = 0
    skipped: list[Skipped] = field(default_factory=list)   # input lost: files, records, failed documents
    notes: list[Skipped] = field(default_factory=list)     # remarks; nothing lost
    written: list[str] = field(default_factory=list)


def read_all(paths: list[str | os.PathLike], notes: list[Skipped] | None = None) -> tuple[list[Document], list[Skipped]]:
    """Documents sorted by id (so the input order never changes the output) and what was skipped."""
    docs, skipped = _scan(paths, notes)
    return [d for d in docs if isinstance(d, Document)], skipped


@dataclass
class _Cached:
    """A document whose records came from the cache: its text is not kept (or not even read)."""
    id: str
    path: str
    records: DocumentRecords


class _Ids:
    """Document ids unique and stable: two files of one name in different folders get
    `name@folder` for the second."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def final(self, ids: list[str], path: str) -> tuple[list[str], set[str]]:
        """The ids `ids` of the file at `path` get, and the ids to mark as taken once they are used."""
        out, taken = [], set()
        for i in ids:
            if i in self.seen or i in taken:
                out.append(f"{i}@{Path(path).parent.name}")
            else:
                taken.add(i)
                out.append(i)
        return out, taken


@dataclass
class _Deferred:
    """Documents of one file whose records are in the cache, loaded by `_Scan.load`: their
    final ids, cache keys and ids as the file names them (no text is kept)."""
    path: str
    ids: list[str]
    keys: list[str]
    raw_ids: list[str]


class _Scan:
    """Reading the inputs, in two steps so that extraction can run while cached records load.

    `survey()` walks the files in order. A file the stat index knows unchanged is not read;
    the records of its documents, and of any document read whose cache entry exists, are
    deferred (`_Deferred`). Every other document is returned, to extract. `load()` then
    loads the deferred records; a file with an entry that turns out missing or corrupt is
    read after all, and its documents without records are returned to extract as well.
    `result()`: documents (`Document` to extract, `_Cached` with records) sorted by id, and
    what was skipped. Without a cache, `survey` reads everything and `load` does nothing."""

    def __init__(self, paths: list[str | os.PathLike], notes: list[Skipped] | None, index=None, cache=None,
                 ner: str = "", version: str = ""):
        self.paths, self.notes, self.index, self.cache = paths, notes, index, cache
        self.ner, self.version = ner, version
        self.items: list[Document | _Cached | _Deferred] = []
        self.remarks: list[Skipped] = []     # remarks and skips, in the order of the files
        self.ids = _Ids()
        self.keys: dict[str, str] = {}       # cache key of each document to extract, by id

    def _key(self, doc_id: str, digest: str) -> str:
        from graph.cache import entry_key

        return entry_key(doc_id, digest, self.ner, self.version)

    @property
    def deferred(self) -> int:
        """Documents whose records `load` will read from the cache."""
        return sum(len(x.ids) for x in self.items if isinstance(x, _Deferred))

    def survey(self, on_pending: Callable[[Document], None] | None = None) -> list[Document]:
        """Walk the inputs; the documents to extract, in walk order (or each handed to
        `on_pending` as soon as its file is read, and none returned)."""
        pending: list[Document] = []
        index, ids = self.index, self.ids
        for f in find_files(self.paths):
            if isinstance(f, Skipped):
                self.remarks.append(f)
                continue
            path = str(f)
            known = index.lookup(f) if index is not None and self.cache is not None else None
            if known is not None:
                # unchanged since it was read: the documents it held, by id and content digest
                known_docs, file_notes = known
                raw = [i for i, _ in known_docs]
                final_ids, taken = ids.final(raw, path)
                ids.seen |= taken
                self.remarks.extend(Skipped(path + suffix, reason, lost) for suffix, reason, lost in file_notes)
                keys = [self._key(i, digest) for i, (_, digest) in zip(final_ids, known_docs)]
                self.items.append(_Deferred(path, final_ids, keys, raw))
                continue
            found = self._read(f, path)
            if on_pending is None:
                pending.extend(found)
            else:
                for d in found:
                    on_pending(d)
        if index is not None:
            index.forget_unseen(self.paths)
        return pending

    def _read(self, f, path: str) -> list[Document]:
        """Read one file into `items`; its documents to extract (those with a cache entry
        are deferred)."""
        from graph.cache import document_digest

        index, cache = self.index, self.cache
        before = read_ns = None
        if index is not None:
            try:
                before, read_ns = os.stat(f), time.time_ns()
            except OSError:
                pass
        result = read_path(f)
        if isinstance(result, Skipped):
            self.remarks.append(result)
            return []
        docs, file_notes = result
        self.remarks.extend(file_notes)
        raw = [d.id for d in docs]
        final_ids, taken = self.ids.final(raw, path)
        self.ids.seen |= taken
        if cache is None:
            for d, i in zip(docs, final_ids):
                d.id = i
            self.items.extend(docs)
            return docs
        digests = [document_digest(d) for d in docs]
        if index is not None and before is not None and all(n.path.startswith(path) for n in file_notes):
            index.record(f, before, read_ns, [(d.id, g) for d, g in zip(docs, digests)],
                         [(n.path[len(path):], n.reason, n.lost) for n in file_notes])
        pending = []
        deferred = _Deferred(path, [], [], [])
        for d, i, r, digest in zip(docs, final_ids, raw, digests):
            d.id = i
            key = self.keys[i] = self._key(i, digest)
            if os.path.exists(cache.path(key)):   # its text is dropped; `load` reads the entry
                deferred.ids.append(i)
                deferred.keys.append(key)
                deferred.raw_ids.append(r)
            else:
                self.items.append(d)
                pending.append(d)
        if deferred.ids:
            self.items.append(deferred)
        return pending

    def documents(self) -> list[tuple[str, str]]:
        """(id, cache key) of every document found, in id order (after `survey`, with a cache)."""
        out = []
        for item in self.items:
            if isinstance(item, _Deferred):
                out.extend(zip(item.ids, item.keys))
            elif item.id in self.keys:
                out.append((item.id, self.keys[item.id]))
        return sorted(out)

    def load(self, skip: frozenset[str] = frozenset()) -> list[Document]:
        """Load the deferred records (but those of the documents in `skip`, which are dropped);
        the documents to extract after all."""
        late: list[Document] = []
        items, self.items = self.items, []
        for item in items:
            if not isinstance(item, _Deferred):
                if item.id not in skip:
                    self.items.append(item)
                continue
            if skip:
                kept = [i for i, doc_id in enumerate(item.ids) if doc_id not in skip]
                if not kept:
                    continue
                item = _Deferred(item.path, [item.ids[i] for i in kept], [item.keys[i] for i in kept],
                                 [item.raw_ids[i] for i in kept])
            records = [self.cache.get(k) for k in item.keys]
            if None not in records:
                self.items.extend(_Cached(i, item.path, r) for i, r in zip(item.ids, records))
            else:
                late.extend(self._read_again(item, records))
        return late

    def _read_again(self, item: _Deferred, records: list) -> list[Document]:
        """A file with a missing or corrupt cache entry: read it again for the documents
        without records (under the ids the walk gave them; its remarks were reported then)."""
        result = read_path(item.path)
        if isinstance(result, Skipped):
            self.remarks.append(result)
            return []
        by_raw = {d.id: d for d in result[0]}
        late = []
        for i, raw, r in zip(item.ids, item.raw_ids, records):
            if r is not None:
                self.items.append(_Cached(i, item.path, r))
            elif raw in by_raw:
                d = by_raw[raw]
                d.id = i
                self.items.append(d)
                late.append(d)
        return late

    def result(self) -> tuple[list[Document | _Cached], list[Skipped]]:
        skipped = [s for s in self.remarks if s.lost]
        if self.notes is not None:
            self.notes.extend(s for s in self.remarks if not s.lost)
        assert not any(isinstance(x, _Deferred) for x in self.items), "load() first"
        return sorted(self.items, key=lambda d: d.id), skipped


def _scan(paths: list[str | os.PathLike], notes: list[Skipped] | None, index=None, cache=None,
          ner: str = "", version: str = "") -> tuple[list[Document | _Cached], list[Skipped]]:
    """Read the inputs: documents sorted by id and what was skipped (see `_Scan`; here both
    steps at once). With a `cache` (and its stat `index`), a document whose records are
    cached is returned as `_Cached` (records, no text), and a file the index knows unchanged
    is not read at all; the index is updated in memory (the caller saves it)."""
    scan = _Scan(paths, notes, index, cache, ner, version)
    scan.survey()
    scan.load()
    return scan.result()


class _Collector:
    """Python's cyclic garbage collector kept off the mass of long-lived objects a build
    creates (records, the graph: millions, and no cycles among them). While they are created
    it is paused; then they are frozen (moved out of its sight without being walked: merely
    re-enabling it would walk them all at the next collections, and again at every full one).
    `release` hands them back at the end. Nothing is frozen if the caller froze objects
    itself (releasing would unfreeze theirs) or keeps the collector off."""

    def __init__(self) -> None:
        self.freezes = gc.isenabled() and gc.get_freeze_count() == 0
        self.frozen = False

    @contextmanager
    def quiet(self):
        if not gc.isenabled():
            yield
            return
        gc.disable()
        try:
            yield
        finally:
            if self.freezes:
                gc.freeze()
                self.frozen = True
            gc.enable()

    def release(self) -> None:
        if self.frozen:
            gc.unfreeze()
            self.frozen = False


def _where(doc: Document) -> str:
    return (doc.path or doc.id) + ("#" + doc.id.rpartition("#")[2] if "#" in doc.id else "")


def _arrived(result, store, key: str):
    """An extraction result as it is kept: cached first under `key` (in the form it came, so
    records a worker packed are written without encoding them again), then as records (or
    the Failure)."""
    from graph.worker import Failure, received

    if store is not None and not isinstance(result, Failure):
        store.put(key, result)
    return received(result)


def _extract_here(docs: list[Document | None], ner: str, sink, progress: Progress | None, reraise: bool) -> None:
    """One process, one pipeline: the default, and what the others must equal.
    Each document leaves `docs` as it goes into the pipeline."""
    from extractors.pipeline import Extractor
    from graph.worker import as_result

    def feed():
        for i in range(len(docs)):
            doc, docs[i] = docs[i], None
            yield doc

    extractor = Extractor(ner=ner)
    for i, outcome in enumerate(extractor.pipe(feed())):
        if reraise and isinstance(outcome, Exception):
            raise outcome
        sink(i, as_result(outcome))
        if progress and ((i + 1) % 50 == 0 or i + 1 == len(docs)):
            progress(f"extracted {i + 1}/{len(docs)} documents")


def _extract(pending: list[Document | None], ner: str, sink, progress: Progress | None, reraise: bool,
             jobs: int | None, scheduler: str | None, workers: int | None, separate: bool = False) -> None:
    """Extract `pending` where asked (here, local processes or Dask); `sink(j, result)` gets
    the result of `pending[j]`. The list (the caller's own) is emptied as documents are
    done, so that no text stays alive after its extraction. `separate`: in other
    processes even when one would do here (so that this process can go on meanwhile)."""
    if not pending:
        return
    if scheduler is not None or workers is not None:
        from graph.distributed import extract_dask

        extract_dask(pending, ner, sink, scheduler=scheduler, workers=workers, progress=progress, release=True)
        return
    from graph.parallel import extract_parallel, resolve_jobs

    n = resolve_jobs(jobs, len(pending))
    if separate or (n > 1 and len(pending) > 1):
        extract_parallel(pending, ner, n, sink, progress=progress, release=True)
    else:
        _extract_here(pending, ner, sink, progress, reraise=reraise)


def extract_all(docs: list[Document], ner: str = "lac", progress: Progress | None = None,
                failed: list[Skipped] | None = None, jobs: int | None = 1, cache_dir: str | os.PathLike | None = None,
                scheduler: str | None = None, workers: int | None = None) -> list[DocumentRecords]:
    """Records of every document, in the order of `docs`; a document whose extraction
    crashes is left out (and listed in `failed`) so that one hostile article never costs
    the graph. With `cache_dir`, documents extracted before (same content, NER spec and
    pipeline code) are reused and new results stored as soon as they arrive. `jobs` > 1
    (0: all cores) extracts in local processes; `scheduler`/`workers` on Dask. Every way
    gives the same records."""
    from graph.worker import Failure, Result

    results: list[Result | None] = [None] * len(docs)
    cache, keys = None, []
    if cache_dir is not None:
        from graph.cache import RecordCache, document_key, pipeline_version

        cache, version = RecordCache(cache_dir), pipeline_version()
        keys = [document_key(d, ner, version) for d in docs]
        collector = _Collector()
        with collector.quiet():
            results = [cache.get(k) for k in keys]
        collector.release()
    todo = [i for i, r in enumerate(results) if r is None]
    if progress and cache is not None:
        progress(f"cache: {len(docs) - len(todo)} of {len(docs)} documents reused, {len(todo)} to extract")

    def sink(j: int, result: Result) -> None:
        i = todo[j]
        results[i] = _arrived(result, cache, keys[i] if cache is not None else "")

    _extract([docs[i] for i in todo], ner, sink, progress, failed is None, jobs, scheduler, workers)
    if cache is not None and not cache.writable and progress:
        progress(f"cache folder {cache.root} is not writable: results were not cached")
    out = []
    for doc, result in zip(docs, results):
        if isinstance(result, Failure):
            if failed is None:
                raise RuntimeError(f"{_where(doc)}: extraction failed: {result.error}")
            failed.append(Skipped(_where(doc), f"extraction failed: {result.error}"))
        elif result is not None:
            out.append(result)
    return out


def run_build(paths: list[str | os.PathLike], out_dir: str | os.PathLike, ner: str = "lac",
              strict: bool = False, progress: Progress | None = None, jobs: int | None = 1,
              cache: bool = True, cache_dir: str | os.PathLike | None = None,
              scheduler: str | None = None, workers: int | None = None) -> BuildReport:
    """Read, extract, build and write. With `strict`, any skipped input means nothing is written.
    The extraction cache lives in `cache_dir` (default `<out_dir>/.forumgraph-cache`) unless
    `cache` is False; `jobs`, `scheduler` and `workers` choose where extraction runs.

    With the cache, a file unchanged since the last build (see `graph.cache.StatIndex`) is
    not read again, and only the records of documents are kept, not their text: a document
    to extract is dropped as soon as its records arrive."""
    collector = _Collector()
    try:
        return _run_build(paths, out_dir, ner, strict, progress, jobs, cache, cache_dir, scheduler, workers,
                          collector)
    finally:
        collector.release()


def _run_build(paths, out_dir, ner, strict, progress, jobs, cache, cache_dir, scheduler, workers,
               collector: _Collector) -> BuildReport:
    from graph.parallel import resolve_jobs
    from graph.worker import Failure

    report = BuildReport()
    store = index = version = None
    if cache:
        from graph.cache import CACHE_DIRNAME, RecordCache, document_key, pipeline_version

        store = RecordCache(cache_dir if cache_dir is not None else Path(out_dir) / CACHE_DIRNAME)
        index, version = store.index(), pipeline_version()
    scan = _Scan(paths, report.notes, index, store, ner, version or "")
    known_keys = scan.keys
    extracted: dict[str, object] = {}   # document id -> its records (or Failure)
    where: dict[str, str] = {}

    def extract(docs: list[Document], separate: bool = False) -> None:
        """Extract `docs` (emptying the list), caching each result as it arrives."""
        ids = [d.id for d in docs]
        keys = [known_keys.get(d.id) or document_key(d, ner, version) for d in docs] if store is not None else []
        where.update((d.id, _where(d)) for d in docs)

        def sink(j: int, result) -> None:
            extracted[ids[j]] = _arrived(result, store, keys[j] if store is not None else "")

        _extract(docs, ner, sink, progress, False, jobs, scheduler, workers, separate=separate)

    # Many documents to extract: workers start at the first ones and extract while the rest are
    # read (`ExtractionStream`). Few, with many cached: another process extracts them while the
    # cached records load. Otherwise (or with Dask, or --strict): after reading, as asked.
    pending: list[Document] = []
    stream = None
    streamed: list[str] = []
    local = scheduler is None and workers is None and not strict

    def on_pending(doc: Document) -> None:
        nonlocal stream
        if stream is None:
            pending.append(doc)
            if len(pending) >= STREAM_MIN_DOCUMENTS and local and resolve_jobs(jobs, len(pending)) > 1:
                stream = _stream(resolve_jobs(jobs, len(pending)))
                for d in pending:
                    to_stream(d)
                pending.clear()
        else:
            to_stream(doc)

    def _stream(n: int):
        from graph.parallel import ExtractionStream

        def sink(j: int, result) -> None:
            doc_id = streamed[j]
            key = (known_keys.pop(doc_id, None) or document_key_of[doc_id]) if store is not None else ""
            extracted[doc_id] = _arrived(result, store, key)

        return ExtractionStream(ner, n, sink, progress)

    document_key_of: dict[str, str] = {}

    def to_stream(doc: Document) -> None:
        streamed.append(doc.id)
        where[doc.id] = _where(doc)
        if store is not None and doc.id not in known_keys:
            document_key_of[doc.id] = document_key(doc, ner, version)
        stream.add(doc)

    early = None
    try:
        with collector.quiet():
            scan.survey(on_pending)
        if (pending and stream is None and scan.deferred >= OVERLAP_MIN_CACHED and local):
            # few documents to extract and many cached ones to load: extract in another process
            # meanwhile (its start-up, loading the models, costs seconds)
            from concurrent.futures import ThreadPoolExecutor

            early = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forumgraph-extract")
            extracting = early.submit(extract, pending, True)
            pending = []
        documents = scan.documents() if store is not None else []
        resumed = None
        with collector.quiet():
            if store is not None and stream is None:
                resumed = _resume(store.root, documents, progress)
            late = scan.load(skip=resumed.skip if resumed is not None else frozenset())
            items, report.skipped = scan.result()
        del scan
        held = len(resumed.saved) if resumed is not None else 0   # documents already in the state
        if progress:
            progress(f"read {len(items) + held} documents ({len(report.skipped)} skipped)")
        if strict and report.skipped:
            report.documents = len(items) + held
            return report
        todo = sum(isinstance(d, Document) for d in items)
        slots: list = [d.records if isinstance(d, _Cached) else d.id for d in items]
        del items
        if progress and store is not None:
            progress(f"cache: {len(slots) - todo + held} of {len(slots) + held} documents reused, {todo} to extract")
        # records arrive here by the thousand and live to the end of the build: no collections
        # over them meanwhile (see _Collector)
        with collector.quiet():
            if stream is not None:
                for d in late:
                    to_stream(d)
                late.clear()
                stream.finish()
            if early is not None:
                if not extracting.done():
                    # waiting for the new documents' extraction anyway: load what the writers of a
                    # large graph need (they fork from this process and inherit it)
                    from graph.query_memo import prepare_to_keep_answers

                    prepare_to_keep_answers()
                extracting.result()
            pending.extend(late)   # one list, emptied as its documents are extracted
            del late
            extract(pending)
    finally:
        if early is not None:
            early.shutdown(wait=True)
        if stream is not None:
            stream.close()
    if store is not None and not store.writable and progress:
        progress(f"cache folder {store.root} is not writable: results were not cached")
    records = []
    for r in slots:
        if type(r) is str:   # a document id: extracted
            doc_id, r = r, extracted.pop(r, None)
            if isinstance(r, Failure):
                report.skipped.append(Skipped(where[doc_id], f"extraction failed: {r.error}"))
                continue
        if r is not None:
            records.append(r)
    del slots
    report.documents = len(records) + held
    if strict and report.skipped:
        return report
    if not records and resumed is None:
        return report   # nothing read: keep whatever a previous build wrote
    if index is not None:
        index.save()
        store.remove_stale_temps()
    with collector.quiet():
        builder = resumed.builder if resumed is not None else GraphBuilder()
        builder.add_all(records)
        g = builder.graph()
    # the state for the next build: the documents it holds, with their cache keys
    included = {r.doc for r in records}
    state_documents = (resumed.saved if resumed is not None else []) + [d for d in documents if d[0] in included]
    del records
    report.nodes, report.edges = g.number_of_nodes(), edge_count(g)
    also = []
    if store is not None and store.writable and (resumed is None or len(included) > state_tail_limit(len(state_documents))):
        from graph.build_state import save, state_path

        # by a writer process, meanwhile (a marshal of the state: 1-1.5 CPU-s at 10,000 articles)
        also.append(lambda path=state_path(store.root): save(path, builder, state_documents))
    # what did not change is copied from the previous files (their records live beside the
    # extraction cache when it is in the output folder, the default)
    reuse = cache and (cache_dir is None or Path(cache_dir).resolve() == (Path(out_dir) / CACHE_DIRNAME).resolve())
    report.written = write_all(g, out_dir, progress=(lambda name: progress(f"wrote {name}")) if progress else None,
                               reuse=reuse, also=also)
    return report


def state_tail_limit(documents: int) -> int:
    """How many documents a build may add on top of the saved graph state before it saves the
    state again. Until then the state stays as it is, and each build replays those documents
    from their cache entries (a fraction of a millisecond each) instead of rewriting the whole
    state for one article (a second or more at 10,000 articles)."""
    return max(STATE_TAIL_MIN, int(documents * STATE_TAIL_SHARE))


@dataclass
class _Resumed:
    builder: GraphBuilder           # with the last build's state
    saved: list[tuple[str, str]]    # the documents that state holds: (id, cache key), in id order

    @property
    def skip(self) -> frozenset[str]:
        """Their ids: their records need not be loaded."""
        return frozenset(i for i, _ in self.saved)


def _resume(cache_root: Path, documents: list[tuple[str, str]], progress: Progress | None) -> _Resumed | None:
    """The last build's state (graph/build_state.py) when this build's documents are its documents
    followed by new ones whose ids sort after them all; else None (a full build)."""
    from graph import build_state

    path = build_state.state_path(cache_root)
    header = build_state.read_header(path)
    if header is None:
        return None
    saved = [tuple(d) for d in header["documents"]]
    new = build_state.appended(saved, documents)
    if new is None:
        return None
    builder = build_state.load(path, header)
    if builder is None:
        if progress:
            progress(f"graph: the saved state {path} is damaged; building in full")
        return None
    if progress:
        progress(f"graph: going on from the last build's state ({len(saved)} documents, {len(new)} new)")
    return _Resumed(builder, saved)
