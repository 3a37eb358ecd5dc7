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

The file is written to a temporary name and renamed into place, like every output.
"""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Iterable

import networkx as nx

from extractors.normalize import fold_name
from graph import query as q

INDEX_NAME = "graph.db"
RELATIONS = ("holds_role", "attended", "part_of", "organized")
SCHEMA = 1
# attributes no query reads: left out of the index (they stay in graph.json / graph.graphml);
# a node's documents are kept apart and read only for the node a question is about
SKIPPED = {"evidence", "docs"}

_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE nodes (id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL,
                    degree INTEGER NOT NULL, events INTEGER NOT NULL, attrs TEXT NOT NULL, docs TEXT NOT NULL);
CREATE TABLE names (key TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, is_label INTEGER NOT NULL);
CREATE TABLE pairs (a TEXT NOT NULL, b TEXT NOT NULL, la TEXT NOT NULL, lb TEXT NOT NULL,
                    shared INTEGER NOT NULL, events TEXT NOT NULL);
CREATE TABLE edges (seq INTEGER PRIMARY KEY, u TEXT NOT NULL, v TEXT NOT NULL, key TEXT NOT NULL,
                    relation TEXT NOT NULL, attrs TEXT NOT NULL);
"""
_INDEXES = """
CREATE INDEX names_key ON names (key);
CREATE INDEX pairs_a ON pairs (a);
CREATE INDEX pairs_b ON pairs (b);
CREATE INDEX pairs_rank ON pairs (shared DESC, la, lb, a, b);
CREATE INDEX edges_u ON edges (u, relation);
CREATE INDEX edges_v ON edges (v, relation);
"""


class QueryIndexError(LookupError):
    """graph.db is missing, unreadable or of another schema."""


def _json(attrs: dict, skip: set[str]) -> str:
    return json.dumps({k: v for k, v in sorted(attrs.items()) if k not in skip}, ensure_ascii=False,
                      separators=(",", ":"), default=str)


def _pair_rows(g: nx.MultiDiGraph, att: q.Attendance) -> Iterable[tuple]:
    labels = {p: q.label(g, p) for p in att.events}
    encoded: dict[str, str] = {}    # each event id's JSON once: there are far more pairs than events
    for a, b, events in att.pairs():
        parts = []
        for e in events:
            if e not in encoded:
                encoded[e] = json.dumps(e, ensure_ascii=False)
            parts.append(encoded[e])
        yield a, b, labels[a], labels[b], len(events), "[" + ",".join(parts) + "]"


def _name_rows(g: nx.MultiDiGraph) -> Iterable[tuple[str, str, str, int]]:
    """(folded name, node, kind, 1 if it is the label): what `query.find_node` compares a typed name with."""
    for n, kind in sorted(g.nodes(data="kind"), key=lambda nk: str(nk[0])):
        own = fold_name(q.label(g, n))
        for key in q.name_keys(g, n):
            yield key, str(n), str(kind or ""), int(key == own)
        if own not in q.name_keys(g, n):
            yield own, str(n), str(kind or ""), 1


def write_query_index(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Write `g` to the SQLite file `path` (atomically: a temporary file renamed into place)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    att = q.Attendance(g)
    # `top --by events` ranks len(query.attended(g, p)): events attended, parent events included
    events = {p: len(evs) for p, evs in att.events.items()}
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA journal_mode = OFF")     # a fresh file renamed into place: no journal needed
        con.execute("PRAGMA synchronous = OFF")
        con.executescript(_DDL)
        con.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
        con.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?, ?)",
                        ((str(n), str(d.get("kind") or ""), str(d.get("label") or n), q.neighbour_count(g, n),
                          events.get(n, 0), _json(d, SKIPPED), json.dumps(list(d.get("docs") or []), ensure_ascii=False))
                         for n, d in sorted(g.nodes(data=True), key=lambda nd: str(nd[0]))))
        con.executemany("INSERT INTO names VALUES (?, ?, ?, ?)", _name_rows(g))
        con.executemany("INSERT INTO pairs VALUES (?, ?, ?, ?, ?, ?)", _pair_rows(g, att))
        con.executemany("INSERT INTO edges (u, v, key, relation, attrs) VALUES (?, ?, ?, ?, ?)",
                        ((str(u), str(v), str(k), str(d.get("relation") or ""), _json(d, SKIPPED))
                         for u, v, k, d in sorted(g.edges(keys=True, data=True),
                                                  key=lambda e: (str(e[0]), str(e[1]), str(e[2])))))
        con.executescript(_INDEXES)
        con.commit()
    finally:
        con.close()
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


