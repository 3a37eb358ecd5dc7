"""`graph.db`: the graph in SQLite, so that `forumgraph query` answers in well under a
second on a graph of tens of thousands of articles.

Loading `graph.json` of a 10,000-article build takes seconds (most of it is evidence
that no query reads). A query about one person or one event needs only that node's
neighbourhood, so the index stores nodes and edges without evidence, indexed by both
ends, and the reader loads just the part of the graph a question needs into a small
`nx.MultiDiGraph`. The query functions of `graph/query.py` then run on it unchanged:
on a complete neighbourhood they give the same answer as on the whole graph (tested).

Rankings that depend on the whole graph read precomputed columns (degree, events
attended); whole-graph algorithms (shortest paths, betweenness, communities) load the
graph's structure only: ids, kinds, labels and relations, not documents or evidence.

Writing. A build that adds one article to thousands changes a few hundred rows of
graph.db, but writing it whole costs seconds (hundreds of thousands of edges and
co-attendance pairs). So when graph.db exists, `write_query_index` updates it in place,
in one SQLite transaction: a content digest per node (its row), per node's out-edges
(its edge rows) and per attending person (what its co-attendance pairs depend on) is
stored in the `digests` table; the rows whose digests changed are deleted and written
again, the others are not touched. Readers see the old index or the new one (rollback
journal: a build killed mid-update leaves the old one, rolled back by the next opener).
It writes the file whole (a temporary file renamed into place, like every output) when
there is none, when it is of another schema or was written by other code (see
`code_version`), unreadable, or when so much changed that rewriting is cheaper.
The result is the same table contents as a fresh write (tested); no reader depends on
the physical order of rows.
"""
from __future__ import annotations

import gc
import hashlib
import json
import marshal
import os
import sqlite3
import struct
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from extractors.normalize import fold_name
from graph import query as q

if TYPE_CHECKING:
    import networkx as nx

INDEX_NAME = "graph.db"
RELATIONS = ("holds_role", "attended", "part_of", "organized")
# 2: no edges.seq (readers order edges by u, v, key), the digests table, counts in meta;
# 3: the adjacency table (node numbers and each node's out-neighbours as numbers)
SCHEMA = 3
# attributes no query reads: left out of the index (they stay in graph.json / graph.graphml);
# a node's documents are kept apart and read only for the node a question is about
SKIPPED = {"evidence", "docs"}

# An update compares the rows of what changed with the file's, one by one, and writes those that
# differ with every index kept up to date: about twice a fresh bulk write's cost per row, besides
# the digests of the whole graph (on the 10,000-article benchmark an update of 45 % of the rows
# cost as much as a fresh write). Past this share of the rows compared, write whole.
REWRITE_SHARE = 0.3
# Deleted rows leave free pages; an index more than this share free is written whole (compacted).
FREE_SHARE = 0.25
# Below this many rows (nodes, edges and pairs) a whole write takes under a second: an update
# would save little, and a fresh file is compact and the same bytes as any fresh write.
MIN_UPDATE_ROWS = 50_000
# How long an update waits for readers (a reader holds the file for one `forumgraph query`):
# past it the index is written whole and renamed into place, which waits for nobody.
LOCK_WAIT = 5.0

_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE nodes (id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL,
                    degree INTEGER NOT NULL, events INTEGER NOT NULL, attrs TEXT NOT NULL, docs TEXT NOT NULL);
CREATE TABLE names (key TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, is_label INTEGER NOT NULL);
CREATE TABLE pairs (a TEXT NOT NULL, b TEXT NOT NULL, la TEXT NOT NULL, lb TEXT NOT NULL,
                    shared INTEGER NOT NULL, events TEXT NOT NULL);
CREATE TABLE edges (u TEXT NOT NULL, v TEXT NOT NULL, key TEXT NOT NULL, relation TEXT NOT NULL, attrs TEXT NOT NULL);
CREATE TABLE digests (id TEXT PRIMARY KEY, node BLOB NOT NULL, out BLOB NOT NULL, pairs BLOB, events TEXT,
                      lineage BLOB) WITHOUT ROWID;
CREATE TABLE adjacency (id TEXT PRIMARY KEY, num INTEGER NOT NULL, out BLOB NOT NULL) WITHOUT ROWID;
"""
_INDEXES = """
CREATE INDEX names_key ON names (key);
CREATE INDEX names_id ON names (id);
CREATE INDEX pairs_a ON pairs (a, b);
CREATE INDEX pairs_b ON pairs (b);
CREATE INDEX pairs_rank ON pairs (shared DESC, la, lb, a, b);
CREATE INDEX edges_u ON edges (u, relation);
CREATE INDEX edges_v ON edges (v, relation);
"""
TABLES = ("meta", "nodes", "names", "pairs", "edges", "digests", "adjacency")


class QueryIndexError(LookupError):
    """graph.db is missing, unreadable or of another schema."""


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code the rows are computed with: this module, graph/query.py (labels,
    degree, attendance, pairs), name folding and OpenCC's version (the names table), the
    Python version (marshal, which the digests hash). Rows of unchanged nodes are kept by an
    update, so an index written by other code is written whole instead."""
    from importlib import metadata

    import extractors.normalize

    h = hashlib.sha256(f"schema {SCHEMA} python {sys.version_info[0]}.{sys.version_info[1]}\n".encode())
    for dist in ("opencc-python-reimplemented", "opencc"):
        try:
            h.update(f"{dist} {metadata.version(dist)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist} missing\n".encode())
    for module in (sys.modules[__name__], q, extractors.normalize):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:32]


def _json(attrs: dict, skip: set[str]) -> str:
    return json.dumps({k: v for k, v in sorted(attrs.items()) if k not in skip}, ensure_ascii=False,
                      separators=(",", ":"), default=str)


