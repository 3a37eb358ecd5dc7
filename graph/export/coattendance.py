"""`coattendance.graphml`: the person–person projection (weight = shared
events, their labels and ids `|`-joined), for collaboration-network analysis in Gephi.

The same file as networkx' lxml writer made of `graph.query.coattendance_graph(g)`
flattened (sorted, scalar, XML-safe), but computed and written in one stream:
each person's events (attendance carried up `part_of`, as in `graph.query`),
each event's attendees, and for each person in sorted order the co-attendees
after them, counted from the attendee lists of the person's events. Only one
person's pairs are held at a time. Graphs whose person ids hold XML-illegal
characters (two ids could become one) take the networkx route as before.

With `reuse` (issue 5), the file is written as chunks through `fragments.py`, like
graph.graphml: the persons' node elements in chunks cut by id hash, then one chunk per
person with events, its *row* (its pairs with the persons after it). A chunk whose key
the previous file's sidecar knows is copied from that file; only the other rows' pairs
are computed (`Attendance.pairs_of`). A row's text is a function of

* the person's id;
* for each of the person's events (attendance carried up): the event's id, its label
  and its lineage (what `Attendance.specific` drops), i.e. its *event digest*; and the
  attendees after the person (only they are paired with it), as a hash chain over the
  event's sorted attendee list from its end, so that a person joining an event changes
  the rows of the attendees before it and not of those after it;

so a row's key hashes the format's salt (the code of this module and of graph/query.py
too) with those. The header's edge keys depend on whether any pair exists: rows are
looked at in order (a known one by its length in the previous file) until one is not
empty. Same bytes as a full write (tests/test_coattendance_reuse.py).
"""
from __future__ import annotations

import hashlib
import io
import marshal
import os
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import IO, Iterator

import networkx as nx

import graph.query
from graph.export import fragments
from graph.atomic import atomic_open, write_bytes
from graph.export.flatten import LIST_SEP, flat_value, xml_safe
from graph.export.fragments import Output
from graph.export.xmltext import GraphMLText, lxml_attr, lxml_text
from graph.query import Attendance, _as_list, coattendance_graph
from graph.query import label as _label

NAME = "coattendance.graphml"


# ---------------------------------------------------------------- the reference (and the route for odd ids)

def coattendance_flat(g: nx.MultiDiGraph) -> nx.Graph:
    proj = coattendance_graph(g)
    flat = nx.Graph()   # sorted and scalar, so the same input gives the same bytes
    for n in sorted(proj.nodes):
        flat.add_node(xml_safe(n), **{k: flat_value(v) for k, v in sorted(proj.nodes[n].items())})
    for u, v in sorted(tuple(sorted(e)) for e in proj.edges):
        flat.add_edge(xml_safe(u), xml_safe(v), **{k: flat_value(x) for k, x in sorted(proj.edges[u, v].items())})
    return flat


def coattendance_via_networkx(g: nx.MultiDiGraph) -> bytes:
    buf = io.BytesIO()
    nx.write_graphml_lxml(coattendance_flat(g), buf, encoding="utf-8", prettyprint=True, named_key_ids=True)
    return buf.getvalue()


# ---------------------------------------------------------------- text

def _joined(items: list[str]) -> str:
    """flat_value of a list of strings, before xml_safe."""
    return LIST_SEP.join(x.replace(LIST_SEP, "/") for x in items)


def _head(has_persons: bool, has_pairs: bool) -> str:
    keys = []   # the header declares node keys only if some person, edge keys only if some pair exists
    if has_persons:
        keys += [("node", "aliases", str), ("node", "event_count", int), ("node", "label", str)]
    if has_pairs:
        keys += [("edge", "event_ids", str), ("edge", "events", str), ("edge", "weight", int)]
    return GraphMLText(keys, directed=False, multigraph=False).head()


