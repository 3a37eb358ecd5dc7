"""Questions people ask of the graph, as plain functions `f(G, ...) -> result`.

All functions take the graph in the schema of `graph/build.py` (lists restored,
see `graph/load.py`) and return plain dicts/lists of strings and numbers, so
the CLI can print them as tables, JSON or CSV and a notebook can use them as is.

Attendance is carried up `part_of`: a person who attended a sub-forum also
attended the conference it belongs to. When two persons share an event and
its parent, only the most specific shared event is reported (sharing a
sub-forum implies sharing the conference; counting both would double-count).
"""
from __future__ import annotations

import bisect
import difflib
from collections import defaultdict
from typing import TYPE_CHECKING, Iterable

from extractors.normalize import fold_name

if TYPE_CHECKING:       # imported where a graph is built: `forumgraph query` on graph.db often needs none
    import networkx as nx

LOUVAIN_SEED = 20240601   # fixed, so communities are the same on every run


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


class UnknownName(LookupError):
    """A name that matches no node; carries did-you-mean suggestions."""

    def __init__(self, name: str, suggestions: list[str], kind: str | None = None, other_kind: str | None = None):
        self.name, self.suggestions, self.kind = name, suggestions, kind
        what = kind or "node"
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        if other_kind:
            hint = f" ({name!r} names {_a(other_kind)}, not {_a(what)}){hint}"
        super().__init__(f"no {what} named {name!r}{hint}")


class AmbiguousName(LookupError):
    def __init__(self, name: str, candidates: list[str]):
        self.name, self.candidates = name, candidates
        super().__init__(f"{name!r} names several nodes: {', '.join(candidates)}; be more specific")


# ---------------------------------------------------------------- helpers

def label(g: nx.MultiDiGraph, n: str) -> str:
    return str(g.nodes[n].get("label") or n)


def nodes_of_kind(g: nx.MultiDiGraph, kind: str) -> list[str]:
    return sorted(n for n, k in g.nodes(data="kind") if k == kind)


def _names(data: dict) -> list[str]:
    names = [data.get("label") or ""]
    aliases = data.get("aliases") or []
    if isinstance(aliases, str):   # a graph that was not restored by graph.load
        aliases = [a for a in aliases.split("|") if a]
    return [n for n in names + list(aliases) if n]


def name_keys(g: nx.MultiDiGraph, n: str) -> list[str]:
    """Folded label and aliases of a node: what a name typed in either script is matched against."""
    return sorted({fold_name(x) for x in _names(g.nodes[n])})


def find_node(g: nx.MultiDiGraph, name: str, kind: str | None = None) -> str:
    """The node id called `name` (label or alias, Traditional or Simplified, or the id itself).

    Raises UnknownName with close matches, or AmbiguousName when several nodes
    carry the name and none of them as its label.
    """
    if name in g and (kind is None or g.nodes[name].get("kind") == kind):
        return name   # a node id: no search
    candidates = [n for n in g.nodes if kind is None or g.nodes[n].get("kind") == kind]
    key = fold_name(name)
    by_label = sorted(n for n in candidates if fold_name(label(g, n)) == key)
    if len(by_label) == 1:
        return by_label[0]
    by_any = sorted(n for n in candidates if key in name_keys(g, n))
    if len(by_any) == 1:
        return by_any[0]
    if by_label or by_any:
        # several nodes of one name (e.g. a person and an organization): prefer persons, then events
        pool = by_label or by_any
        for preferred in ("person", "event", "organization"):
            of_kind = [n for n in pool if g.nodes[n].get("kind") == preferred]
            if len(of_kind) == 1:
                return of_kind[0]
        raise AmbiguousName(name, [f"{label(g, n)} ({n})" for n in pool])
    # no exact match: a unique substring match (e.g. a forum's distinctive part) is still helpful
    partial = sorted(n for n in candidates if key and any(key in k for k in name_keys(g, n)))
    if len(partial) == 1:
        return partial[0]
    other_kind = None
    if kind:
        try:
            other_kind = str(g.nodes[find_node(g, name)].get("kind") or "") or None
        except LookupError:
            pass
    raise UnknownName(name, suggest(g, name, kind), kind, other_kind)


