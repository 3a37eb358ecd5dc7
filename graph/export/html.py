"""`graph.html`: one self-contained, offline page to explore the graph.

vis-network (copied from pyvis' bundled 9.1.2 into `vendor/`) and the page's
own controls are inlined; there is no CDN and no other request (the page's
Content-Security-Policy forbids them too). Article text enters the page only
as JSON in a `<script type="application/json">` block with `<`, `>`, `&` and
U+2028/2029 escaped, and the page shows it only through `textContent` and
canvas labels.

Large graphs would freeze a browser tab, so above `LARGE_GRAPH` nodes the page
shows a view (`focus` ego network, `top` most connected, `kind`), by default the
`DEFAULT_TOP` most connected nodes, with a note saying so. A list in the side panel
shows its first `PANEL_LIMIT` entries and how many there are (`<list>_total`).
"""
from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import networkx as nx

from extractors.normalize import fold_name, opencc_characters
from graph.atomic import write_text
from graph.json_text import sorted_compact
from graph.export.style import KIND_STYLE, kind_style, node_size
from graph import query as q

LARGE_GRAPH = 2000      # nodes; vis-network's physics gets sluggish beyond a few thousand
DEFAULT_TOP = 500       # what a large graph shows unless asked for another view
# entries of one list in the side panel (a person's events, an event's attendees, a node's documents):
# thousands for the hubs of a large corpus, which no one reads in a panel and which made a page of 500
# nodes 30 MB; the panel says how many there are and `forumgraph query` lists them all
PANEL_LIMIT = 100
HERE = Path(__file__).parent
EDGE_COLOURS = {"holds_role": "#e08a1e", "attended": "#3b7dd8", "part_of": "#2e9e5b", "organized": "#9c5fc9"}


# ---------------------------------------------------------------- views

def _neighbour_count(g: nx.MultiDiGraph, n) -> int:
    """graph.query.neighbour_count, read straight from the adjacency."""
    return len(g._succ[n].keys() | g._pred[n].keys())


def _induced(g: nx.MultiDiGraph, keep) -> nx.MultiDiGraph:
    """g.subgraph(keep).copy(), built from the kept nodes' own adjacency (a subgraph view
    filters every neighbour of every kept node through a set, which is slow for hubs)."""
    keep = set(keep)
    h = g.__class__()
    h.graph.update(g.graph)
    h.add_nodes_from((n, g.nodes[n].copy()) for n in sorted(keep, key=str))
    succ = g._succ
    h.add_edges_from((u, v, k, d.copy()) for u in sorted(keep, key=str) for v, kd in succ[u].items() if v in keep
                     for k, d in kd.items())
    return h


def _most_connected(g: nx.MultiDiGraph, n: int) -> list[str]:
    return sorted(g.nodes, key=lambda x: (-_neighbour_count(g, x), str(x)))[:n]


def select_view(g: nx.MultiDiGraph, focus: str | None = None, top: int | None = None,
                kinds: list[str] | None = None, limit: int = LARGE_GRAPH) -> tuple[nx.MultiDiGraph, str]:
    """The part of `g` to draw and a note describing it ('' when it is the whole graph).

    Raises graph.query.UnknownName for a focus that names no node.
    """
    total = g.number_of_nodes()
    view, notes = g, []
    if kinds:
        view = _induced(view, [n for n, k in view.nodes(data="kind") if k in kinds])
        notes.append(f"kinds: {', '.join(kinds)}")
    if focus:
        centre = q.find_node(view, focus)
        und = nx.Graph(view.to_undirected(as_view=True))
        # two steps reach co-attendees and colleagues; fall back to one step if that is too much
        ego = nx.ego_graph(und, centre, radius=2)
        if ego.number_of_nodes() > limit:
            ego = nx.ego_graph(und, centre, radius=1)
        view = _induced(view, ego.nodes)
        notes.append(f"neighbourhood of {q.label(g, centre)}")
    if top or view.number_of_nodes() > limit:
        n = min(top or DEFAULT_TOP, limit)
        if view.number_of_nodes() > n:
            view = _induced(view, _most_connected(view, n))
            notes.append(f"the {n} most connected nodes")
    if not notes:
        return g, ""
    return view, (f"Showing {view.number_of_nodes()} of {total} nodes ({'; '.join(notes)}). "
                  "Other views: forumgraph html GRAPH --focus NAME | --top N | --kind KIND")


