"""Turn the in-memory graph into what file formats accept as it is.

GraphML and GEXF allow only scalar attributes, Gephi drops parallel edges
whose ids repeat (networkx numbers keys 0, 1… per node pair), and XML forbids
most control characters (networkx writes them anyway, and the file then
cannot be opened). The flat view fixes all three: scalar, XML-safe attributes
(`flat_value`), nodes in sorted order, edges sorted, each with a unique id derived
from the edge itself (`edge_ids`: "e" + 16 hex digits of a hash of source, target
and key), so that an edge keeps its id when the corpus grows.

`FlatGraph` is that view without a copy of the graph: it sorts once and hands
out flattened records a chunk at a time, so the GraphML, GEXF and CSV writers
can share one pass (see `stream.py`) and nothing holds a second graph in
memory. `flat_graph` still builds the flattened networkx graph (tests and
callers that want one); it is the reference the streaming writers must match.
"""
from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from itertools import chain, islice
from operator import itemgetter
from json.encoder import JSONEncoder
from typing import Iterable, Iterator, Sequence

import networkx as nx

try:   # the C encoder json.dumps uses; called directly it skips building an encoder per value
    from json.encoder import c_make_encoder as _c_make_encoder
except ImportError:  # pragma: no cover - CPython always has it
    _c_make_encoder = None

_STRS = frozenset((str,))
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
LIST_SEP = "|"
CHUNK = 2048   # records flattened (and written) at a time: bounded memory, few write calls


