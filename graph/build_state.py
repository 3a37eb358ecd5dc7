"""The state the last graph was built from, kept for the next build.

Building the graph resolves every document's names in id order (graph/resolve.py),
so a build must normally load the records of every document, 10,000 of them for a
large corpus, and resolve them all again, even when one article was added. When the
documents of a build are those of the last build (same ids, same cache keys: same
content, NER spec and pipeline) followed by documents whose ids all sort after them,
the build instead goes on from this saved state (`graph.build.GraphBuilder`): the
graph is the same as a full build's, since a full build would have reached exactly
this state after the same documents. Anything else (an article changed, removed, or
added among the others) builds in full.

The file `<cache folder>/graph-state` holds a small header (format, code version,
the documents in the state with their cache keys) and the state, each part marshal
behind a CRC (marshal trusts the lengths it reads). It is written by an export
writer process after the graph is built, atomically; a missing, corrupt or foreign
file only means a full build.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import struct
import zlib
from pathlib import Path
from typing import Any

from graph.atomic import write_bytes
from graph.build import GraphBuilder, _Edges
from graph.resolve import Node, Resolver

FILENAME = "graph-state"
FORMAT = 1
_MAGIC = b"forumgraph build state\n"
_SOURCES = ("graph/build.py", "graph/resolve.py", "graph/build_state.py", "extractors/records.py",
            "extractors/normalize.py")

Documents = list[tuple[str, str]]   # (document id, cache key), in id order


def code_version() -> str:
    """A digest of the code that makes and reads the state: other code, other state."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.blake2b(f"{FORMAT}".encode(), digest_size=16)
    for name in _SOURCES:
        try:
            h.update((root / name).read_bytes())
        except OSError:
            h.update(name.encode())
    return h.hexdigest()


def state_path(cache_dir: str | os.PathLike) -> Path:
    return Path(cache_dir) / FILENAME


def save(path: str | os.PathLike, builder: GraphBuilder, documents: Documents) -> None:
    """Write `builder`'s state, which holds the records of `documents`, atomically to `path`."""
    r, edges = builder.resolver, builder.edges
    nodes = [(n.id, n.kind, n.label, n.aliases, n.docs, n.evidence, n.date, n.place, n.minor)
             for n in r.nodes.values()]
    body = marshal.dumps({"nodes": nodes, "alias_owner": r.org_alias_owner, "event_reports": r.event_reports,
                          "edges": edges.data, "titles": edges.titles, "last_doc": builder.last_doc}, 4)
    header = marshal.dumps({"format": FORMAT, "code": code_version(), "documents": documents,
                            "body_crc": zlib.crc32(body), "body_length": len(body)}, 4)
    write_bytes(path, b"".join([_MAGIC, struct.pack("<QI", len(header), zlib.crc32(header)), header, body]))


def _read(fh, n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise ValueError("the file ends early")
    return data


def read_header(path: str | os.PathLike) -> dict[str, Any] | None:
    """The header of the state at `path` if it is one this code wrote, else None."""
    try:
        with open(path, "rb") as fh:
            if fh.read(len(_MAGIC)) != _MAGIC:
                return None
            length, crc = struct.unpack("<QI", _read(fh, 12))
            if length > 1 << 30:
                return None
            data = _read(fh, length)
    except (OSError, ValueError, struct.error):
        return None
    if zlib.crc32(data) != crc:
        return None
    try:
        header = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("code") != code_version():
        return None
    return header


def appended(saved: Documents, now: Documents) -> Documents | None:
    """The documents of `now` (id order) after those of `saved`, when `now` is `saved` followed by
    documents whose ids sort after all of them; else None (the state cannot be gone on from)."""
    k = len(saved)
    if len(now) < k or now[:k] != saved:
        return None
    return now[k:]


def load(path: str | os.PathLike, header: dict[str, Any]) -> GraphBuilder | None:
    """The builder saved at `path` (whose header is `header`), or None if the file is damaged."""
    try:
        with open(path, "rb") as fh:
            fh.seek(len(_MAGIC))
            length, _ = struct.unpack("<QI", _read(fh, 12))
            fh.seek(length, os.SEEK_CUR)
            body = fh.read()
    except (OSError, ValueError, struct.error):
        return None
    if len(body) != header.get("body_length") or zlib.crc32(body) != header.get("body_crc"):
        return None
    try:
        state = marshal.loads(body)
        resolver = Resolver()
        nodes = resolver.nodes
        for nid, kind, label, aliases, docs, evidence, date, place, minor in state["nodes"]:
            nodes[nid] = Node(nid, kind, label, aliases, docs, evidence, date, place, minor)
        resolver.org_alias_owner = state["alias_owner"]
        for nid, name, date in state["event_reports"]:
            resolver.add_event_node(nid, name, date)
        edges = _Edges()
        edges.data, edges.titles = state["edges"], state["titles"]
        return GraphBuilder(resolver, edges, state["last_doc"])
    except (ValueError, EOFError, TypeError, KeyError):
        return None