# ---------------------------------------------------------------- page data

def _search_key(names: list[str]) -> str:
    keys = []
    for name in names:
        for k in (name.lower(), fold_name(name).lower()):
            if k not in keys:
                keys.append(k)
    return "\n".join(keys)


def _evidence(d: dict) -> list[dict]:
    ev = d.get("evidence") or []
    if isinstance(ev, str):
        try:
            ev = json.loads(ev)
        except json.JSONDecodeError:
            ev = []
    return [{"doc": str(e.get("doc", "")), "sentence": str(e.get("sentence", ""))} for e in ev if isinstance(e, dict)]


def _as_list(value) -> list[str]:
    """graph.query._as_list, without a comprehension for the common case."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        parts = value.split("|")
        return [x for x in parts if x] if "" in parts else parts
    return list(map(str, value))


class _Facts:
    """What the side panel needs, as graph.query computes it (roles, attended, ancestors,
    event_profile's roster) but read from the adjacency directly and remembered per page:
    the attendees of a large event are looked up once, not once per event they attended."""

    def __init__(self, g: nx.MultiDiGraph):
        self.g = g
        self._labels: dict = {}
        self._roles: dict = {}
        self._titles: dict = {}
        self._parents: dict = {}
        self._ancestors: dict = {}
        self._dated: dict = {}     # event -> (date, label): its info and the order of a person's events

    def label(self, n) -> str:
        got = self._labels.get(n)
        if got is None:
            got = self._labels[n] = str(self.g._node[n].get("label") or n)
        return got

    def dated(self, e) -> tuple[str, str]:
        got = self._dated.get(e)
        if got is None:
            got = self._dated[e] = (str(self.g._node[e].get("date") or ""), self.label(e))
        return got

    def out_edges(self, n) -> list[tuple]:
        """(target, data) in g.out_edges(n) order."""
        return [(v, d) for v, kd in self.g._succ[n].items() for d in kd.values()]

    def in_edges(self, n) -> list[tuple]:
        """(source, data) in g.in_edges(n) order."""
        return [(u, d) for u, kd in self.g._pred[n].items() for d in kd.values()]

    def event_info(self, e) -> dict:
        date, label = self.dated(e)
        return {"id": e, "event": label, "date": date}

    def roles(self, p) -> list[dict]:
        got = self._roles.get(p)
        if got is None:
            label = self.label
            out = [{"id": o, "organization": label(o), "titles": _as_list(d.get("title"))}
                   for o, kd in self.g._succ[p].items() for d in kd.values() if d.get("relation") == "holds_role"]
            got = self._roles[p] = sorted(out, key=lambda r: (r["organization"], r["id"]))
        return got

    def role_titles(self, p) -> list[str]:
        """How event_profile's roster shows a person's roles."""
        got = self._titles.get(p)
        if got is None:
            got = self._titles[p] = [f"{r['organization']} {'、'.join(r['titles'])}".strip() for r in self.roles(p)]
        return got

    def parents(self, e) -> list:
        got = self._parents.get(e)
        if got is None:
            got = self._parents[e] = sorted(v for v, d in self.out_edges(e) if d.get("relation") == "part_of")
        return got

    def children(self, e) -> list:
        return sorted(u for u, d in self.in_edges(e) if d.get("relation") == "part_of")

    def ancestors(self, e) -> list:
        got = self._ancestors.get(e)
        if got is None:
            seen: list = []
            stack = list(self.parents(e))
            while stack:
                x = stack.pop()
                if x not in seen and x != e:
                    seen.append(x)
                    stack.extend(self.parents(x))
            got = self._ancestors[e] = sorted(seen)
        return got

    def attended(self, person, carry_up: bool = True) -> dict:
        direct: dict = {}
        for e, kd in self.g._succ[person].items():
            for d in kd.values():
                if d.get("relation") == "attended":
                    parts = direct.setdefault(e, [])
                    for p in _as_list(d.get("participation")) or ["出席"]:
                        if p not in parts:
                            parts.append(p)
        return direct if not carry_up else self.carried_up(direct)

    def carried_up(self, direct: dict) -> dict:
        """attended(carry_up=True) from the direct attendance: parents of attended events too."""
        out = dict(direct)
        for e in list(direct):
            for a in self.ancestors(e):
                out.setdefault(a, [])
        return out

    def event_roster(self, e, limit: int | None = None) -> dict:
        """event_profile(g, e)["roster"]: participation -> attendees; with `limit`, participation ->
        (the first `limit` attendees, how many there are), titles looked up for those only."""
        roster: dict = defaultdict(list)
        label = self.label
        for u, kd in self.g._pred[e].items():
            for d in kd.values():
                if d.get("relation") == "attended":
                    for part in _as_list(d.get("participation")) or ["出席"]:
                        roster[part].append((label(u), u))
        out = {}
        for k, people in sorted(roster.items(), key=lambda kv: q._participation_rank(kv[0])):
            people.sort()   # (person, id): ids are unique, so labels alone never decide between two entries
            shown = [{"id": u, "person": name, "titles": self.role_titles(u)} for name, u in people[:limit]]
            out[k] = shown if limit is None else (shown, len(people))
        return out


def _shown(out: dict, key: str, items: list, limit: int | None) -> None:
    """`out[key]`: the first `limit` of `items`, and `out[key + "_total"]` when some are left out."""
    if limit is not None and len(items) > limit:
        out[key + "_total"] = len(items)
        items = items[:limit]
    out[key] = items


def _details(g: nx.MultiDiGraph, n: str, facts: _Facts | None = None, limit: int | None = None) -> dict:
    """What the side panel shows for a node (computed on the whole graph, not the view); with
    `limit`, each list holds its first `limit` entries (see `_shown`)."""
    f = facts or _Facts(g)
    d = g.nodes[n]
    kind = d.get("kind")
    out: dict = {"evidence": _evidence(d)}
    if kind == "person":
        _shown(out, "roles", f.roles(n), limit)
        direct = f.attended(n, carry_up=False)
        dated, via = f.dated, ["(via sub-event)"]
        ordered = sorted(f.carried_up(direct), key=dated)
        events = []
        for e in ordered[:limit]:
            date, label = dated(e)
            events.append({"id": e, "event": label, "date": date, "participation": direct.get(e, via)})
        _shown(out, "events", events, limit)
        if len(ordered) > len(events):
            out["events_total"] = len(ordered)
        # the sentence that says what they did is the best evidence for a person; six are shown,
        # so edges after the sixth distinct sentence cannot change what is shown (targets in the
        # order of their ids, each target's edges in the graph's order)
        evidence = out["evidence"]
        succ = g._succ[n]
        for v in sorted(succ, key=str):
            if len(evidence) >= 6:
                break
            for ed in succ[v].values():
                if len(evidence) >= 6:
                    break
                for ev in _evidence(ed):
                    if ev not in evidence:
                        evidence.append(ev)
        out["evidence"] = evidence[:6]
    elif kind == "organization":
        _shown(out, "members", sorted(({"id": u, "person": f.label(u), "titles": _as_list(ed.get("title"))}
                                        for u, ed in f.in_edges(n) if ed.get("relation") == "holds_role"),
                                       key=lambda r: (r["person"], r["id"])), limit)
        _shown(out, "events", [f.event_info(v) for v, ed in sorted(f.out_edges(n), key=lambda e: str(e[0]))
                               if ed.get("relation") == "organized"], limit)
    elif kind == "event":
        organizers = sorted(({"id": u, "organization": f.label(u)} for u, ed in f.in_edges(n)
                             if ed.get("relation") == "organized"), key=lambda r: (r["organization"], r["id"]))
        out.update(date=str(d.get("date") or ""), place=str(d.get("place") or ""))
        _shown(out, "part_of", [f.event_info(x) for x in f.parents(n)], limit)
        _shown(out, "sub_events", [f.event_info(x) for x in f.children(n)], limit)
        _shown(out, "organizers", organizers, limit)
        roster = []
        for k, v in f.event_roster(n, limit).items():
            group = {"participation": k}
            if limit is None:
                group["persons"] = v
            else:
                shown, total = v
                group["persons"] = shown
                if total > len(shown):
                    group["total"] = total
            roster.append(group)
        out["roster"] = roster
    return out


def _event_scope(g: nx.MultiDiGraph, view: nx.MultiDiGraph, e: str, facts: _Facts | None = None) -> list[str]:
    """Nodes shown when filtering by event `e`: it, its sub-events and parents, and who attended/organized them."""
    f = facts or _Facts(g)
    events = {e, *f.ancestors(e)}
    stack = [e]
    while stack:
        for c in f.children(stack.pop()):
            if c not in events:
                events.add(c)
                stack.append(c)
    scope = set(events)
    for x in events:
        scope.update(u for u, d in f.in_edges(x) if d.get("relation") in ("attended", "organized"))
    return sorted(s for s in scope if s in view)


def page_data(g: nx.MultiDiGraph, view: nx.MultiDiGraph, note: str = "", limit: int | None = PANEL_LIMIT) -> dict:
    """Everything the page's script reads; lists of the side panel cut at `limit` (None: whole)."""
    nodes, needed_chars = [], set()
    for n in sorted(view.nodes, key=str):
        d = g.nodes[n]
        kind = str(d.get("kind") or "")
        colour, shape, _ = kind_style(kind)
        names = [x for x in [str(d.get("label") or n), *_as_list(d.get("aliases"))] if x]
        search = _search_key(names)
        needed_chars.update(search)
        degree = _neighbour_count(g, n)
        node = {"id": str(n), "label": names[0], "kind": kind, "color": colour, "shape": shape,
                "size": node_size(degree), "degree": degree, "aliases": names[1:], "search": search}
        _shown(node, "docs", _as_list(d.get("docs")), limit)
        nodes.append(node)
    edges = []
    for i, (u, v, k, d) in enumerate(sorted(view.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2])))):
        rel = str(d.get("relation") or k)
        edges.append({"id": f"e{i}", "from": str(u), "to": str(v), "relation": rel,
                      "color": EDGE_COLOURS.get(rel, "#999999")})
    kinds = []
    for kind, (colour, shape, name) in KIND_STYLE.items():
        count = sum(1 for n in nodes if n["kind"] == kind)
        kinds.append({"kind": kind, "color": colour, "shape": shape, "name": name, "count": count})
    events = [n for n in nodes if n["kind"] == "event"]
    events.sort(key=lambda n: (str(g.nodes[n["id"]].get("date") or ""), n["label"]))
    # only the part of OpenCC's table that can lead to a name on this page
    t2s = {t: s for t, s in opencc_characters().items() if len(s) == 1 and s in needed_chars}
    facts = _Facts(g)
    return {
        "nodes": nodes, "edges": edges, "kinds": kinds, "note": note, "t2s": dict(sorted(t2s.items())),
        "details": {n["id"]: _details(g, n["id"], facts, limit) for n in nodes},
        "events": [{"id": n["id"], "label": n["label"], "date": str(g.nodes[n["id"]].get("date") or "")} for n in events],
        "eventScopes": {n["id"]: _event_scope(g, view, n["id"], facts) for n in events},
        "stabilizationIterations": 400 if len(nodes) <= 300 else 200,
    }