def xml_safe(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def flat_value(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, dict) for v in value):
            return xml_safe(json.dumps(value, ensure_ascii=False, sort_keys=True))
        return xml_safe(LIST_SEP.join(str(v).replace(LIST_SEP, "/") for v in value))
    if isinstance(value, dict):
        return xml_safe(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return xml_safe(str(value))


# ---------------------------------------------------------------- stable edge ids

def _edge_text(u, v, k, round_: int = 0) -> str:
    # length-prefixed, so that no two (u, v, k) give the same text
    su, sv, sk = str(u), str(v), str(k)
    return f"{len(su)}:{su}{len(sv)}:{sv}{sk}" if not round_ else f"{len(su)}:{su}{len(sv)}:{sv}{len(sk)}:{sk}#{round_}"


def _edge_hash(text: str) -> str:
    # surrogatepass: ids may hold lone surrogates (cleaned out of the files' text, not out of the id's source)
    return "e" + hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def edge_ids(edges: list[tuple]) -> list[str]:
    """A unique id for each of `edges` ((u, v, key, …) in sorted order): "e" + 16 hex digits of
    blake2b over str(u), str(v), str(key). An edge keeps its id whatever else is added or removed
    (Gephi and users can follow it from build to build), unless its hash collides with an edge's
    before it in `edges` (two keys with the same text, 1 and "1", or a true 64-bit collision):
    then it takes the first free hash of further rounds, the same in every build with those edges."""
    b2 = hashlib.blake2b
    # _edge_hash(_edge_text(u, v, k)) inline (a third quicker on 200,000 edges)
    ids = ["e" + b2((f"{len(u)}:{u}{len(v)}:{v}{k}" if type(u) is str and type(v) is str and type(k) is str
                     else _edge_text(u, v, k)).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
           for u, v, k, _d in edges]
    if len(set(ids)) == len(ids):
        return ids
    taken = set(ids)
    seen: set[str] = set()
    for i, h in enumerate(ids):
        if h not in seen:
            seen.add(h)
            continue
        u, v, k = edges[i][0], edges[i][1], edges[i][2]
        round_ = 1
        while (h := _edge_hash(_edge_text(u, v, k, round_))) in taken:
            round_ += 1
        ids[i] = h
        taken.add(h)
    return ids


# ---------------------------------------------------------------- fast flattening

if _c_make_encoder is not None:
    # exactly json.dumps(value, ensure_ascii=False, sort_keys=True) (markers=None only skips the
    # circular-reference check, which attribute values never need)
    _encode_sorted = _c_make_encoder(None, JSONEncoder().default, json.encoder.encode_basestring, None,
                                     ": ", ", ", True, False, True)

    def _json_sorted(value) -> str:
        return "".join(_encode_sorted(value, 0))
else:  # pragma: no cover
    def _json_sorted(value) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _flat_raw(value):
    """`flat_value` without its final `xml_safe`: callers check a whole chunk for illegal
    characters at once and clean only a chunk that has any (`_clean_chunk`)."""
    t = type(value)
    if t is str:
        return value
    if t is list or t is tuple:
        if not value:
            return ""
        first = value[0]
        if type(first) is str:
            try:
                joined = LIST_SEP.join(value)
            except TypeError:   # strings and other values
                return _join_any(value)
            if joined.count(LIST_SEP) != len(value) - 1:   # an item holds the separator itself
                return LIST_SEP.join(v.replace(LIST_SEP, "/") for v in value)
            return joined
        if isinstance(first, dict) and (len(value) == 1 or all(isinstance(v, dict) for v in value)):
            return _json_sorted(value)   # evidence: a list of dicts
        return _join_any(value)
    if t is bool or t is int or t is float:
        return value
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return _json_sorted(value)
    if isinstance(value, (list, tuple)):
        return _flat_raw(list(value))
    return str(value)


def _join_any(value) -> str:
    return LIST_SEP.join(str(v).replace(LIST_SEP, "/") for v in value)


def flat_type(value) -> type:
    """The type `flat_value(value)` has (what GraphML/GEXF declare for the attribute)."""
    if isinstance(value, bool):
        return bool
    if isinstance(value, (int, float)):
        return type(value)
    return str


SPECIAL = '&<>"\r\n\t,'


class Chunk(list):
    """Flattened records, and which of the characters that formats escape or quote
    (`SPECIAL`) occur in their string values: a format skips escaping a chunk without any.
    `all_str`: every attribute value is a string."""
    special: frozenset = frozenset(SPECIAL)
    all_str: bool = False


def _clean_chunk(records: Chunk, attrs_at: int) -> None:
    """Apply `xml_safe` to the string attributes of `records` (tuples whose item `attrs_at` is the
    attribute dict), in place, if any of them holds an XML-illegal character. One search over
    the joined chunk decides; the chunk is cleaned value by value only when it finds one.
    Sets `records.special`."""
    values = [v for r in records for v in r[attrs_at].values()]
    records.all_str = _STRS.issuperset(map(type, values))
    blob = "".join(values if records.all_str else [v for v in values if type(v) is str])
    # isprintable() is the quicker scan and is true of no text with an illegal character
    if not (blob.isprintable() or not _XML_ILLEGAL.search(blob)):
        for r in records:
            d = r[attrs_at]
            for k, v in d.items():
                if type(v) is str:
                    d[k] = xml_safe(v)
        blob = xml_safe(blob)
    records.special = frozenset(c for c in SPECIAL if c in blob)


class FlatGraph:
    """The flattened view of `g`, produced on demand a chunk at a time.

    Node records are (flat id, attributes), edge records (flat source, flat target, edge id
    (`edge_ids`), attributes), in the order networkx iterates the flattened graph `flat_graph`
    returns: nodes in sorted order, edges sorted by (source, target, key).
    """

    def __init__(self, g: nx.MultiDiGraph):
        self.g = g
        self.graph_attrs = {k: flat_value(v) for k, v in g.graph.items()}
        nodes = sorted(g.nodes)
        self.sid = {n: xml_safe(str(n)) for n in nodes}
        # flat id -> the original nodes that map to it (two ids differing only in illegal
        # characters become one node, whose attributes are merged as networkx' add_node merges them)
        self.groups: dict[str, list] = {}
        for n in nodes:
            self.groups.setdefault(self.sid[n], []).append(n)
        self.str_ids = all(type(n) is str for n in nodes)
        self.identity = self.str_ids and len(self.groups) == len(nodes) and all(s == n for n, s in self.sid.items())
        self._order: list[int] | None = None   # flat iteration order of the sorted edges, if not identity
        self._sorted: list[tuple] | None = None
        self._ids: list[str] | None = None
        self._counts: dict[str, int] | None = None
        self._found: list | None = None
        self.fragments = None   # fragments.Plan of this graph, once computed (shared by the writers)

    # ------------------------------------------------------------ nodes

    def node_count(self) -> int:
        return len(self.groups)

    def node_attrs(self, sid: str) -> dict:
        group = self.groups[sid]
        g = self.g
        if len(group) == 1:
            d = g.nodes[group[0]]
            return {k: _flat_raw(d[k]) for k in sorted(d)}
        merged: dict = {}
        for n in group:
            d = g.nodes[n]
            merged.update({k: _flat_raw(d[k]) for k in sorted(d)})
        return merged

    def node_chunks(self, size: int = CHUNK) -> Iterator[Chunk]:
        sids = iter(self.groups)
        while True:
            chunk = self.node_records(islice(sids, size))
            if not chunk:
                return
            yield chunk

    def node_records(self, sids: Iterable[str]) -> Chunk:
        """The flattened records of these flat ids."""
        chunk = Chunk((s, self.node_attrs(s)) for s in sids)
        if chunk:
            _clean_chunk(chunk, 1)
        return chunk

    def node_signatures(self) -> Iterator[tuple[str, dict | None]]:
        """(flat id, merged flat attributes or None when the node maps one to one) for key discovery."""
        for s, group in self.groups.items():
            yield s, (self.node_attrs(s) if len(group) > 1 else None)

    # ------------------------------------------------------------ edges

    def sorted_edges(self) -> list[tuple]:
        """(u, v, key, data) of `g` sorted by (str(u), str(v), str(key)), computed once. Without a
        global sort when node ids are strings (then sorted node order is str order)."""
        if self._sorted is None:
            self._sorted = list(self._sort_edges())
        return self._sorted

    def _sort_edges(self) -> Iterator[tuple]:
        g = self.g
        if not self.str_ids:
            yield from sorted(g.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2])))
            return
        adj = g._adj
        for u in sorted(adj):
            nbrs = adj[u]
            for v in (sorted(nbrs) if len(nbrs) > 1 else nbrs):
                kd = nbrs[v]
                if len(kd) == 1:
                    for k, d in kd.items():
                        yield u, v, k, d
                else:
                    for k in sorted(kd, key=str):
                        yield u, v, k, kd[k]

    def _flat_order(self) -> list[int]:
        """Positions of the sorted edges in the order networkx iterates the flattened graph
        (source node order, then target by first insertion, then key): only differs from
        the sorted order when flat ids merge or reorder nodes."""
        if self._order is None:
            adj: dict[str, dict[str, list[int]]] = {s: {} for s in self.groups}
            sid = self.sid
            for i, (u, v, _k, _d) in enumerate(self.sorted_edges()):
                adj[sid[u]].setdefault(sid[v], []).append(i)
            self._order = [i for nbrs in adj.values() for idx in nbrs.values() for i in idx]
        return self._order

    def edge_ids(self) -> list[str]:
        """`edge_ids` of the sorted edges (computed once)."""
        if self._ids is None:
            self._ids = edge_ids(self.sorted_edges())
        return self._ids

    def edge_sequence(self) -> Sequence[int]:
        """Positions in `sorted_edges` in flat iteration order."""
        return range(len(self.sorted_edges())) if self.identity else self._flat_order()

    def _raw_edges(self) -> Iterator[tuple[int, tuple]]:
        """(number, (u, v, key, data)) in flat iteration order."""
        edges = self.sorted_edges()
        if self.identity:
            yield from enumerate(edges)
            return
        for i in self._flat_order():
            yield i, edges[i]

    def edge_chunks(self, size: int = CHUNK) -> Iterator[Chunk]:
        order = self.edge_sequence()
        for start in range(0, len(order), size):
            yield self.edge_records(order[start:start + size])

    def edge_records(self, positions: Iterable[int]) -> Chunk:
        """The flattened records of the sorted edges at these positions: (flat source, flat
        target, edge id, attributes)."""
        sid = self.sid
        edges = self.sorted_edges()
        ids = self.edge_ids()
        chunk = Chunk((sid[u], sid[v], ids[i], {a: (d[a] if type(d[a]) is str else _flat_raw(d[a])) for a in sorted(d)})
                      for i, (u, v, _k, d) in ((i, edges[i]) for i in positions))
        if chunk:
            _clean_chunk(chunk, 3)
        return chunk

    def edge_signatures(self) -> Iterator[dict]:
        """Each edge's data dict in flat iteration order (for key discovery: names and types only)."""
        if self.identity:
            for e in self.sorted_edges():
                yield e[3]
            return
        for _i, (_u, _v, _k, d) in self._raw_edges():
            yield d

    # ------------------------------------------------------------ degrees

    def flat_neighbour_counts(self) -> dict[str, int]:
        """Distinct neighbours (either direction) of each node of the flattened graph (computed once)."""
        if self._counts is None:
            self._counts = self._neighbour_counts()
        return self._counts

    def _neighbour_counts(self) -> dict[str, int]:
        g = self.g
        if self.identity:
            return {n: len(g._succ[n].keys() | g._pred[n].keys()) for n in self.groups}
        nb: dict[str, set] = {s: set() for s in self.groups}
        sid = self.sid
        for u, v in g.edges():
            nb[sid[u]].add(sid[v])
            nb[sid[v]].add(sid[u])
        return {s: len(x) for s, x in nb.items()}

    def neighbour_count_in_g(self, s: str) -> int:
        """What `graph.query.neighbour_count(g, flat id)` gives (the CSV's Degree); for a flat id
        that is no node of `g` (its id held illegal characters), that of its first original."""
        if self.identity:   # the same count (GEXF sizes need all of them anyway)
            return self.flat_neighbour_counts()[s]
        g = self.g
        n = s if s in g else self.groups[s][0]
        return len(g._succ[n].keys() | g._pred[n].keys())


