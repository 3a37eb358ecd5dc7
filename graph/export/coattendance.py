"""`coattendance.graphml`: the person–person projection (weight = shared
events, their labels and ids `|`-joined), for collaboration-network analysis in Gephi.

The same file as networkx' lxml writer made of `graph.query.coattendance_graph(g)`
flattened (sorted, scalar, XML-safe), but computed and written in one stream:
each person's events (attendance carried up `part_of`, as in `graph.query`),
each event's attendees, and for each person in sorted order the co-attendees
after them, counted from the attendee lists of the person's events. Only one
person's pairs are held at a time. Graphs whose person ids hold XML-illegal
characters (two ids could become one) take the networkx route as before.
"""
from __future__ import annotations

import io
import os
from itertools import groupby
from operator import itemgetter
from typing import IO, Iterator

import networkx as nx

from graph.export.atomic import atomic_open
from graph.export.flatten import LIST_SEP, flat_value, xml_safe
from graph.export.xmltext import GraphMLText, lxml_attr, lxml_text
from graph.query import Attendance, _as_list, coattendance_graph
from graph.query import label as _label


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


# ---------------------------------------------------------------- streaming

def _rows(att: Attendance) -> Iterator[tuple[str, list[tuple[str, tuple]]]]:
    """For each person a with a pair (sorted): [(b, most specific shared events)] for the persons
    b after a who share an event: `graph.query.coattend` with min_shared=1."""
    for a, group in groupby(att.pairs(), key=itemgetter(0)):
        yield a, [(b, tuple(evs)) for _, b, evs in group]


def _joined(items: list[str]) -> str:
    """flat_value of a list of strings, before xml_safe."""
    return LIST_SEP.join(x.replace(LIST_SEP, "/") for x in items)


def stream_coattendance(g: nx.MultiDiGraph, fh: IO[bytes]) -> None:
    persons = [n for n, k in g.nodes(data="kind") if k == "person"]
    if any(type(p) is not str or xml_safe(p) != p for p in persons):
        fh.write(coattendance_via_networkx(g))
        return
    persons.sort()
    att = Attendance(g)
    nodes = g.nodes
    rows = _rows(att)
    first = next(rows, None)   # the header declares edge keys only if some pair exists
    keys = []
    if persons:
        keys += [("node", "aliases", str), ("node", "event_count", int), ("node", "label", str)]
    if first is not None:
        keys += [("edge", "event_ids", str), ("edge", "events", str), ("edge", "weight", int)]
    w = GraphMLText(keys, directed=False, multigraph=False)
    fh.write(w.head().encode("utf-8"))
    ids: dict[str, str] = {}
    out = []
    for p in persons:
        d = nodes[p]
        ids[p] = lxml_attr(p)
        aliases = lxml_text(xml_safe(_joined(_as_list(d.get("aliases")))))
        out.append(f'<node id="{ids[p]}">\n  <data key="aliases">{aliases}</data>\n'
                   f'  <data key="event_count">{len(att.events.get(p, ()))}</data>\n'
                   f'  <data key="label">{lxml_text(xml_safe(_label(g, p)))}</data>\n</node>\n')
    fh.write("".join(out).encode("utf-8"))
    # an event's id and label as they appear in the |-joined lists, escaped once
    ev_id: dict = {}
    ev_label: dict = {}
    out = []
    for a, row in _chain([first] if first is not None else [], rows):
        ia = ids[a]
        tails: dict = {}   # the same shared events, the same text after the target id
        for b, evs in row:
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
        if len(out) >= 4096:
            fh.write("".join(out).encode("utf-8"))
            out = []
    out.append(w.tail())
    fh.write("".join(out).encode("utf-8"))


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


def coattendance_bytes(g: nx.MultiDiGraph) -> bytes:
    buf = io.BytesIO()
    stream_coattendance(g, buf)
    return buf.getvalue()


def write_coattendance(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    with atomic_open(path, "wb") as fh:
        stream_coattendance(g, fh)
