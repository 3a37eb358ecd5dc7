"""Reusing the previous build's bytes for what did not change (issue 5, incremental builds).

After one article is added to a large corpus, a few hundred of the graph's nodes and edges
change, yet graph.graphml, graph.gexf, graph.json, nodes.csv and edges.csv would be written
whole again. Instead, each of these files is written as a row of *chunks*, and a chunk whose
text cannot have changed is copied from the previous file rather than rendered:

* **Chunks** are cut by content (`plan`): a chunk of nodes (or edges), in the file's order,
  ends after an element whose identity hash (of its id, never of its data) has its low bits
  zero, about one in `NODE_AVERAGE` nodes and one in `EDGE_AVERAGE` edges. An inserted,
  removed or changed element therefore disturbs only its own chunk; the cuts elsewhere stay
  where they were.
* A chunk's **content digest** is a SHA-256 of `marshal` (version 2: no object references,
  so the bytes depend on values only, not on which objects happen to be shared) of its
  elements' raw ids and data, and of the edges' ids. It is computed once per graph for all
  formats (`plan`, kept on the `FlatGraph`; `write_all` writes graph.json in the process of
  the shared pass, so one process computes it).
* A chunk's **key** in one format (`key`) hashes the format's *salt* (this code's version and
  everything global its text depends on, such as GEXF attribute ids), the content digest and
  the per-format inputs the text depends on besides the elements themselves (GEXF node size,
  nodes.csv Degree, the JSON list separator).
* A **sidecar** per file (`<out>/.forumgraph-cache/exports/<name>.fragments`) maps each key to
  the (offset, length) of its bytes in the file, with the file's size, mtime, ctime, inode
  and device as written. A sidecar that is missing, unreadable, of another salt, or whose
  file has been touched since (any of those differ) is ignored: the file is written in full.

Text is a function of the key's inputs, so the file is byte for byte what a full write makes
(tests/test_export_reuse.py). One limit: marshal writes any buffer object (bytearray,
memoryview, numpy arrays and scalars) as its raw bytes, so such values that differ only in
type are not told apart; graphs of this project never hold them (build_graph and load_graph
make str, int, float, bool, None, lists and dicts). A value marshal cannot write at all makes
its chunk rendered every time.
"""
from __future__ import annotations

import errno
import hashlib
import marshal
import os
import sys
from array import array
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

import networkx as nx

from graph.atomic import after_commits, atomic_open, write_bytes

# elements per chunk on average: a change re-renders about this many elements. Nodes carry
# more text each (every document and evidence of a person or organization) and change more
# often (a new article adds its document to every node it names): smaller chunks
NODE_AVERAGE = 16
EDGE_AVERAGE = 64
MAX_CHUNK = 1024      # a run without a cut (as likely as e^-16 for edges) still ends somewhere
KEY_BYTES = 16
# graph.cache.CACHE_DIRNAME (not imported: graph.cache imports this package; a test checks they agree)
CACHE_DIRNAME = ".forumgraph-cache"
EXPORTS_DIRNAME = "exports"   # the sidecars' folder inside it


_SOURCES = ("flatten.py", "stream.py", "xmltext.py", "json_export.py", "style.py", "fragments.py")
_version: bytes | None = None


def code_version() -> bytes:
    """A hash of the code the files' text comes from: the exporters' sources, Python's and
    networkx' versions (float and JSON encoding, GEXF and GraphML conventions). Any edit to
    the exporters makes every old chunk unknown."""
    global _version
    if _version is None:
        h = hashlib.sha256(f"forumgraph fragments 1\n{sys.version}\nnetworkx {nx.__version__}\n".encode())
        here = Path(__file__).resolve().parent
        for name in _SOURCES:
            try:
                h.update(name.encode() + b"\0" + (here / name).read_bytes())
            except OSError:   # no source to hash: never reuse
                h.update(os.urandom(16))
        _version = h.digest()
    return _version


def salt(*parts: object) -> bytes:
    """The salt of one format: the code version and `parts` (what its text depends on globally)."""
    h = hashlib.sha256(code_version())
    for p in parts:
        h.update(repr(p).encode("utf-8", "surrogatepass") + b"\0")
    return h.digest()