def suggest(g: nx.MultiDiGraph, name: str, kind: str | None = None, n: int = 5) -> list[str]:
    """Labels of the nodes whose folded label or alias is closest to `name`."""
    key_to_label: dict[str, str] = {}
    for node in sorted(g.nodes):
        if kind and g.nodes[node].get("kind") != kind:
            continue
        for k in name_keys(g, node):
            key_to_label.setdefault(k, label(g, node))
    key = fold_name(name)
    close = difflib.get_close_matches(key, list(key_to_label), n=n * 2, cutoff=0.4)
    if not close:   # short Chinese names: difflib's ratio is harsh; fall back to shared characters
        scored = sorted(((-len(set(key) & set(k)), k) for k in key_to_label if set(key) & set(k)))
        close = [k for _, k in scored]
    out: list[str] = []
    for k in close:
        if key_to_label[k] not in out:
            out.append(key_to_label[k])
    return out[:n]


def _edges(g: nx.MultiDiGraph, relation: str) -> Iterable[tuple[str, str, dict]]:
    for u, v, data in g.edges(data=True):
        if data.get("relation") == relation:
            yield u, v, data


def _as_list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [x for x in value.split("|") if x]
    return [str(x) for x in value]


def parents(g: nx.MultiDiGraph, event: str) -> list[str]:
    return sorted(v for _, v, d in g.out_edges(event, data=True) if d.get("relation") == "part_of")


def children(g: nx.MultiDiGraph, event: str) -> list[str]:
    return sorted(u for u, _, d in g.in_edges(event, data=True) if d.get("relation") == "part_of")


def ancestors(g: nx.MultiDiGraph, event: str) -> list[str]:
    """Events that `event` is (transitively) part of; cycles are tolerated."""
    seen: list[str] = []
    stack = parents(g, event)
    while stack:
        e = stack.pop()
        if e not in seen and e != event:
            seen.append(e)
            stack.extend(parents(g, e))
    return sorted(seen)


def attended(g: nx.MultiDiGraph, person: str, carry_up: bool = True) -> dict[str, list[str]]:
    """event -> participation kinds; with carry_up, parents of attended events too (as 'via sub-event')."""
    direct: dict[str, list[str]] = {}
    for _, e, d in g.out_edges(person, data=True):
        if d.get("relation") == "attended":
            direct.setdefault(e, [])
            for p in _as_list(d.get("participation")) or ["出席"]:
                if p not in direct[e]:
                    direct[e].append(p)
    if not carry_up:
        return direct
    out = dict(direct)
    for e in list(direct):
        for a in ancestors(g, e):
            out.setdefault(a, [])
    return out


def _event_info(g: nx.MultiDiGraph, e: str) -> dict:
    d = g.nodes[e]
    return {"id": e, "event": label(g, e), "date": str(d.get("date") or "")}


def _most_specific(g: nx.MultiDiGraph, events: set[str]) -> list[str]:
    """Drop events that are ancestors of another event in the set."""
    implied = {a for e in events for a in ancestors(g, e)}
    return sorted(events - implied)


# ---------------------------------------------------------------- co-attendance