class _Text:
    """The elements' text, with each person's escaped id and each event's escaped id and label
    (as they appear in the |-joined lists) computed once."""

    def __init__(self, g: nx.MultiDiGraph, att: Attendance, persons: list[str]):
        self.g, self.att = g, att
        self.ids = {p: lxml_attr(p) for p in persons}   # every person: rows may be rendered without the nodes
        self.ev_id: dict = {}
        self.ev_label: dict = {}

    def node_fields(self, p: str) -> tuple[list[str], int, str]:
        """What a person's node element shows: aliases, event count, label."""
        return _as_list(self.g.nodes[p].get("aliases")), len(self.att.events.get(p, ())), _label(self.g, p)

    def nodes(self, persons: list[str]) -> str:
        out = []
        for p in persons:
            aliases, count, label = self.node_fields(p)
            out.append(f'<node id="{self.ids[p]}">\n  <data key="aliases">{lxml_text(xml_safe(_joined(aliases)))}</data>\n'
                       f'  <data key="event_count">{count}</data>\n'
                       f'  <data key="label">{lxml_text(xml_safe(label))}</data>\n</node>\n')
        return "".join(out)

    def row(self, a: str, pairs: list[tuple[str, list[str]]]) -> str:
        """The edge elements of `a`'s pairs (b, most specific shared events)."""
        ids, ev_id, ev_label, g = self.ids, self.ev_id, self.ev_label, self.g
        ia = ids[a]
        tails: dict = {}   # the same shared events, the same text after the target id
        out = []
        for b, evs in pairs:
            evs = tuple(evs)
            tail = tails.get(evs)
            if tail is None:
                for e in evs:
                    if e not in ev_id:
                        ev_id[e] = lxml_text(xml_safe(str(e).replace(LIST_SEP, "/")))
                        ev_label[e] = lxml_text(xml_safe(_label(g, e).replace(LIST_SEP, "/")))
                tail = tails[evs] = (
                    f'">\n  <data key="event_ids">{LIST_SEP.join([ev_id[e] for e in evs])}</data>\n'
                    f'  <data key="events">{LIST_SEP.join([ev_label[e] for e in evs])}</data>\n'
                    f'  <data key="weight">{len(evs)}</data>\n</edge>\n')
            out.append(f'<edge source="{ia}" target="{ids[b]}{tail}')
        return "".join(out)


def _odd_ids(persons: list) -> bool:
    return any(type(p) is not str or xml_safe(p) != p for p in persons)


def _persons(g: nx.MultiDiGraph) -> list:
    return [n for n, k in g.nodes(data="kind") if k == "person"]


# ---------------------------------------------------------------- full write

def _rows(att: Attendance) -> Iterator[tuple[str, list[tuple[str, list[str]]]]]:
    """For each person a with a pair (sorted): [(b, most specific shared events)] for the persons
    b after a who share an event: `graph.query.coattend` with min_shared=1."""
    for a, group in groupby(att.pairs(), key=itemgetter(0)):
        yield a, [(b, evs) for _, b, evs in group]


def stream_coattendance(g: nx.MultiDiGraph, fh: IO[bytes]) -> None:
    """The whole file into `fh`, every pair computed."""
    persons = _persons(g)
    if _odd_ids(persons):
        fh.write(coattendance_via_networkx(g))
        return
    persons.sort()
    att = Attendance(g)
    text = _Text(g, att, persons)
    rows = _rows(att)
    first = next(rows, None)
    fh.write(_head(bool(persons), first is not None).encode("utf-8"))
    fh.write(text.nodes(persons).encode("utf-8"))
    out = []
    size = 0
    for a, pairs in _chain([first] if first is not None else [], rows):
        out.append(text.row(a, pairs))
        size += len(pairs)
        if size >= 4096:
            fh.write("".join(out).encode("utf-8"))
            out, size = [], 0
    out.append(GraphMLText.tail())
    fh.write("".join(out).encode("utf-8"))


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def coattendance_bytes(g: nx.MultiDiGraph) -> bytes:
    buf = io.BytesIO()
    stream_coattendance(g, buf)
    return buf.getvalue()


# ---------------------------------------------------------------- reuse

_salt: bytes | None = None


def format_salt() -> bytes:
    """fragments' code version (flatten.py, xmltext.py, …) with the sources of this module and of
    graph/query.py (which events a pair shows), so that an edit to either makes old chunks unknown."""
    global _salt
    if _salt is None:
        h = hashlib.sha256()
        for path in (__file__, graph.query.__file__):
            try:
                h.update(Path(path).read_bytes())
            except OSError:   # no source to hash: never reuse
                h.update(os.urandom(16))
        _salt = fragments.salt(NAME, h.hexdigest(), LIST_SEP)
    return _salt