def key(format_salt: bytes, digest: bytes | None, extra: bytes = b"") -> bytes | None:
    """A chunk's key in one format; None when its content has no digest (never reused)."""
    if digest is None:
        return None
    return hashlib.sha256(format_salt + digest + extra).digest()[:KEY_BYTES]


# ---------------------------------------------------------------- chunks of a graph

@dataclass
class Run:
    """One ordered sequence of elements (a file's nodes, or its edges) cut into chunks:
    chunk i holds positions ends[i-1]:ends[i] and has content digest digests[i]."""
    ends: list[int]
    digests: list[bytes | None]

    def chunks(self) -> Iterator[tuple[int, int, bytes | None]]:
        start = 0
        for end, digest in zip(self.ends, self.digests):
            yield start, end, digest
            start = end


@dataclass
class Plan:
    """The chunks of a graph for every format: the flattened formats' nodes and edges
    (GraphML, GEXF, CSV) and graph.json's (the same runs unless flat ids differ from ids)."""
    nodes: Run
    edges: Run
    json_nodes: Run
    json_edges: Run


def _node_hex(ident: str) -> str:
    return hashlib.blake2b(ident.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _cut_digits(average: int) -> frozenset[str]:
    # an identity hash (hex) whose last two digits are one of these ends a chunk
    return frozenset(f"{i:02x}" for i in range(256) if i % average == 0)


def cuts(hexes: Sequence[str], average: int) -> list[int]:
    """Chunk ends for elements with these identity hashes (hex strings): after an element whose
    hash is 0 modulo `average` (a power of two up to 256), or `MAX_CHUNK` elements after the last."""
    ends = []
    last = 0
    cut = _cut_digits(average)
    for i, h in enumerate(hexes):
        if h[-2:] in cut or i + 1 - last >= MAX_CHUNK:
            ends.append(i + 1)
            last = i + 1
    if last < len(hexes):
        ends.append(len(hexes))
    return ends


def _digest(items: list, ids: str = "") -> bytes | None:
    try:
        data = marshal.dumps(items, 2)
    except (ValueError, TypeError):   # a value marshal cannot write: this chunk is always rendered
        return None
    h = hashlib.sha256(data)
    if ids:
        h.update(ids.encode())
    return h.digest()


def _node_run(g: nx.MultiDiGraph, idents: list[str], members: Sequence) -> Run:
    """`members[i]`: the original nodes shown as element i (one, or several merged flat ids)."""
    ends = cuts([_node_hex(s) for s in idents], NODE_AVERAGE)
    node = g._node
    digests = []
    start = 0
    for end in ends:
        digests.append(_digest([(n, node[n]) for group in members[start:end] for n in group]))
        start = end
    return Run(ends, digests)


def _edge_run(edges: list[tuple], ids: list[str], order: Sequence[int] | None) -> Run:
    """Edges `edges[order[i]]` (all of `edges` in order if `order` is None), identified by `ids`."""
    seq_ids = ids if order is None else [ids[i] for i in order]
    ends = cuts(seq_ids, EDGE_AVERAGE)
    digests = []
    start = 0
    for end in ends:
        items = edges[start:end] if order is None else [edges[i] for i in order[start:end]]
        digests.append(_digest(items, "".join(seq_ids[start:end])))
        start = end
    return Run(ends, digests)


def sorted_nodes(g: nx.MultiDiGraph) -> list:
    """graph.json's node order."""
    nodes = list(g.nodes)
    return sorted(nodes) if all(type(n) is str for n in nodes) else sorted(nodes, key=str)


def plan(fg) -> Plan:
    """The chunks of `fg` (a flatten.FlatGraph) and their content digests, computed once per
    graph and kept on `fg`, so every format written from it shares them."""
    if fg.fragments is None:
        g = fg.g
        edges = fg.sorted_edges()
        ids = fg.edge_ids()
        sids = list(fg.groups)
        if fg.identity:
            nodes = _node_run(g, sids, [(s,) for s in sids])
            edge_run = _edge_run(edges, ids, None)
            fg.fragments = Plan(nodes, edge_run, nodes, edge_run)
        else:
            nodes = _node_run(g, sids, [fg.groups[s] for s in sids])
            edge_run = _edge_run(edges, ids, fg.edge_sequence())
            ordered = sorted_nodes(g)
            fg.fragments = Plan(nodes, edge_run, _node_run(g, [str(n) for n in ordered], [(n,) for n in ordered]),
                                _edge_run(edges, ids, None))
    return fg.fragments


# ---------------------------------------------------------------- sidecar

_MAGIC = b"forumgraph export fragments 1\n"


def sidecar_path(path: str | os.PathLike) -> Path:
    """Where the fragment index of the output file `path` is kept."""
    p = Path(path)
    return p.parent / CACHE_DIRNAME / EXPORTS_DIRNAME / f"{p.name}.fragments"


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev


def save_index(path: str | os.PathLike, format_salt: bytes, keys: list[bytes], spans: list[tuple[int, int]]) -> None:
    """Record the chunks of `path` (just written): key -> (offset, length), with the file's stat."""
    st = os.stat(path)
    flat = array("q", [x for span in spans for x in span])
    body = marshal.dumps({"salt": format_salt, "file": _identity(st), "byteorder": sys.byteorder,
                          "keys": b"".join(keys), "spans": flat.tobytes()}, 2)
    write_bytes(sidecar_path(path), _MAGIC + hashlib.sha256(body).digest() + body)


def drop_index(path: str | os.PathLike) -> None:
    try:
        sidecar_path(path).unlink()
    except OSError:
        pass


class Previous:
    """The previous file, open, and its chunks by key; None from `load` if it cannot be trusted."""

    def __init__(self, fd: int, spans: dict[bytes, tuple[int, int]]):
        self.fd, self.spans = fd, spans

    @classmethod
    def load(cls, path: str | os.PathLike, format_salt: bytes) -> "Previous | None":
        try:
            data = sidecar_path(path).read_bytes()
        except OSError:
            return None
        head = len(_MAGIC)
        if data[:head] != _MAGIC or hashlib.sha256(data[head + 32:]).digest() != data[head:head + 32]:
            return None   # another layout, truncated or corrupt
        try:
            meta = marshal.loads(data[head + 32:])
            keys, raw, recorded = meta["keys"], meta["spans"], tuple(meta["file"])
            ok = meta["salt"] == format_salt and meta["byteorder"] == sys.byteorder
        except Exception:   # the sidecar is data from disk: anything unexpected means "not usable"
            return None
        if not ok or type(keys) is not bytes or type(raw) is not bytes:
            return None
        flat = array("q")
        try:
            flat.frombytes(raw)
        except ValueError:
            return None
        n = len(keys) // KEY_BYTES
        if len(keys) != n * KEY_BYTES or len(flat) != 2 * n:
            return None
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
        except OSError:
            os.close(fd)
            return None
        # the file as it was written, or nothing: an edited, replaced or touched file is written in full
        if _identity(st) != recorded or any(o < 0 or ln < 0 or o + ln > st.st_size for o, ln in zip(flat[::2], flat[1::2])):
            os.close(fd)
            return None
        spans = {keys[i * KEY_BYTES:(i + 1) * KEY_BYTES]: (flat[2 * i], flat[2 * i + 1]) for i in range(n)}
        return cls(fd, spans)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# ---------------------------------------------------------------- writing

class StalePrevious(OSError):
    """The previous file ended before a chunk the sidecar placed in it (changed while being read)."""


class Output:
    """A file being written without reuse: every chunk rendered (a file object or a buffer)."""

    def __init__(self, fh: IO[bytes]):
        self.fh = fh

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def copy(self, key: bytes | None) -> bool:
        return False

    def chunk(self, key: bytes | None, data: bytes) -> None:
        self.fh.write(data)

    def close(self) -> None:
        pass

    def release(self) -> None:
        pass


_FLUSH = 1 << 20
_COPY_UNSUPPORTED = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}