def discover(fg: FlatGraph) -> list[tuple[str, str, type, int]]:
    """Attributes in order of first appearance: (scope, name, flat type, record number), scope
    being graph, node or edge, as networkx' writers meet them walking the flattened graph."""
    if fg._found is None:
        fg._found = _discover(fg)
    return fg._found


def _discover(fg: FlatGraph) -> list[tuple[str, str, type, int]]:
    out: list[tuple[str, str, type, int]] = []
    seen: set = set()

    def meet(scope: str, items, index: int) -> None:
        for k, v in items:
            t = flat_type(v)
            if (scope, k, t) not in seen:
                seen.add((scope, k, t))
                out.append((scope, k, t, index))

    meet("graph", fg.graph_attrs.items(), 0)
    sigs: set = set()
    g = fg.g
    for i, (s, merged) in enumerate(fg.node_signatures()):
        if merged is not None:
            meet("node", merged.items(), i)
            continue
        d = g.nodes[fg.groups[s][0]]
        sig = (tuple(d), tuple(map(type, d.values())))
        if sig not in sigs:   # edges of one shape add nothing new after the first
            sigs.add(sig)
            meet("node", ((k, d[k]) for k in sorted(d)), i)
    data = list(fg.edge_signatures())
    types = set(map(type, chain.from_iterable(map(dict.values, data))))
    if not any(issubclass(t, (int, float)) for t in types):
        # every value's flat type is str (the usual case): an edge adds something only if it is
        # the first with its attribute names, found without a Python loop over the edges
        shapes = list(map(tuple, data))
        n = len(shapes)
        first = dict(zip(reversed(shapes), range(n - 1, -1, -1)))   # shape -> first position
        for shape, i in sorted(first.items(), key=itemgetter(1)):
            meet("edge", ((k, "") for k in sorted(shape)), i)
        return out
    sigs.clear()
    for i, d in enumerate(data):
        sig = (*d, *map(type, d.values()))   # names then types: one shape of edge
        if sig not in sigs:
            sigs.add(sig)
            meet("edge", ((k, d[k]) for k in sorted(d)), i)
    return out