def _id_hex(p: str) -> str:
    # the identity hash fragments.py cuts node chunks by: a person added or removed moves no other cut
    return hashlib.blake2b(p.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


_END = bytes(16)   # the hash chain's value after an event's last attendee


def row_digests(g: nx.MultiDiGraph, att: Attendance) -> dict[str, bytes | None]:
    """Each person with events -> a digest of everything its row's text depends on (module
    docstring); None where some event's id, label or lineage cannot be marshalled (the row is
    then computed every time)."""
    blake2b = hashlib.blake2b
    digests: list[tuple[bytes | None, object]] = []
    for e in att.attendees:
        try:
            data = marshal.dumps((e, _label(g, e), att.lineage(e)), 2)
        except (ValueError, TypeError):
            digests.append((None, e))
        else:
            digests.append((blake2b(data, digest_size=16).digest(), e))
    # events in the order of their digests, so that every person's entries come out in one order
    # whatever the graph's insertion order, with no sort per person
    digests.sort(key=lambda t: (t[0] is None, t[0] or b""))
    encoded = {p: p.encode("utf-8", "surrogatepass") + b"\0" for p in att.events}
    entries: dict[str, list[bytes]] = {p: [] for p in att.events}
    unknown: set[str] = set()
    for digest, e in digests:
        people = att.attendees[e]
        if digest is None:
            unknown.update(people)
            continue
        after = _END
        for p in reversed(people):
            entries[p].append(digest + after)
            after = blake2b(encoded[p] + after, digest_size=16).digest()
    return {p: None if p in unknown else blake2b(encoded[p] + b"".join(ents)).digest()
            for p, ents in entries.items()}


def _known_length(out: Output, k: bytes | None) -> int | None:
    """The length of the chunk the previous file holds under `k`, or None if it holds none."""
    previous = getattr(out, "previous", None)
    if k is None or previous is None:
        return None
    span = previous.spans.get(k)
    return None if span is None else span[1]


def _write_chunks(g: nx.MultiDiGraph, persons: list[str], out: Output) -> None:
    """The file as chunks: known ones copied, the others computed and rendered."""
    att = Attendance(g)
    text = _Text(g, att, persons)
    salt = format_salt()
    node_salt, row_salt = salt + b"nodes", salt + b"rows"
    ends = fragments.cuts([_id_hex(p) for p in persons], fragments.NODE_AVERAGE)
    node_keys = []
    start = 0
    for end in ends:
        fields = [(p, *text.node_fields(p)) for p in persons[start:end]]
        try:
            digest = hashlib.sha256(marshal.dumps(fields, 2)).digest()
        except (ValueError, TypeError):   # (persons' fields are str and int: not expected)
            digest = None
        node_keys.append(fragments.key(node_salt, digest))
        start = end
    row_persons = [p for p in persons if p in att.events]   # the others have no pair
    row_keys = {p: fragments.key(row_salt, d) for p, d in row_digests(g, att).items()}
    # the header tells whether some pair exists: the first rows, until one is not empty
    rendered: dict[str, bytes] = {}
    has_pairs = False
    for a in row_persons:
        length = _known_length(out, row_keys[a])
        if length is None:
            data = rendered[a] = text.row(a, att.pairs_of(a)).encode("utf-8")
            length = len(data)
        if length:
            has_pairs = True
            break
    out.write(_head(bool(persons), has_pairs).encode("utf-8"))
    start = 0
    for end, k in zip(ends, node_keys):
        if not out.copy(k):
            out.chunk(k, text.nodes(persons[start:end]).encode("utf-8"))
        start = end
    for a in row_persons:
        k = row_keys[a]
        data = rendered.pop(a, None)
        if data is not None:
            out.chunk(k, data)
        elif not out.copy(k):
            out.chunk(k, text.row(a, att.pairs_of(a)).encode("utf-8"))
    out.write(GraphMLText.tail().encode("utf-8"))


def write_coattendance(g: nx.MultiDiGraph, path: str | os.PathLike, reuse: bool = False) -> None:
    """Write coattendance.graphml atomically. With `reuse`, the rows of persons whose pairs cannot
    have changed are copied from the previous write of `path` (fragments.py), not computed: the
    same bytes. Without, nothing is read or written in the sidecars' folder."""
    if not reuse:
        with atomic_open(path, "wb") as fh:
            stream_coattendance(g, fh)
        return
    persons = _persons(g)
    if _odd_ids(persons):
        write_bytes(path, coattendance_via_networkx(g))
        fragments.drop_index(path)   # its chunks are not recorded
        return
    persons.sort()
    fragments.write_files({NAME: path}, {NAME: format_salt()}, lambda outs: _write_chunks(g, persons, outs[NAME]))