class FragmentOutput(Output):
    """A file being written as chunks, copying known chunks from the previous file (`previous`,
    may be None) and recording where every chunk went for the next build's sidecar.

    Writes go straight to the file descriptor of `fh` (never through its buffer), so that
    pieces written and ranges copied by the kernel (copy_file_range) land in order."""

    def __init__(self, fh: IO[bytes], format_salt: bytes, previous: Previous | None):
        super().__init__(fh)
        self.fd = fh.fileno()
        self.salt = format_salt
        self.previous = previous
        self.keys: list[bytes] = []
        self.spans: list[tuple[int, int]] = []
        self.pos = 0
        self.copied = self.rendered = 0   # bytes, for benchmarks and tests
        self._buf: list[bytes] = []
        self._buffered = 0
        self._pending: list[int] | None = None   # [offset, length] in the previous file, to copy
        self._kernel_copy = hasattr(os, "copy_file_range")

    def write(self, data: bytes) -> None:
        if self._pending is not None:
            self._copy_pending()
        self._buf.append(data)
        self._buffered += len(data)
        self.pos += len(data)
        if self._buffered >= _FLUSH:
            self._flush()

    def copy(self, key: bytes | None) -> bool:
        if key is None or self.previous is None:
            return False
        span = self.previous.spans.get(key)
        if span is None:
            return False
        offset, length = span
        pending = self._pending
        if pending is not None and pending[0] + pending[1] == offset:
            pending[1] += length   # adjacent in the old file too: one copy
        else:
            if pending is not None:
                self._copy_pending()
            self._pending = [offset, length]
        self.keys.append(key)
        self.spans.append((self.pos, length))
        self.pos += length
        self.copied += length
        return True

    def chunk(self, key: bytes | None, data: bytes) -> None:
        if key is not None:
            self.keys.append(key)
            self.spans.append((self.pos, len(data)))
        self.rendered += len(data)
        self.write(data)

    def close(self) -> None:
        """Everything written to the file (before it is synced and renamed)."""
        if self._pending is not None:
            self._copy_pending()
        self._flush()
        self.release()
        if os.lseek(self.fd, 0, os.SEEK_CUR) != self.pos:   # pragma: no cover - a bug, not a condition
            raise RuntimeError("fragment output out of step with its file")

    def _flush(self) -> None:
        if self._buf:
            data = b"".join(self._buf)
            self._buf, self._buffered = [], 0
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]

    def _copy_pending(self) -> None:
        offset, length = self._pending
        self._pending = None
        self._flush()
        src = self.previous.fd
        while length:
            n = 0
            if self._kernel_copy:
                try:
                    n = os.copy_file_range(src, self.fd, length, offset)
                except OSError as exc:
                    if exc.errno not in _COPY_UNSUPPORTED:
                        raise
                    self._kernel_copy = False
            if not self._kernel_copy:
                data = os.pread(src, min(length, 1 << 24), offset)
                view = memoryview(data)
                while view:
                    view = view[os.write(self.fd, view):]
                n = len(data)
            if n == 0:
                raise StalePrevious(f"the previous file ended before offset {offset + length}")
            offset += n
            length -= n

    def release(self) -> None:
        """Close the previous file (also after a failure)."""
        if self.previous is not None:
            self.previous.close()

    def commit(self, path: str | os.PathLike) -> None:
        """After the file is in place: record its chunks for the next build (a failure to do so
        only costs the next build its reuse)."""
        try:
            save_index(path, self.salt, self.keys, self.spans)
        except OSError:
            drop_index(path)