# ---------------------------------------------------------------- rendering

def json_for_script(obj) -> str:
    """JSON that cannot end its <script> block or start markup: `<`, `>`, `&`, U+2028/2029 as \\u escapes."""
    text = sorted_compact(obj)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str, str]:
    template = (HERE / "templates" / "graph.html").read_text(encoding="utf-8")
    js = (HERE / "vendor" / "vis-network.min.js").read_text(encoding="utf-8")
    css = (HERE / "vendor" / "vis-network.css").read_text(encoding="utf-8")
    # the vendored code must not be able to close its own <script>/<style> element
    assert "</script" not in js.lower() and "<!--" not in js, "vis-network.min.js cannot be inlined as is"
    assert "</style" not in css.lower()
    return template, js, css


def render_html(g: nx.MultiDiGraph, focus: str | None = None, top: int | None = None,
                kinds: list[str] | None = None, limit: int = LARGE_GRAPH) -> str:
    view, note = select_view(g, focus=focus, top=top, kinds=kinds, limit=limit)
    template, js, css = _assets()
    parts = {"VIS_CSS": css, "VIS_JS": js, "GRAPH_DATA": json_for_script(page_data(g, view, note))}
    # one pass: text substituted for one placeholder is never searched for another
    return re.sub(r"@@([A-Z_]+)@@", lambda m: parts[m.group(1)], template)


def write_html(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    write_text(path, render_html(g))