class QueryIndex:
    """Read side of graph.db: small graphs for the questions of `graph/query.py`."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise QueryIndexError(f"{self.path}: no query index")
        try:
            self.con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            row = self.con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise QueryIndexError(f"{self.path}: not a forumgraph query index ({exc})") from exc
        if not row or row[0] != str(SCHEMA):
            raise QueryIndexError(f"{self.path}: query index of another version; rebuild the graph")

    def close(self) -> None:
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
        g = nx.MultiDiGraph()
        for nid, kind, label, attrs in self.con.execute("SELECT id, kind, label, attrs FROM nodes ORDER BY id"):
            aliases = json.loads(attrs).get("aliases") or []
            g.add_node(nid, kind=kind, label=label, aliases=aliases)
        return g

    def structure(self, relations: Iterable[str] | None = None) -> nx.MultiDiGraph:
        """All nodes and edges (optionally only some relations) without documents or evidence."""
        g = nx.MultiDiGraph()
        for nid, attrs in self.con.execute("SELECT id, attrs FROM nodes ORDER BY id"):
            g.add_node(nid, **json.loads(attrs))
        sql = "SELECT u, v, key, attrs FROM edges"
        params: tuple = ()
        if relations is not None:
            rels = sorted(set(relations))
            sql += f" WHERE relation IN ({','.join('?' * len(rels))})"
            params = tuple(rels)
        g.add_edges_from((u, v, k, json.loads(a))
                         for u, v, k, a in self.con.execute(sql + " ORDER BY seq", params))
        return g

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
                f"SELECT seq, u, v, key, attrs FROM edges WHERE {column} IN ({','.join('?' * len(chunk))})"
                f" AND relation IN ({rel})", (*chunk, *relations)).fetchall()
        return out

    def _graph(self, edges: Iterable[tuple], focus: str) -> nx.MultiDiGraph:
        """The nodes touched by `edges` (and `focus`, with its documents) and the edges, in a
        fixed order (by ends and key), like the index itself."""
        rows = sorted(set(edges))
        ids = {u for _, u, _, _, _ in rows} | {v for _, _, v, _, _ in rows} | {focus}
        g = nx.MultiDiGraph()
        ordered = sorted(ids)
        for i in range(0, len(ordered), 500):
            chunk = ordered[i:i + 500]
            for nid, attrs in self.con.execute(
                    f"SELECT id, attrs FROM nodes WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk):
                g.add_node(nid, **json.loads(attrs))
        g.add_edges_from((u, v, k, json.loads(a)) for _, u, v, k, a in rows)
        if focus in g:
            g.nodes[focus]["docs"] = self.docs(focus)
        return g

    def _closure(self, start: set[str], column_from: str, column_to: str) -> set[str]:
        """Events reachable over part_of edges (up: u→v, down: v→u)."""
        seen, frontier = set(start), set(start)
        while frontier:
            nxt = {row[2] if column_from == "u" else row[1] for row in self._edges(column_from, frontier, ("part_of",))}
            frontier = nxt - seen
            seen |= frontier
        return seen

    def node_view(self, node: str) -> nx.MultiDiGraph:
        """A node's own edges (all relations, both directions) and the events above the events it
        reaches: what roles, attendance, organizers and `between`'s shared events read."""
        own = self._edges("u", [node], RELATIONS) + self._edges("v", [node], RELATIONS)
        events = {v for _, u, v, _, a in own if u == node and json.loads(a).get("relation") in ("attended", "organized")}
        if json.loads(self.con.execute("SELECT attrs FROM nodes WHERE id = ?", (node,)).fetchone()[0]).get("kind") == "event":
            events.add(node)
        up = self._closure(events, "u", "v")
        return self._graph([*own, *self._edges("u", up, ("part_of",))], node)

    def coattendees(self, person: str, min_shared: int = 1, limit: int = 0) -> list[dict]:
        """`query.coattend(g, person=…)` from the pairs stored at build time."""
        rows = self.con.execute(
            "SELECT a, b, la, lb, events FROM pairs WHERE a = ? UNION ALL SELECT b, a, lb, la, events FROM pairs WHERE b = ?",
            (person, person)).fetchall()
        return self._pair_dicts(rows, min_shared, limit)

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
        g = nx.compose(self.node_view(a), self.node_view(b))
        steps = []
        for u, v in zip(path, path[1:]):
            steps += self.con.execute("SELECT seq, u, v, key, attrs FROM edges WHERE (u = ? AND v = ?) OR (u = ? AND v = ?)",
                                      (u, v, v, u)).fetchall()
        g = nx.compose(g, self._graph(steps, a))
        for n in path:
            if n not in g:
                g = nx.compose(g, self._graph([], n))
        return g, path

    def person_view(self, person: str) -> nx.MultiDiGraph:
        """What `person_profile` and `coattend(person=…)` read: the person's roles and events, the
        events' parents, and everyone who attended those events or their sub-events."""
        own = self._edges("u", [person], ("attended", "holds_role"))
        events = {v for _, _, v, _, a in own if json.loads(a).get("relation") == "attended"}
        up = self._closure(events, "u", "v")
        down = self._closure(up, "v", "u")
        part_of = self._edges("u", down, ("part_of",))
        attendees = self._edges("v", down, ("attended",))
        return self._graph([*own, *part_of, *attendees], person)

    def event_view(self, event: str) -> nx.MultiDiGraph:
        """What `event_profile` reads: who attended or organized it, their roles, its parents and sub-events."""
        incoming = self._edges("v", [event], ("attended", "organized", "part_of"))
        outgoing = self._edges("u", [event], ("part_of",))
        people = {u for _, u, _, _, a in incoming if json.loads(a).get("relation") == "attended"}
        roles = self._edges("u", people, ("holds_role",))
        return self._graph([*incoming, *outgoing, *roles], event)


def index_path(graph_path: str | os.PathLike) -> Path | None:
    """graph.db for GRAPH when GRAPH is an output folder holding one, or the .db file itself.
    (A graph file named explicitly is read as it is: a graph.db beside it may be of another build.)"""
    p = Path(graph_path)
    candidate = p if p.suffix == ".db" else p / INDEX_NAME if p.is_dir() else None
    return candidate if candidate is not None and candidate.is_file() else None