def write_files(paths: dict[str, str | os.PathLike], salts: dict[str, bytes] | None,
                body: Callable[[dict[str, Output]], None]) -> None:
    """Write each of `paths` (name -> path) atomically through `body(outputs)` (name -> Output).

    With `salts` (name -> format salt; reuse on) the outputs are FragmentOutputs: chunks known
    to the previous file's sidecar are copied from it, and each file gets a new sidecar once it
    is in place. Without (reuse off) every chunk is rendered and no sidecar is read or written
    (an old one no longer matches its file's stat, so it is never trusted again). A previous
    file found shorter than its sidecar says (changed while being read) costs a second pass
    that reuses nothing."""
    try:
        _write_once(paths, salts, body, previous=salts is not None)
    except StalePrevious:
        _write_once(paths, salts, body, previous=False)


def _write_once(paths, salts, body, previous: bool) -> None:
    outs: dict[str, Output] = {}
    try:
        with ExitStack() as stack:
            for name, path in paths.items():
                fh = stack.enter_context(atomic_open(path, "wb"))
                if salts is None:
                    outs[name] = Output(fh)
                else:
                    old = Previous.load(path, salts[name]) if previous else None
                    outs[name] = FragmentOutput(fh, salts[name], old)
            body(outs)
            for out in outs.values():
                out.close()
    finally:
        for out in outs.values():
            out.release()
    for name, path in paths.items():
        out = outs[name]
        if isinstance(out, FragmentOutput):
            # the sidecar records the file's final stat: once the file is in place
            after_commits(lambda out=out, path=path: out.commit(path))