class Attendance:
    """Who attended what, in one walk over the edges: each person's events with the events they
    are part of (attendance carried up `part_of`), each event's attendees, each event's lineage."""

    def __init__(self, g: nx.MultiDiGraph):
        direct: dict[str, set[str]] = defaultdict(set)
        self._parents: dict[str, set[str]] = defaultdict(set)
        kinds = dict(g.nodes(data="kind"))
        for u, v, d in g.edges(data=True):
            relation = d.get("relation")
            if relation == "attended" and kinds.get(u) == "person":
                direct[u].add(v)
            elif relation == "part_of":
                self._parents[u].add(v)
        self._up: dict[str, list[str]] = {}
        self.events: dict[str, set[str]] = {}
        for p in sorted(direct):
            evs = set(direct[p])
            for e in direct[p]:
                evs.update(self.lineage(e))
            self.events[p] = evs
        self.attendees: dict[str, list[str]] = defaultdict(list)   # sorted lists of persons
        for p in sorted(self.events):
            for e in self.events[p]:
                self.attendees[e].append(p)

    def lineage(self, e: str) -> list[str]:
        """`ancestors(g, e)`, memoised."""
        up = self._up.get(e)
        if up is None:
            seen: set[str] = set()
            stack = list(self._parents.get(e, ()))
            while stack:
                x = stack.pop()
                if x not in seen and x != e:
                    seen.add(x)
                    stack.extend(self._parents.get(x, ()))
            up = self._up[e] = sorted(seen)
        return up

    def specific(self, shared: Iterable[str]) -> list[str]:
        """The shared events that are not implied by another shared event (sharing a sub-forum
        implies sharing its conference: count the sub-forum only), sorted."""
        shared = set(shared)
        if shared.isdisjoint(self._parents):
            return sorted(shared)      # no shared event is part of another: nothing is implied
        implied = {x for e in shared for x in self.lineage(e)}
        return sorted(shared - implied)

    def partners(self, a: str) -> dict[str, list[str]]:
        """Every person who shared an event with `a` -> the most specific shared events."""
        shared: dict[str, set[str]] = defaultdict(set)
        for e in self.events.get(a, ()):
            for b in self.attendees[e]:
                if b != a:
                    shared[b].add(e)
        return {b: self.specific(evs) for b, evs in sorted(shared.items())}

    def pairs(self) -> Iterable[tuple[str, str, list[str]]]:
        """(a, b, most specific shared events) for every pair a < b that shared an event."""
        for a in sorted(self.events):
            for b, specific in self.pairs_of(a):
                yield a, b, specific

    def pairs_of(self, a: str) -> list[tuple[str, list[str]]]:
        """`pairs()` of one person: (b, most specific shared events) for each b after `a`, sorted by
        b (the co-attendance export computes only the persons whose pairs may have changed)."""
        shared: dict[str, set[str]] = defaultdict(set)
        for e in self.events.get(a, ()):
            people = self.attendees[e]
            for b in people[bisect.bisect_right(people, a):]:
                shared[b].add(e)
        out = []
        for b in sorted(shared):
            specific = self.specific(shared[b])
            if specific:
                out.append((b, specific))
        return out


def coattend(g: nx.MultiDiGraph, min_shared: int = 1, person: str | None = None, limit: int = 0) -> list[dict]:
    """Pairs of persons who attended the same events (sub-events count for their parents).

    Each pair: a, b (labels), a_id, b_id, shared (count), events [{id, event, date}].
    Sorted by shared count (desc), then names; `limit` > 0 keeps the first that many.
    """
    focus = find_node(g, person, "person") if person else None
    att = Attendance(g)
    if focus:
        found = [(focus, b, evs) for b, evs in att.partners(focus).items()]
    else:
        found = list(att.pairs())
    found = [(a, b, evs) for a, b, evs in found if len(evs) >= min_shared]
    labels = {n: label(g, n) for n in att.events}
    found.sort(key=lambda t: (-len(t[2]), labels[t[0]], labels[t[1]], t[0], t[1]))
    if limit:
        found = found[:limit]
    info: dict[str, dict] = {}
    for _, _, evs in found:
        for e in evs:
            if e not in info:
                info[e] = _event_info(g, e)
    return [{"a": labels[a], "b": labels[b], "a_id": a, "b_id": b, "shared": len(evs),
             "events": [dict(info[e]) for e in evs]} for a, b, evs in found]


def coattendance_graph(g: nx.MultiDiGraph, min_shared: int = 1) -> nx.Graph:
    """Person–person projection: weight = number of shared events, events = their labels."""
    import networkx as nx

    proj = nx.Graph()
    for p in nodes_of_kind(g, "person"):
        d = g.nodes[p]
        proj.add_node(p, label=label(g, p), aliases=list(_as_list(d.get("aliases"))),
                      event_count=len(attended(g, p)))
    for r in coattend(g, min_shared=min_shared):
        proj.add_edge(r["a_id"], r["b_id"], weight=r["shared"],
                      events=[e["event"] for e in r["events"]],
                      event_ids=[e["id"] for e in r["events"]])
    return proj