def _digest(obj: object) -> bytes:
    """16 bytes that change whenever `obj` does. marshal (format 2: no back-references, so the
    bytes depend on the value only, not on which objects are shared) is several times faster
    than JSON; a value marshal refuses is hashed as the JSON the row holds."""
    try:
        data = b"m" + marshal.dumps(obj, 2)
    except ValueError:
        data = b"j" + json.dumps(obj, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()


def _kept(d: dict) -> list[tuple]:
    """A node's or edge's attributes as the index holds them, in key order (a copy without
    SKIPPED: the fastest way to leave two keys out of a small dict)."""
    c = d.copy()
    for key in SKIPPED:
        c.pop(key, None)
    return sorted(c.items())      # keys are unique: values are never compared


class _Digests:
    """Everything of `g` the index's rows depend on, digested per node (str id -> 16 bytes):
    `node` its nodes row (attributes, documents, degree, events attended), `out` its out-edges'
    rows, `pairs` (attending persons only) its label and events with their lineage, from which
    all of its co-attendance pairs follow; `lineage` (events that are part of others) the
    events it is part of. `events` keeps each attending person's events themselves (JSON), so
    that an update finds which of them changed, and so which of its pairs.

    Attributes and out-edges are digested in sorted order, not the graph's insertion order:
    the same graph built in another order gives the same digests, so the same file."""

    def __init__(self, g: nx.MultiDiGraph):
        self.att = q.Attendance(g)
        # `top --by events` ranks len(query.attended(g, p)): events attended, parent events included
        self.events = {p: len(evs) for p, evs in self.att.events.items()}
        self.ids: dict[str, object] = {}
        self.degree: dict[object, int] = {}
        self.node: dict[str, bytes] = {}
        self.out: dict[str, bytes] = {}
        self.pairs: dict[str, bytes] = {}
        self.lists: dict[str, str] = {}
        self.lineage: dict[str, bytes] = {}
        self.edges = 0     # g.number_of_edges() walks every node's degree: counted here instead
        # networkx's own adjacency dicts: its views cost a Python call per item, 200,000 times
        succ, pred = g._succ, g._pred
        for n, d in g.nodes(data=True):
            sid = str(n)
            self.ids[sid] = n
            out = succ[n]
            degree = self.degree[n] = len(out.keys() | pred[n].keys())     # query.neighbour_count
            self.node[sid] = _digest((_kept(d), d.get("docs"), degree, self.events.get(n, 0)))
            edges = [(v, k, _kept(ed)) for v, keyed in out.items() for k, ed in keyed.items()]
            try:
                edges.sort()       # (v, k) is unique: the attributes are never compared
            except TypeError:      # ids or keys of several types
                edges.sort(key=lambda e: (str(e[0]), str(e[1])))
            self.edges += len(edges)
            self.out[sid] = _digest(edges)
            lineage = self.att.lineage(n)
            if lineage:
                self.lineage[sid] = _digest(lineage)
        for p, evs in self.att.events.items():
            ordered = sorted(evs)
            self.pairs[str(p)] = _digest((q.label(g, p), [(e, self.att.lineage(e)) for e in ordered]))
            self.lists[str(p)] = json.dumps([str(e) for e in ordered], ensure_ascii=False)

    def rows(self, sid: str) -> tuple:
        return sid, self.node[sid], self.out[sid], self.pairs.get(sid), self.lists.get(sid), self.lineage.get(sid)


def _node_row(g: nx.MultiDiGraph, n: object, dg: _Digests) -> tuple:
    d = g.nodes[n]
    return (str(n), str(d.get("kind") or ""), str(d.get("label") or n), dg.degree[n], dg.events.get(n, 0),
            _json(d, SKIPPED), json.dumps(list(d.get("docs") or []), ensure_ascii=False))


def _edge_rows(g: nx.MultiDiGraph, u: object) -> Iterable[tuple]:
    su = str(u)
    for v, keyed in g.adj[u].items():
        for k, d in keyed.items():
            yield su, str(v), str(k), str(d.get("relation") or ""), _json(d, SKIPPED)


def node_number(node: str) -> int:
    """A node's number in graph.db's adjacency table: 64 bits of BLAKE2b of its id (as a signed
    integer). A function of the id alone, so a node keeps its number through every update (nodes
    added or removed renumber nothing) and a fresh write numbers every node the same way. Two ids
    of one number are possible in principle (about one chance in 10^11 at 13,000 nodes): the
    reader then reads the edges by id instead (`QueryIndex.skeleton`)."""
    digest = hashlib.blake2b(node.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


class _Numbers(dict):
    """str id -> `node_number`, computed on first use."""

    def __missing__(self, sid: str) -> int:
        num = self[sid] = node_number(sid)
        return num


def _adjacency_row(g: nx.MultiDiGraph, n: object, numbers: _Numbers) -> tuple[str, int, bytes]:
    """(id, number, the numbers of the targets of its out-edges): one number per edge, parallel
    edges included, sorted, as little-endian 64-bit integers. What `QueryIndex.skeleton` reads
    the whole graph's edge ends from, without a string per edge end."""
    sid = str(n)
    ends = sorted(numbers[str(v)] for v, keyed in g._succ[n].items() for _ in keyed)
    return sid, numbers[sid], struct.pack(f"<{len(ends)}q", *ends)


def _name_rows(g: nx.MultiDiGraph, nodes: Iterable[object]) -> Iterable[tuple[str, str, str, int]]:
    """(folded name, node, kind, 1 if it is the label): what `query.find_node` compares a typed name with."""
    for n in nodes:
        kind = str(g.nodes[n].get("kind") or "")
        own = fold_name(q.label(g, n))
        keys = q.name_keys(g, n)
        for key in keys:
            yield key, str(n), kind, int(key == own)
        if own not in keys:
            yield own, str(n), kind, 1


class _PairRows:
    """Co-attendance rows (a, b, label of a, label of b, shared, events as JSON), a < b."""

    def __init__(self, g: nx.MultiDiGraph, att: q.Attendance):
        self.g, self.att = g, att
        self.labels: dict[object, str] = {}
        self.encoded: dict[object, str] = {}    # each event's JSON once: far more pairs than events

    def row(self, a: object, b: object, events: list) -> tuple:
        labels, encoded = self.labels, self.encoded
        la = labels.get(a)
        if la is None:
            la = labels[a] = q.label(self.g, a)
        lb = labels.get(b)
        if lb is None:
            lb = labels[b] = q.label(self.g, b)
        parts = []
        for e in events:
            text = encoded.get(e)
            if text is None:
                text = encoded[e] = json.dumps(str(e), ensure_ascii=False)
            parts.append(text)
        return str(a), str(b), la, lb, len(events), "[" + ",".join(parts) + "]"

    def all(self) -> Iterable[tuple]:
        for a, b, events in self.att.pairs():
            yield self.row(a, b, events)

    def of(self, persons: Iterable[object], pairs: Iterable[tuple]) -> list[tuple]:
        """The rows of every pair with one of `persons` in it, and of `pairs` (a, b), a < b: each
        once, if the two share an event."""
        out, done = [], set()
        for a in sorted(persons, key=str):
            for b, events in self.att.partners(a).items():
                key = (a, b) if a < b else (b, a)
                if events and key not in done:
                    done.add(key)
                    out.append(self.row(*key, events))
        events_of, specific = self.att.events, self.att.specific
        for a, b in sorted(pairs, key=lambda ab: (str(ab[0]), str(ab[1]))):
            if (a, b) in done:
                continue
            shared = events_of.get(a, set()) & events_of.get(b, set())
            events = specific(shared) if shared else []
            if events:
                out.append(self.row(a, b, events))
        return out


# how this process last wrote an index: {"how": "whole", "why": …} or {"how": "update", rows
# changed per table}; for benchmarks and tests
LAST_WRITE: dict[str, object] = {}


class _Rewrite(Exception):
    """The index is to be written whole: why."""


def write_query_index(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Write `g` to the SQLite file `path`: an update in place of the rows that changed when
    `path` is an index this code wrote and little changed, else the whole file (atomically:
    a temporary file renamed into place)."""
    path = Path(path)
    # no cyclic garbage collection meanwhile (as in `write_all`): the digests make a container per
    # edge, and each collection they trigger would walk every object of the graph
    collecting = gc.isenabled()
    gc.disable()
    try:
        dg = _Digests(g)
        why = "no index yet"
        if path.is_file():
            try:
                LAST_WRITE.clear()
                LAST_WRITE.update(_update(g, dg, path))
                return
            except _Rewrite as exc:
                why = str(exc)
            except sqlite3.Error as exc:     # corrupt, not a database, held by a reader too long
                why = f"{type(exc).__name__}: {exc}"
        _write_whole(g, dg, path)
        LAST_WRITE.clear()
        LAST_WRITE.update(how="whole", why=why)
    finally:
        if collecting:
            gc.enable()


def _meta(dg: _Digests, pairs: int) -> dict[str, str]:
    return {"schema": str(SCHEMA), "code": code_version(), "nodes": str(len(dg.node)),
            "edges": str(dg.edges), "pairs": str(pairs)}


def _write_whole(g: nx.MultiDiGraph, dg: _Digests, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA journal_mode = OFF")     # a fresh file renamed into place: no journal needed
        con.execute("PRAGMA synchronous = OFF")
        con.executescript(_DDL)
        nodes = sorted(g.nodes, key=str)
        con.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?, ?)", (_node_row(g, n, dg) for n in nodes))
        con.executemany("INSERT INTO names VALUES (?, ?, ?, ?)", _name_rows(g, nodes))
        cur = con.executemany("INSERT INTO pairs VALUES (?, ?, ?, ?, ?, ?)", _PairRows(g, dg.att).all())
        pairs = cur.rowcount
        # in (u, v, key) order, the order readers ask for: a table scan then needs no sorting
        con.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?)",
                        ((str(u), str(v), str(k), str(d.get("relation") or ""), _json(d, SKIPPED))
                         for u, v, k, d in sorted(g.edges(keys=True, data=True),
                                                  key=lambda e: (str(e[0]), str(e[1]), str(e[2])))))
        con.executemany("INSERT INTO digests VALUES (?, ?, ?, ?, ?, ?)", (dg.rows(str(n)) for n in nodes))
        numbers = _Numbers()
        con.executemany("INSERT INTO adjacency VALUES (?, ?, ?)", (_adjacency_row(g, n, numbers) for n in nodes))
        con.executemany("INSERT INTO meta VALUES (?, ?)", _meta(dg, pairs).items())
        con.executescript(_INDEXES)
        con.commit()
    finally:
        con.close()
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    _drop_journal(path)
    os.replace(tmp, path)


def _drop_journal(path: Path) -> None:
    """A rollback journal left beside the old file by an update that was killed must not outlive
    it: SQLite would play it back onto the new file. Opening the old file plays it back there;
    if that fails, the journal goes (the old file is replaced anyway)."""
    journal = path.with_name(path.name + "-journal")
    if not journal.exists():
        return
    try:
        _roll_back(path)
    except sqlite3.Error:
        pass
    journal.unlink(missing_ok=True)


def _roll_back(path: Path) -> None:
    """Let SQLite play back the journal of an update that was killed (it does on the first read)."""
    con = sqlite3.connect(path, timeout=LOCK_WAIT)
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        con.close()


FIELDS = {"names": "key, id, kind, is_label", "edges": "u, v, key, relation, attrs",
          "pairs": "a, b, la, lb, shared, events"}


def _select(con: sqlite3.Connection, table: str, where: str, params: Iterable[tuple],
            into: dict[int, tuple] | None = None) -> dict[int, tuple]:
    """rowid -> row of the rows of `table` that `where` selects, for each of `params`."""
    into = {} if into is None else into
    sql = f"SELECT rowid, {FIELDS[table]} FROM {table} WHERE {where}"
    for p in params:
        for rowid, *row in con.execute(sql, p):
            into[rowid] = tuple(row)
    return into


def _apply(con: sqlite3.Connection, table: str, have: dict[int, tuple], rows: Iterable[tuple]) -> tuple[int, int]:
    """Make the rows `have` (rowid -> row, all those of `table` the change concerns) equal to
    `rows`, deleting and inserting only the rows that differ: a node's out-edges or a person's
    pairs are often thousands of rows of which one article changes a few, and every row
    written costs pages of every index of the table (and of the journal).
    Returns (rows deleted, rows inserted)."""
    by_row: dict[tuple, list[int]] = {}
    for rowid, row in have.items():
        by_row.setdefault(row, []).append(rowid)
    add = []
    for row in rows:
        kept = by_row.get(row)
        if kept:
            kept.pop()
        else:
            add.append(row)
    gone = sorted(rowid for rowids in by_row.values() for rowid in rowids)
    con.executemany(f"DELETE FROM {table} WHERE rowid = ?", ((r,) for r in gone))
    con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(FIELDS[table].split(',')))})", add)
    return len(gone), len(add)


def _changed_pairs(con: sqlite3.Connection, g: nx.MultiDiGraph, dg: _Digests, old: dict[str, tuple],
                   persons: list[str]) -> tuple[list[str], set[tuple]]:
    """Which co-attendance pairs to compare, for the `persons` whose pairs digest changed: all
    pairs of those that are new, gone or renamed; of the others, the pairs with everyone who
    attends (now or before) an event they gained or lost or whose lineage changed. A pair of two
    persons is a function of their labels, their events and those events' lineage: any other
    pair of theirs is unchanged. Returns (persons, by str id, all of whose pairs to compare;
    pairs (a, b) of graph ids, a < b)."""
    ids, att = dg.ids, dg.att
    old_lists = {i: set(json.loads(old[i][3])) for i in persons if i in old and old[i][3] is not None}
    lineage_changed = {i for i in dg.lineage.keys() | {i for i, r in old.items() if r[4] is not None}
                       if (old[i][4] if i in old else None) != dg.lineage.get(i)}
    before: dict[str, list[str]] = {}       # event -> persons of `persons` who attended it before
    for i, events in old_lists.items():
        for e in events:
            before.setdefault(e, []).append(i)
    labels = dict(_select_labels(con, [i for i in old_lists if i in dg.pairs]))
    whole: list[str] = []
    pairs: set[tuple] = set()
    for i in persons:
        if i not in dg.pairs or i not in old_lists or labels.get(i) != q.label(g, ids[i]):
            whole.append(i)
            continue
        a = ids[i]
        now = {str(e) for e in att.events[a]}
        events = (old_lists[i] ^ now) | {e for e in old_lists[i] | now if e in lineage_changed}
        partners = set()
        for e in events:
            if e in ids:
                partners.update(att.attendees.get(ids[e], ()))
            partners.update(ids[j] for j in before.get(e, ()) if j in ids)
        partners.discard(a)
        pairs.update((a, b) if a < b else (b, a) for b in partners)
    return whole, pairs


def _select_labels(con: sqlite3.Connection, ids: list[str]) -> Iterable[tuple[str, str]]:
    for i in ids:
        row = con.execute("SELECT label FROM nodes WHERE id = ?", (i,)).fetchone()
        if row:
            yield i, row[0]


def _update(g: nx.MultiDiGraph, dg: _Digests, path: Path) -> dict[str, object]:
    """Bring the index at `path` to `g` in one transaction; raises _Rewrite (nothing changed on
    disk) when it is of another schema or code, or when writing it whole is cheaper."""
    con = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None)
    try:
        # the changed pages stay in memory until the commit (a spill to the file would lock
        # readers out early)
        con.execute("PRAGMA cache_size = -512000")
        con.execute("BEGIN IMMEDIATE")     # the write lock now: readers go on reading the old rows
        meta = dict(con.execute("SELECT key, value FROM meta"))
        if meta.get("schema") != str(SCHEMA):
            raise _Rewrite(f"schema {meta.get('schema')}")
        if meta.get("code") != code_version():
            raise _Rewrite("written by other code")
        total = len(dg.node) + dg.edges + int(meta.get("pairs", 0))
        if total < MIN_UPDATE_ROWS:
            raise _Rewrite(f"small: {total} rows")
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        if free > FREE_SHARE * pages:
            raise _Rewrite(f"{free} of {pages} pages free")
        old = {row[0]: row[1:] for row in con.execute("SELECT id, node, out, pairs, events, lineage FROM digests")}
        if len(old) != int(meta.get("nodes", -1)):
            raise _Rewrite("digests and counts disagree")
        new, ids = dg.node, dg.ids
        gone = [i for i in old if i not in new]
        rows = [i for i in new if i not in old or old[i][0] != new[i]]      # nodes rows (and names)
        outs = [i for i in new if i not in old or old[i][1] != dg.out[i]]   # out-edges
        persons = sorted(i for i in new.keys() | old.keys()                  # co-attendance pairs
                         if (old[i][2] if i in old else None) != dg.pairs.get(i))
        lineage = [i for i in new if (old[i][4] if i in old else None) != dg.lineage.get(i)]
        if not (gone or rows or outs or persons or lineage):
            return {"how": "unchanged"}     # the index is the graph's already: no write, no commit to sync
        edges = [row for i in outs for row in _edge_rows(g, ids[i])]
        whole, some = _changed_pairs(con, g, dg, old, persons)     # before the nodes rows change
        pairs = _PairRows(g, dg.att).of((ids[i] for i in whole if i in dg.pairs), some)
        if len(rows) + len(edges) + len(pairs) > REWRITE_SHARE * total:
            raise _Rewrite(f"large: {len(rows)} nodes, {len(edges)} edges, {len(pairs)} pairs to compare")
        con.executemany("DELETE FROM nodes WHERE id = ?", ((i,) for i in gone))
        con.executemany("INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (_node_row(g, ids[i], dg) for i in rows))
        names_sync = _apply(con, "names", _select(con, "names", "id = ?", ((i,) for i in (*gone, *rows))),
                            _name_rows(g, (ids[i] for i in rows)))
        edges_sync = _apply(con, "edges", _select(con, "edges", "u = ?", ((i,) for i in (*gone, *outs))), edges)
        have = _select(con, "pairs", "a = ?", ((i,) for i in whole))
        _select(con, "pairs", "b = ?", ((i,) for i in whole), have)
        _select(con, "pairs", "a = ? AND b = ?", ((str(a), str(b)) for a, b in sorted(some, key=str)), have)
        pairs_sync = _apply(con, "pairs", have, pairs)
        # a node's adjacency row follows its out-edges (the `out` digest covers their targets' ids,
        # hence their numbers); a number never changes
        numbers = _Numbers()
        con.executemany("DELETE FROM adjacency WHERE id = ?", ((i,) for i in gone))
        con.executemany("INSERT OR REPLACE INTO adjacency VALUES (?, ?, ?)",
                        (_adjacency_row(g, ids[i], numbers) for i in outs))
        con.executemany("DELETE FROM digests WHERE id = ?", ((i,) for i in gone))
        con.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?)",
                        (dg.rows(i) for i in sorted({*rows, *outs, *persons, *lineage}) if i in new))
        # the counts are kept by difference: an index that does not add up (edited, or damaged
        # without SQLite noticing) is not trusted, and written whole
        n_nodes = int(meta["nodes"]) - len(gone) + sum(1 for i in rows if i not in old)
        n_edges = int(meta.get("edges", -1)) - edges_sync[0] + edges_sync[1]
        n_pairs = int(meta.get("pairs", -1)) - pairs_sync[0] + pairs_sync[1]
        if (n_nodes, n_edges) != (len(new), dg.edges) or n_pairs < 0:
            raise _Rewrite("the rows do not add up")
        con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", _meta(dg, n_pairs).items())
        con.execute("COMMIT")
        return {"how": "update", "nodes": len(gone) + len(rows), "names": names_sync,
                "edges": edges_sync, "pairs": pairs_sync, "compared": (len(edges), len(pairs)),
                "persons": (len(whole), len(persons) - len(whole))}
    finally:
        con.close()    # without a COMMIT: the transaction is rolled back, the file as it was


def _new_graph() -> nx.MultiDiGraph:
    """An empty graph for a view. networkx is imported here, not with the module: its import is a
    fifth of a second, and the questions answered from the tables alone (an event's profile,
    rankings, betweenness) build no graph."""
    import networkx as nx

    return nx.MultiDiGraph()


class QueryIndex:
    """Read side of graph.db: small graphs for the questions of `graph/query.py`."""

    con: sqlite3.Connection | None = None

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise QueryIndexError(f"{self.path}: no query index")
        try:
            try:
                row = self._open()
            except sqlite3.OperationalError as exc:
                # a build killed while updating the index left its journal: a read-only connection
                # cannot play it back; a writable one does, on opening (the old index again)
                if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_READONLY:
                    raise
                self.close()
                _roll_back(self.path)
                row = self._open()
        except sqlite3.DatabaseError as exc:
            raise QueryIndexError(f"{self.path}: not a forumgraph query index ({exc})") from exc
        if not row or row[0] != str(SCHEMA):
            raise QueryIndexError(f"{self.path}: query index of another version; rebuild the graph")

    def _open(self) -> tuple | None:
        # waits out an update's commit (milliseconds; an update waits LOCK_WAIT for readers)
        self.con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=2 * LOCK_WAIT,
                                   isolation_level=None)
        # one read transaction for the reader's life: every question sees one version of the
        # index, even if a build updates it meanwhile (the update waits for it to close)
        self.con.execute("BEGIN")
        return self.con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()

    # -- names ---------------------------------------------------------------

    def find(self, name: str, kind: str | None = None) -> str:
        """`query.find_node` on the whole graph: the common cases (a node id, a unique label or
        alias) by index; anything else (ambiguity, partial names, suggestions) on all names."""
        row = self.con.execute("SELECT kind FROM nodes WHERE id = ?", (name,)).fetchone()
        if row and (kind is None or row[0] == kind):
            return name
        key = fold_name(name)
        rows = self.con.execute("SELECT id, kind, is_label FROM names WHERE key = ?", (key,)).fetchall()
        rows = [r for r in rows if kind is None or r[1] == kind]
        by_label = {i for i, _, is_label in rows if is_label}
        by_any = {i for i, _, _ in rows}
        if len(by_label) == 1:
            return next(iter(by_label))
        if len(by_any) == 1:
            return next(iter(by_any))
        return q.find_node(self.names(), name, kind)

    def docs(self, node: str) -> list[str]:
        row = self.con.execute("SELECT docs FROM nodes WHERE id = ?", (node,)).fetchone()
        return json.loads(row[0]) if row else []

    # -- whole-graph views ---------------------------------------------------

    def names(self) -> nx.MultiDiGraph:
        """Every node with kind, label and aliases, no edges: enough to resolve a typed name."""
        g = _new_graph()
        for nid, kind, label, attrs in self.con.execute("SELECT id, kind, label, attrs FROM nodes ORDER BY id"):
            aliases = json.loads(attrs).get("aliases") or []
            g.add_node(nid, kind=kind, label=label, aliases=aliases)
        return g

    def structure(self, relations: Iterable[str] | None = None) -> nx.MultiDiGraph:
        """All nodes and edges (optionally only some relations) without documents or evidence."""
        g = _new_graph()
        for nid, attrs in self.con.execute("SELECT id, attrs FROM nodes ORDER BY id"):
            g.add_node(nid, **json.loads(attrs))
        sql = "SELECT u, v, key, attrs FROM edges"
        params: tuple = ()
        if relations is not None:
            rels = sorted(set(relations))
            sql += f" WHERE relation IN ({','.join('?' * len(rels))})"
            params = tuple(rels)
        g.add_edges_from((u, v, k, json.loads(a))
                         for u, v, k, a in self.con.execute(sql + " ORDER BY u, v, key", params))
        return g

    def skeleton(self) -> q.Skeleton:
        """`query.skeleton` of the whole graph, read straight from the tables: ids, labels,
        kinds and edge ends (what betweenness and communities read), no attributes decoded.
        The edge ends come from the adjacency table as integer positions (`Skeleton.ends`):
        218,000 ends of the 10,000-article graph as Python strings, and mapping those to
        positions, cost most of a second."""
        labels, kinds = {}, {}
        for nid, kind, label in self.con.execute("SELECT id, kind, label FROM nodes ORDER BY id"):
            labels[nid], kinds[nid] = label, kind
        nodes = list(labels)
        ends = self._ends(nodes)
        if ends is None:
            return q.Skeleton(nodes, labels, kinds, self.con.execute("SELECT u, v FROM edges").fetchall())
        return q.Skeleton(nodes, labels, kinds, ends=ends)

    def _ends(self, nodes: list[str]) -> tuple | None:
        """(positions of the edges' sources, of their targets) in `nodes` (sorted ids), from the
        adjacency table; None when its numbers do not tell nodes apart (two ids of one number,
        or rows that are not the nodes'): the caller then reads the edges by id."""
        import numpy as np     # here: the other questions do without numpy's import

        rows = self.con.execute("SELECT id, num, out FROM adjacency ORDER BY id").fetchall()
        if [r[0] for r in rows] != nodes:
            return None
        n = len(rows)
        numbers = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
        order = np.argsort(numbers, kind="stable")
        ranked = numbers[order]
        if n > 1 and (ranked[1:] == ranked[:-1]).any():
            return None
        counts = np.fromiter((len(r[2]) for r in rows), dtype=np.int64, count=n) // 8
        targets = np.frombuffer(b"".join(r[2] for r in rows), dtype="<i8")
        at = np.searchsorted(ranked, targets)
        if len(targets) and (n == 0 or (at >= n).any() or (ranked[np.minimum(at, n - 1)] != targets).any()):
            return None
        return np.repeat(np.arange(n, dtype=np.int64), counts), order[at].astype(np.int64)

    def top(self, by: str, n: int = 20, kind: str | None = None) -> list[dict]:
        """`query.top` for the precomputed rankings (degree, events)."""
        column = {"degree": "degree", "events": "events"}[by]
        where, params = [], []
        if by == "events":
            where.append("kind = 'person'")
        if kind:
            where.append("kind = ?")
            params.append(kind)
        sql = f"SELECT id, label, kind, {column} FROM nodes"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {column} DESC, label, id"
        if n:
            sql += f" LIMIT {int(n)}"
        return [{"id": i, "label": lab, "kind": k, "score": int(s)}
                for i, lab, k, s in self.con.execute(sql, params)]

    # -- neighbourhoods ------------------------------------------------------

    def _edges(self, column: str, ids: Iterable[str], relations: tuple[str, ...]) -> list[tuple]:
        ids = sorted(set(ids))
        out: list[tuple] = []
        rel = ",".join("?" * len(relations))
        for i in range(0, len(ids), 500):      # SQLite caps the number of parameters
            chunk = ids[i:i + 500]
            out += self.con.execute(
                f"SELECT u, v, key, attrs FROM edges WHERE {column} IN ({','.join('?' * len(chunk))})"
                f" AND relation IN ({rel})", (*chunk, *relations)).fetchall()
        return out

    def _graph(self, edges: Iterable[tuple], focus: str, extra: Iterable[str] = ()) -> nx.MultiDiGraph:
        """The nodes touched by `edges` (and `focus`, with its documents, and `extra`) and the
        edges, in a fixed order: by ends and key, as `structure` (and a graph written in that order)."""
        rows = sorted(set(edges))      # (u, v, key, attrs): (u, v, key) is unique
        ids = {u for u, _, _, _ in rows} | {v for _, v, _, _ in rows} | {focus, *extra}
        g = _new_graph()
        ordered = sorted(ids)
        for i in range(0, len(ordered), 500):
            chunk = ordered[i:i + 500]
            for nid, attrs in self.con.execute(
                    f"SELECT id, attrs FROM nodes WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk):
                g.add_node(nid, **json.loads(attrs))
        # many edges hold the same attributes (a relation and one title): each text decoded once
        # (networkx copies an edge's attributes into a dict of its own)
        decoded: dict[str, dict] = {}
        g.add_edges_from((u, v, k, decoded[a] if a in decoded else decoded.setdefault(a, json.loads(a)))
                         for u, v, k, a in rows)
        if focus in g:
            g.nodes[focus]["docs"] = self.docs(focus)
        return g

    def _closure(self, start: set[str], column_from: str, column_to: str) -> set[str]:
        """Events reachable over part_of edges (up: u→v, down: v→u)."""
        seen, frontier = set(start), set(start)
        while frontier:
            nxt = {row[1] if column_from == "u" else row[0] for row in self._edges(column_from, frontier, ("part_of",))}
            frontier = nxt - seen
            seen |= frontier
        return seen

    def node_view(self, node: str) -> nx.MultiDiGraph:
        """A node's own edges (all relations, both directions) and the events above the events it
        reaches: what roles, attendance, organizers and `between`'s shared events read."""
        return self._graph(self._node_rows(node), node)

    def _node_rows(self, node: str) -> list[tuple]:
        own = self._edges("u", [node], RELATIONS) + self._edges("v", [node], RELATIONS)
        events = {v for u, v, _, a in own if u == node and json.loads(a).get("relation") in ("attended", "organized")}
        if json.loads(self.con.execute("SELECT attrs FROM nodes WHERE id = ?", (node,)).fetchone()[0]).get("kind") == "event":
            events.add(node)
        up = self._closure(events, "u", "v")
        return [*own, *self._edges("u", up, ("part_of",))]

    def coattendees(self, person: str, min_shared: int = 1, limit: int = 0) -> list[dict]:
        """`query.coattend(g, person=…)` from the pairs stored at build time."""
        # ranked and cut in SQL: a hub of a large graph has thousands of partners, and only the
        # first `limit` need their events decoded (the order is `_pair_dicts`'s: UTF-8 bytes sort
        # as code points)
        sql = ("SELECT a, b, la, lb, shared, events FROM pairs WHERE a = ? AND shared >= ? UNION ALL "
               "SELECT b, a, lb, la, shared, events FROM pairs WHERE b = ? AND shared >= ? ORDER BY 5 DESC, 4, 2")
        if limit:
            sql += f" LIMIT {int(limit)}"
        rows = [(a, b, la, lb, evs) for a, b, la, lb, _, evs in
                self.con.execute(sql, (person, min_shared, person, min_shared))]
        return self._pair_dicts(rows, min_shared, limit)

    def coattendee_count(self, person: str, min_shared: int = 1) -> int:
        """How many persons `coattendees(person, min_shared)` lists without a limit."""
        return self.con.execute("SELECT count(*) FROM pairs WHERE (a = ? OR b = ?) AND shared >= ?",
                                (person, person, min_shared)).fetchone()[0]

    def coattend(self, min_shared: int = 1, limit: int = 0) -> list[dict]:
        """`query.coattend(g)` (all pairs) from the pairs stored at build time, best first."""
        sql = "SELECT a, b, la, lb, events FROM pairs WHERE shared >= ? ORDER BY shared DESC, la, lb, a, b"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self._pair_dicts(self.con.execute(sql, (min_shared,)).fetchall(), min_shared, limit)

    def _pair_dicts(self, rows: list[tuple], min_shared: int, limit: int) -> list[dict]:
        found = [(a, b, la, lb, json.loads(evs)) for a, b, la, lb, evs in rows]
        found = [t for t in found if len(t[4]) >= min_shared]
        found.sort(key=lambda t: (-len(t[4]), t[2], t[3], t[0], t[1]))
        if limit:
            found = found[:limit]
        info = self._event_info({e for *_, evs in found for e in evs})
        return [{"a": la, "b": lb, "a_id": a, "b_id": b, "shared": len(evs), "events": [dict(info[e]) for e in evs]}
                for a, b, la, lb, evs in found]

    def _event_info(self, events: set[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        ordered = sorted(events)
        for i in range(0, len(ordered), 500):
            chunk = ordered[i:i + 500]
            for nid, label, attrs in self.con.execute(
                    f"SELECT id, label, attrs FROM nodes WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                out[nid] = {"id": nid, "event": label, "date": str(json.loads(attrs).get("date") or "")}
        return out

    def shortest_path(self, a: str, b: str) -> list[str]:
        """A shortest path between `a` and `b`, edges taken in either direction ([] if none):
        breadth-first from both ends at once, one level at a time, smaller side first."""
        if a == b:
            return [a]
        pred: dict[str, str | None] = {a: None}
        succ: dict[str, str | None] = {b: None}
        forward, backward = [a], [b]
        while forward and backward:
            if len(forward) <= len(backward):
                found, forward = self._expand(forward, pred, succ)
            else:
                found, backward = self._expand(backward, succ, pred)
            if found is not None:
                path, x = [], found
                while x is not None:
                    path.append(x)
                    x = pred[x]
                path.reverse()
                x = succ[found]
                while x is not None:
                    path.append(x)
                    x = succ[x]
                return path
        return []

    def _expand(self, frontier: list[str], seen: dict, other: dict) -> tuple[str | None, list[str]]:
        """One breadth-first level: neighbours in either direction, in a fixed (sorted) order."""
        nxt: list[str] = []
        ordered = sorted(frontier)
        for i in range(0, len(ordered), 500):
            chunk = ordered[i:i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.con.execute(f"SELECT u, v FROM edges WHERE u IN ({marks}) UNION "
                                    f"SELECT v, u FROM edges WHERE v IN ({marks}) ORDER BY 1, 2", (*chunk, *chunk))
            for u, v in rows:
                if u == v:
                    continue
                if v not in seen:
                    seen[v] = u
                    nxt.append(v)
                if v in other:
                    return v, nxt
        return None, nxt

    def between_view(self, a: str, b: str) -> tuple[nx.MultiDiGraph, list[str]]:
        """The two nodes' views, the shortest path and the edges along it: what `query.between` reads."""
        path = self.shortest_path(a, b)
        rows = self._node_rows(a) + self._node_rows(b)
        for u, v in zip(path, path[1:]):
            rows += self.con.execute("SELECT u, v, key, attrs FROM edges WHERE (u = ? AND v = ?) OR (u = ? AND v = ?)",
                                     (u, v, v, u)).fetchall()
        # one graph of all the rows: the two views and the steps overlap (a hub's view is
        # thousands of edges, and composing graphs copies them)
        g = self._graph(rows, a, extra=(b, *path))
        g.nodes[b]["docs"] = self.docs(b)
        return g, path

    def person_view(self, person: str) -> nx.MultiDiGraph:
        """What `person_profile` and `coattend(person=…)` read: the person's roles and events, the
        events' parents, and everyone who attended those events or their sub-events."""
        own = self._edges("u", [person], ("attended", "holds_role"))
        events = {v for _, v, _, a in own if json.loads(a).get("relation") == "attended"}
        up = self._closure(events, "u", "v")
        down = self._closure(up, "v", "u")
        part_of = self._edges("u", down, ("part_of",))
        attendees = self._edges("v", down, ("attended",))
        return self._graph([*own, *part_of, *attendees], person)

    def event_profile(self, event: str) -> dict:
        """`query.event_profile` of the whole graph for the event `event` (an id), read straight
        from the tables: attendees with their participation and roles, organizers, the events it
        is part of and its sub-events. No networkx view is built: the most connected event of the
        10,000-article graph has 323 attendees holding 40,000 roles, and a graph of those cost
        more than the rest of the answer."""
        row = self.con.execute("SELECT label, attrs, docs FROM nodes WHERE id = ?", (event,)).fetchone()
        if row is None:
            raise q.UnknownName(event, [], "event")
        name, attrs, docs = row
        d = {**json.loads(attrs), "docs": json.loads(docs)}
        decoded: dict[str, dict] = {}      # many edges hold the same attributes: each text decoded once

        def attributes(text: str) -> dict:
            a = decoded.get(text)
            if a is None:
                a = decoded[text] = json.loads(text)
            return a

        attendance: list[tuple[str, list[str]]] = []
        organizer_ids, children = [], []
        for u, relation, a in self.con.execute(
                "SELECT u, relation, attrs FROM edges WHERE v = ? AND relation IN ('attended', 'organized', 'part_of')",
                (event,)):
            if relation == "attended":
                attendance.append((u, q._as_list(attributes(a).get("participation"))))
            elif relation == "organized":
                organizer_ids.append(u)
            else:
                children.append(u)
        parents = [v for (v,) in self.con.execute("SELECT v FROM edges WHERE u = ? AND relation = 'part_of'", (event,))]
        roles: dict[str, list[tuple[str, str, str]]] = {}
        for u, v, key, a in self.con.execute(
                "SELECT u, v, key, attrs FROM edges WHERE relation = 'holds_role' AND u IN "
                "(SELECT u FROM edges WHERE v = ? AND relation = 'attended')", (event,)):
            roles.setdefault(u, []).append((v, key, a))
        labels = self._labels({u for u, _ in attendance} | set(organizer_ids) |
                              {v for rs in roles.values() for v, _, _ in rs})
        texts: dict[tuple[str, str], str] = {}     # (organization, attributes) -> the role as shown
        people: dict[str, tuple[str, list[str]]] = {}
        for u, _ in attendance:
            if u in people:
                continue
            shown = []
            # `query.roles`: by organization label and id, ties in the order of (v, key), which is
            # the order of a view's (and a graph file's) edges
            for v, key, a in sorted(roles.get(u, ()), key=lambda r: (labels.get(r[0], r[0]), r[0], r[1])):
                text = texts.get((v, a))
                if text is None:
                    text = texts[v, a] = q.title_text(labels.get(v, v), q._as_list(attributes(a).get("title")))
                shown.append(text)
            people[u] = (labels.get(u, u), shown)
        organizers = [{"id": u, "organization": labels.get(u, u)} for u in organizer_ids]
        info = self._event_info(set(parents) | set(children))
        return q.event_answer(event, name, d, attendance, people, organizers,
                              [dict(info[x]) for x in sorted(parents)], [dict(info[x]) for x in sorted(children)])

    def _labels(self, ids: set[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        ordered = sorted(ids)
        for i in range(0, len(ordered), 500):
            chunk = ordered[i:i + 500]
            out.update(self.con.execute(
                f"SELECT id, label FROM nodes WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return out

    def event_view(self, event: str) -> nx.MultiDiGraph:
        """What `event_profile` reads: who attended or organized it, their roles, its parents and sub-events."""
        incoming = self._edges("v", [event], ("attended", "organized", "part_of"))
        outgoing = self._edges("u", [event], ("part_of",))
        people = {u for u, _, _, a in incoming if json.loads(a).get("relation") == "attended"}
        roles = self._edges("u", people, ("holds_role",))
        return self._graph([*incoming, *outgoing, *roles], event)


def index_path(graph_path: str | os.PathLike) -> Path | None:
    """graph.db for GRAPH when GRAPH is an output folder holding one, or the .db file itself.
    (A graph file named explicitly is read as it is: a graph.db beside it may be of another build.)"""
    p = Path(graph_path)
    candidate = p if p.suffix == ".db" else p / INDEX_NAME if p.is_dir() else None
    return candidate if candidate is not None and candidate.is_file() else None