# ---------------------------------------------------------------- sharing between writers

_shared: dict[int, tuple[nx.MultiDiGraph, FlatGraph | None]] = {}


@contextmanager
def sharing_flat(g: nx.MultiDiGraph) -> Iterator[None]:
    """Within the block, `prepared(g)` sorts and indexes `g` once for all writers."""
    _shared[id(g)] = (g, None)
    try:
        yield
    finally:
        _shared.pop(id(g), None)


def prepared(g: nx.MultiDiGraph) -> FlatGraph:
    held = _shared.get(id(g))
    if held is not None and held[0] is g:
        if held[1] is None:
            _shared[id(g)] = (g, FlatGraph(g))
        return _shared[id(g)][1]
    return FlatGraph(g)


def flat_graph(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy with scalar, XML-safe attributes and globally unique, stable edge keys (`edge_ids`),
    in a stable order."""
    out = nx.MultiDiGraph()
    out.graph.update({k: flat_value(v) for k, v in g.graph.items()})
    for n in sorted(g.nodes):
        out.add_node(xml_safe(str(n)), **{k: flat_value(v) for k, v in sorted(g.nodes[n].items())})
    edges = sorted(g.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2])))
    for (u, v, _k, data), key in zip(edges, edge_ids(edges)):
        attrs = {k: flat_value(val) for k, val in sorted(data.items())}
        out.add_edge(xml_safe(str(u)), xml_safe(str(v)), key=key, **attrs)
    return out