# ---------------------------------------------------------------- profiles

def roles(g: nx.MultiDiGraph, person: str) -> list[dict]:
    out = []
    for _, o, d in g.out_edges(person, data=True):
        if d.get("relation") == "holds_role":
            out.append({"id": o, "organization": label(g, o), "titles": _as_list(d.get("title"))})
    return sorted(out, key=lambda r: (r["organization"], r["id"]))


def person_profile(g: nx.MultiDiGraph, name: str, coattendees: list[dict] | None = None) -> dict:
    """Titles by organization, events with kind of participation, co-attendees (`coattendees`:
    `coattend(g, person=…)` computed elsewhere, e.g. read from the query index)."""
    p = find_node(g, name, "person")
    d = g.nodes[p]
    direct = attended(g, p, carry_up=False)
    events = []
    for e, parts in sorted(attended(g, p).items(), key=lambda kv: (str(g.nodes[kv[0]].get("date") or ""), label(g, kv[0]))):
        info = _event_info(g, e)
        info["participation"] = parts if e in direct else ["(via sub-event)"]
        events.append(info)
    if coattendees is None:
        coattendees = coattend(g, person=p)
    co = [{"person": r["b"], "id": r["b_id"], "shared": r["shared"],
           "events": [e["event"] for e in r["events"]]} for r in coattendees]
    return {"id": p, "person": label(g, p), "aliases": _as_list(d.get("aliases")),
            "roles": roles(g, p), "events": events, "coattendees": co,
            "docs": _as_list(d.get("docs"))}


PARTICIPATION_ORDER = ["主持", "致辞", "视频致辞", "主旨演讲", "发言", "演讲", "对话", "点评", "签约", "颁奖", "出席"]


def _participation_rank(p: str) -> tuple[int, str]:
    return (PARTICIPATION_ORDER.index(p) if p in PARTICIPATION_ORDER else len(PARTICIPATION_ORDER), p)


def title_text(organization: str, titles: list[str]) -> str:
    """One role as the roster shows it: the organization, then its titles."""
    return f"{organization} {'、'.join(titles)}".strip()


def event_profile(g: nx.MultiDiGraph, name: str) -> dict:
    """Roster grouped by participation, organizers, parent and sub-events."""
    e = find_node(g, name, "event")
    attendance: list[tuple[str, list[str]]] = []
    people: dict[str, tuple[str, list[str]]] = {}
    organizers = []
    for u, _, ed in g.in_edges(e, data=True):
        relation = ed.get("relation")
        if relation == "attended":
            attendance.append((u, _as_list(ed.get("participation"))))
            if u not in people:    # a person listed under several participations: roles read once
                people[u] = (label(g, u), [title_text(r["organization"], r["titles"]) for r in roles(g, u)])
        elif relation == "organized":
            organizers.append({"id": u, "organization": label(g, u)})
    return event_answer(e, label(g, e), g.nodes[e], attendance, people, organizers,
                        [_event_info(g, x) for x in parents(g, e)], [_event_info(g, x) for x in children(g, e)])


def event_answer(e: str, name: str, d: dict, attendance: list[tuple[str, list[str]]],
                 people: dict[str, tuple[str, list[str]]], organizers: list[dict], part_of: list[dict],
                 sub_events: list[dict]) -> dict:
    """`event_profile`'s answer from what it reads of the graph, wherever that was read (the query
    index reads it from its tables): event `e`, its label `name` and attributes `d` (with docs);
    `attendance`: (person, participation kinds) per attended edge into `e`; `people`: each
    attendee's label and roles (`title_text` of `roles(g, person)`, in that order); `organizers`:
    {id, organization} per organized edge; `part_of`, `sub_events`: `_event_info` of `parents`
    and `children`."""
    roster: dict[str, list[dict]] = defaultdict(list)
    for u, parts in attendance:
        person, titles = people[u]
        for part in parts or ["出席"]:
            roster[part].append({"id": u, "person": person, "titles": list(titles)})
    return {
        "id": e, "event": name, "date": str(d.get("date") or ""), "place": str(d.get("place") or ""),
        "aliases": _as_list(d.get("aliases")),
        "roster": {k: sorted(v, key=lambda r: (r["person"], r["id"]))
                   for k, v in sorted(roster.items(), key=lambda kv: _participation_rank(kv[0]))},
        "organizers": sorted(organizers, key=lambda r: (r["organization"], r["id"])),
        "part_of": part_of,
        "sub_events": sub_events,
        "docs": _as_list(d.get("docs")),
    }


def between(g: nx.MultiDiGraph, a: str, b: str, path: list[str] | None = None) -> dict:
    """Shared events and organizations of two nodes, and a shortest path between them
    (`path`: one found elsewhere, e.g. by the query index; `g` must then hold its edges)."""
    na, nb = find_node(g, a), find_node(g, b)

    def events(n: str) -> set[str]:
        kind = g.nodes[n].get("kind")
        if kind == "person":
            return set(attended(g, n))
        if kind == "event":
            return {n, *ancestors(g, n)}
        return {v for _, v, d in g.out_edges(n, data=True) if d.get("relation") == "organized"}

    def orgs(n: str) -> set[str]:
        kind = g.nodes[n].get("kind")
        if kind == "person":
            return {r["id"] for r in roles(g, n)}
        if kind == "organization":
            return {n}
        return {u for u, _, d in g.in_edges(n, data=True) if d.get("relation") == "organized"}

    shared_events = _most_specific(g, events(na) & events(nb))
    shared_orgs = sorted(orgs(na) & orgs(nb))
    if path is None:
        import networkx as nx

        und = nx.Graph(g.to_undirected(as_view=True))
        try:
            path = nx.shortest_path(und, na, nb)
        except nx.NetworkXNoPath:
            path = []
    steps = []
    for u, v in zip(path, path[1:]):
        # the graph's edges point person→organization/event, child→parent: show which way each step runs
        rels = sorted({f"{d.get('relation', '')} →" for d in g.get_edge_data(u, v, default={}).values()} |
                      {f"← {d.get('relation', '')}" for d in g.get_edge_data(v, u, default={}).values()})
        steps.append({"from": label(g, u), "relation": " / ".join(rels), "to": label(g, v)})
    return {"a": label(g, na), "b": label(g, nb), "a_id": na, "b_id": nb,
            "shared_events": [_event_info(g, e) for e in shared_events],
            "shared_organizations": [{"id": o, "organization": label(g, o)} for o in shared_orgs],
            "path": [label(g, n) for n in path], "path_ids": path, "steps": steps}


# ---------------------------------------------------------------- rankings

def neighbour_count(g: nx.MultiDiGraph, n: str) -> int:
    """Distinct neighbours, either direction: the degree people mean."""
    return len(set(g.predecessors(n)) | set(g.successors(n)))


def top(g: nx.MultiDiGraph, by: str = "degree", n: int = 20, kind: str | None = None) -> list[dict]:
    """The most connected nodes: by degree, betweenness (on the undirected simple graph) or events attended."""
    if by == "degree":
        scores = {x: neighbour_count(g, x) for x in g.nodes}
    elif by == "betweenness":
        return betweenness_ranking(skeleton(g), n, kind)
    elif by == "events":
        scores = {x: len(attended(g, x)) for x in nodes_of_kind(g, "person")}
    else:
        raise ValueError(f"unknown ranking {by!r}: use degree, betweenness or events")
    return ranked(scores, lambda x: label(g, x), lambda x: g.nodes[x].get("kind"), by, n, kind)


def ranked(scores: dict, label_of, kind_of, by: str, n: int = 20, kind: str | None = None) -> list[dict]:
    """`top`'s rows from scores: highest first, then by label and id; `n` of them (0: all)."""
    rows = [{"id": x, "label": label_of(x), "kind": str(kind_of(x) or ""),
             "score": round(float(s), 6) if by == "betweenness" else int(s)}
            for x, s in scores.items() if kind is None or kind_of(x) == kind]
    rows.sort(key=lambda r: (-r["score"], r["label"], r["id"]))
    return rows[:n] if n else rows


class Skeleton:
    """A graph reduced to what whole-graph rankings read: its nodes sorted by id, with label
    and kind, and the ends (u, v) of every edge. `skeleton(g)` takes it from a graph; the
    query index reads it from graph.db without building a graph (`QueryIndex.skeleton`), with
    the edge ends as `ends`: two integer arrays of positions in `nodes` (u's, v's), from which
    betweenness builds its arrays without a string per edge end, and `edges` is made only
    when asked for."""

    def __init__(self, nodes: list[str], labels: dict[str, str], kinds: dict[str, str],
                 edges: list[tuple[str, str]] | None = None, ends: tuple | None = None):
        if edges is None and ends is None:
            raise ValueError("a skeleton needs its edges or their ends")
        self.nodes, self.labels, self.kinds = nodes, labels, kinds
        self._edges, self.ends = edges, ends

    @property
    def edges(self) -> list[tuple[str, str]]:
        if self._edges is None:
            at = self.nodes.__getitem__
            self._edges = list(zip(map(at, self.ends[0].tolist()), map(at, self.ends[1].tolist())))
        return self._edges

    def degrees(self) -> dict[str, int]:
        """Distinct neighbours of each node, either direction (`neighbour_count`)."""
        around: dict[str, set] = {n: set() for n in self.nodes}
        for u, v in self.edges:
            around[u].add(v)
            around[v].add(u)
        return {n: len(x) for n, x in around.items()}


def skeleton(g: nx.MultiDiGraph) -> Skeleton:
    nodes = sorted(g.nodes, key=str)
    return Skeleton(nodes, {n: label(g, n) for n in nodes}, {n: str(g.nodes[n].get("kind") or "") for n in nodes},
                    [(u, v) for u, v in g.edges()])


def betweenness_ranking(sk: Skeleton, n: int = 20, kind: str | None = None) -> list[dict]:
    """`top(g, by="betweenness")` of the graph `sk` was taken from."""
    return ranked(betweenness_scores(sk.nodes, sk.edges if sk.ends is None else None, sk.ends),
                  sk.labels.__getitem__, sk.kinds.__getitem__, "betweenness", n, kind)


def betweenness_scores(nodes: list, edges: Iterable[tuple] | None, ends: tuple | None = None) -> dict:
    """Betweenness of the undirected simple graph (networkx' definition and sampling, computed
    by `graph.centrality`): exact for small graphs; above 1000 nodes sampled with a fixed seed,
    as many sources as keep the work near a million edge visits (one breadth-first search each).
    The edges are `edges` (pairs of nodes) or, when given, `ends` (positions in `nodes`)."""
    from graph import centrality

    if ends is not None:
        indptr, indices = centrality.adjacency_of(len(nodes), *ends)
    else:
        indptr, indices = centrality.adjacency(nodes, edges)
    k = None
    if len(nodes) > 1000:
        k = max(32, min(500, 1_000_000 // max(1, len(indices) // 2)))
    return centrality.betweenness_of(nodes, indptr, indices, k=k, seed=LOUVAIN_SEED if k else None)


def communities(g: nx.MultiDiGraph, seed: int = LOUVAIN_SEED, resolution: float = 1.0) -> list[dict]:
    """Louvain communities of the undirected graph (parallel edges add weight), largest first."""
    return communities_of(skeleton(g), seed, resolution)


# below this many edges networkx's own Louvain answers in well under a second
COMPILED_LOUVAIN_MIN_EDGES = 20_000


def communities_of(sk: Skeleton, seed: int = LOUVAIN_SEED, resolution: float = 1.0) -> list[dict]:
    """`communities` of the graph `sk` was taken from: networkx's Louvain partition of the
    undirected graph whose edge weights count parallel edges, each pair entering where it first
    appears in the edges sorted by (u, v) (the partition depends on that order), computed by
    graph/louvain.py (the same partition, compiled)."""
    nodes = sk.nodes
    edges = len(sk.ends[0]) if sk.ends is not None else len(sk.edges)
    if (edges < COMPILED_LOUVAIN_MIN_EDGES or not all(type(x) is str for x in nodes)
            or any(a >= b for a, b in zip(nodes, nodes[1:]))):
        return _communities_by_networkx(sk, seed, resolution)
    import numpy as np

    from graph.louvain import louvain_labels

    n = len(nodes)
    if sk.ends is not None:
        iu, iv = (np.asarray(x, dtype=np.int64) for x in sk.ends)
    else:
        index = {x: i for i, x in enumerate(nodes)}
        iu = np.fromiter((index[u] for u, _ in sk.edges), np.int64, len(sk.edges))
        iv = np.fromiter((index[v] for _, v in sk.edges), np.int64, len(sk.edges))
    # the nodes are sorted by id: sorting positions sorts the ids
    order = np.lexsort((iv, iu))
    iu, iv = iu[order], iv[order]
    lo, hi = np.minimum(iu, iv), np.maximum(iu, iv)
    pairs, first, inverse = np.unique(lo * n + hi, return_index=True, return_inverse=True)
    loop = lo[first] == hi[first]
    # distinct neighbours, either direction, itself for a self loop (`neighbour_count`)
    degrees = (np.bincount(lo[first], minlength=n) + np.bincount(hi[first][~loop], minlength=n)).tolist()
    weights = np.bincount(inverse.reshape(-1), minlength=len(pairs))
    firsts, weights = first[~loop], weights[~loop]
    by_first = np.argsort(firsts, kind="stable")          # the order the pairs enter the graph
    at = firsts[by_first]
    labels = louvain_labels(n, lo[at], hi[at], weights[by_first], seed=seed, resolution=resolution)
    groups: dict[int, list[str]] = defaultdict(list)
    for i, c in enumerate(labels.tolist()):
        groups[c].append(nodes[i])
    degree_of = dict(zip(nodes, degrees))
    return _described([set(g) for g in groups.values()], degree_of, sk)


def _communities_by_networkx(sk: Skeleton, seed: int, resolution: float) -> list[dict]:
    """`communities_of` by networkx itself: for small graphs (milliseconds, where importing
    numba and loading the compiled code would take a second) and for node ids that are not all
    strings in sorted order (ids compared as strings)."""
    import networkx as nx

    und = nx.Graph()
    und.add_nodes_from(sk.nodes)
    # parallel edges add weight; edges enter in sorted order (Louvain's result depends on it)
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for u, v in sorted((str(u), str(v)) for u, v in sk.edges):
        if u != v:
            weights[min(u, v), max(u, v)] += 1
    und.add_weighted_edges_from((a, b, w) for (a, b), w in weights.items())
    if und.number_of_edges() == 0:
        groups = [{n} for n in und.nodes]
    else:
        groups = nx.community.louvain_communities(und, weight="weight", seed=seed, resolution=resolution)
    return _described(groups, sk.degrees(), sk)


def _described(groups: list[set], degrees: dict, sk: Skeleton) -> list[dict]:
    """Communities as `communities` lists them: biggest first, members by degree."""
    out = []
    for members in groups:
        ms = sorted(members, key=lambda x: (-degrees[x], sk.labels[x], x))
        kinds: dict[str, int] = defaultdict(int)
        for m in ms:
            kinds[sk.kinds[m]] += 1
        out.append({"size": len(ms), "kinds": dict(sorted(kinds.items())), "ids": ms,
                    "members": [sk.labels[m] for m in ms]})
    out.sort(key=lambda c: (-c["size"], c["ids"]))
    for i, c in enumerate(out, 1):
        c["community"] = i
    return out
