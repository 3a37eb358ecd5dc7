"""`forumgraph query GRAPH …` and `forumgraph html GRAPH …`: explore a saved graph.

GRAPH is graph.graphml, graph.json or an output folder. Results print as
readable tables by default, `--format json|csv` for scripts. A name that
matches nothing gets a did-you-mean answer, not a traceback.
"""
from __future__ import annotations

import csv
import io
import json
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import click

from graph import query as q
from graph.query_index import QueryIndex, QueryIndexError, index_path
from graph.query_memo import (BETWEENNESS, BETWEENNESS_PARAMS, COMMUNITIES, DEFAULT_RESOLUTION, QueryMemo,
                              communities_params)

if TYPE_CHECKING:
    # networkx and graph.load (which imports it) are imported when a graph file is read: a fifth of
    # a second that the questions answered from graph.db alone do without
    import networkx as nx

FORMATS = click.Choice(["table", "json", "csv"])
COATTENDEES_SHOWN = 20   # a hub of a large corpus meets thousands: a table of them helps nobody


# ---------------------------------------------------------------- output

@lru_cache(maxsize=None)
def _char_width(c: str) -> int:
    return 2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: wide (CJK) characters two, combining marks none."""
    return len(text) if text.isascii() else sum(map(_char_width, text))


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _cell(value) -> str:
    if isinstance(value, (list, tuple)):
        if all(type(v) is str for v in value):   # the common case, cleaned in one go
            return _cell("、".join(value))
        return "、".join(_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4f}"
    text = str(value)
    if text.isprintable():     # no control or line-separator characters: the common case
        return text
    # one line per row: control characters from articles must not break the table
    return "".join(" " if unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" else c for c in text)


def table(rows: list[dict], columns: list[str], max_width: int = 60) -> str:
    if not rows:
        return "(none)"
    cells = [[_clip(_cell(r.get(c, "")), max_width) for c in columns] for r in rows]
    widths = [max(_width(c), *(_width(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(x, w) for x, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    """`text` if it fits in `width` columns, else its start and "…" (reads no further than that:
    a hub's cell can join thousands of titles)."""
    if 2 * len(text) <= width:     # fits even if every character is wide
        return text
    w, cut = 0, 0
    for i, c in enumerate(text):
        w += _char_width(c)
        if w <= width - 1:
            cut = i + 1            # what fits beside the "…"
        elif w > width:
            return text[:cut] + "…"
    return text


def csv_text(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow(["|".join(map(str, r.get(c, ""))) if isinstance(r.get(c), list) else r.get(c, "") for c in columns])
    return buf.getvalue()


def emit(fmt: str, result, sections: list[tuple[str, list[dict], list[str]]], header: str = "") -> None:
    """Print `result` as JSON, or its `sections` (title, rows, columns) as tables / one CSV."""
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True))
    elif fmt == "csv":
        if len(sections) == 1:
            click.echo(csv_text(sections[0][1], sections[0][2]), nl=False)
        else:   # several tables in one CSV: a leading section column
            columns = ["section"]
            for _, _, cols in sections:
                columns += [c for c in cols if c not in columns]
            rows = [{"section": title, **r} for title, rs, _ in sections for r in rs]
            click.echo(csv_text(rows, columns), nl=False)
    else:
        if header:
            click.echo(header)
        for title, rows, columns in sections:
            if title:
                click.echo(f"\n{title}")
            click.echo(table(rows, columns))


# ---------------------------------------------------------------- commands

def _run(fn: Callable[[], None]) -> None:
    try:
        fn()
    except q.UnknownName as exc:
        raise click.ClickException(str(exc)) from exc
    except q.AmbiguousName as exc:
        raise click.ClickException(str(exc)) from exc


class Source:
    """Where a question's graph comes from: an output folder's query index (graph.db: only the
    part of the graph a question needs is read) or a whole graph file loaded into memory.
    Both give the same answers; the index is what keeps large graphs interactive."""

    def __init__(self, graph_path: Path):
        self.index: QueryIndex | None = None
        self._graph: nx.MultiDiGraph | None = None
        found = index_path(graph_path)
        if found is not None:
            try:
                self.index = QueryIndex(found)
                return
            except QueryIndexError as exc:
                if Path(graph_path).suffix == ".db":
                    raise click.ClickException(str(exc)) from exc
                click.echo(f"note: {exc}; reading the graph file instead", err=True)
        from graph.load import GraphFileError, load_graph

        try:
            self._graph = load_graph(graph_path)
        except GraphFileError as exc:
            raise click.ClickException(str(exc)) from exc

    def whole(self, relations: tuple[str, ...] | None = None) -> nx.MultiDiGraph:
        if self._graph is not None:
            return self._graph
        return self.index.structure(relations)

    def find(self, name: str, kind: str | None = None) -> str:
        return self.index.find(name, kind) if self.index else q.find_node(self._graph, name, kind)

    def person(self, name: str, coattendees: int = 0) -> dict:
        """`query.person_profile`, its co-attendees cut to the first `coattendees` (0: all), and
        how many there are in all (`coattendees_total`)."""
        if not self.index:
            profile = q.person_profile(self._graph, name)
            total = len(profile["coattendees"])
        else:
            p = self.index.find(name, "person")
            profile = q.person_profile(self.index.node_view(p), p,
                                       coattendees=self.index.coattendees(p, limit=coattendees))
            total = self.index.coattendee_count(p)
        if coattendees:
            profile["coattendees"] = profile["coattendees"][:coattendees]
        profile["coattendees_total"] = total
        return profile

    def event(self, name: str) -> dict:
        if not self.index:
            return q.event_profile(self._graph, name)
        return self.index.event_profile(self.index.find(name, "event"))

    def coattend(self, min_shared: int, person: str | None, limit: int) -> list[dict]:
        if not self.index:
            return q.coattend(self._graph, min_shared=min_shared, person=person, limit=limit)
        if person:
            return self.index.coattendees(self.index.find(person, "person"), min_shared, limit)
        return self.index.coattend(min_shared, limit)

    def between(self, a: str, b: str) -> dict:
        if not self.index:
            return q.between(self._graph, a, b)
        na, nb = self.index.find(a), self.index.find(b)
        g, path = self.index.between_view(na, nb)
        return q.between(g, na, nb, path=path)

    def top(self, by: str, n: int, kind: str | None) -> list[dict]:
        if self.index and by in ("degree", "events"):
            return self.index.top(by, n, kind)
        if self.index and by == "betweenness":
            rows = self._kept(BETWEENNESS, BETWEENNESS_PARAMS, lambda: q.betweenness_ranking(self.index.skeleton(), n=0))
            return [r for r in rows if kind is None or r["kind"] == kind][:n or None]
        return q.top(self.whole(), by=by, n=n, kind=kind)

    def communities(self, seed: int, resolution: float) -> list[dict]:
        if not self.index:
            return q.communities(self._graph, seed=seed, resolution=resolution)
        return self._kept(COMMUNITIES, communities_params(seed, resolution),
                          lambda: q.communities_of(self.index.skeleton(), seed=seed, resolution=resolution))

    def _kept(self, question: str, params: dict, compute: Callable[[], list]) -> list:
        """A whole-graph answer: computed once per graph.db, then read back (`QueryMemo`)."""
        memo = QueryMemo(self.index.path)
        answer = memo.get(question, params)
        if answer is None:
            if sys.stderr.isatty():
                click.echo(f"computing {question} over the whole graph (once: the answer is kept for this graph.db)…",
                           err=True)
            answer = compute()
            memo.put(question, params, answer)
        return answer


@click.group("query")
@click.argument("graph_path", metavar="GRAPH", type=click.Path(path_type=Path))
@click.pass_context
def query(ctx: click.Context, graph_path: Path) -> None:
    """Ask the saved graph who attended what (GRAPH: an output folder, its graph.db, graph.json or graph.graphml).

    An output folder is read through its query index, graph.db, which answers in well under a
    second on large graphs; a graph file is loaded whole."""
    ctx.obj = Source(graph_path)


format_option = click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
                             help="table for people, json or csv for scripts")


def _events_text(events: list[dict]) -> str:
    return "、".join(f"{e['event']}({e['date']})" if e.get("date") else e["event"] for e in events)


@query.command()
@click.option("--min-shared", default=1, show_default=True, type=click.IntRange(min=1),
              help="only pairs with at least this many shared events")
@click.option("--person", default=None, help="only pairs that include this person")
@click.option("-n", "--limit", default=0, show_default=True, type=click.IntRange(min=0),
              help="only the first N pairs, most shared events first (0 = all)")
@format_option
@click.pass_obj
def coattend(src: Source, min_shared: int, person: str | None, limit: int, fmt: str) -> None:
    """Pairs of persons who attended the same events (a sub-forum counts for its forum)."""
    def run() -> None:
        pairs = src.coattend(min_shared, person, limit)
        rows = [{**p, "events_text": _events_text(p["events"]),
                 "event_names": [e["event"] for e in p["events"]], "dates": [e["date"] for e in p["events"]]}
                for p in pairs]
        cols = ["a", "b", "shared", "events_text"] if fmt == "table" else ["a", "b", "shared", "event_names", "dates"]
        emit(fmt, pairs, [("", rows, cols)])
    _run(run)


@query.command()
@click.argument("name")
@click.option("-c", "--coattendees", "limit", default=COATTENDEES_SHOWN, show_default=True,
              type=click.IntRange(min=0), help="co-attendees to list, most shared events first (0 = all)")
@format_option
@click.pass_obj
def person(src: Source, name: str, limit: int, fmt: str) -> None:
    """Titles by organization, events with participation, co-attendees (NAME in either script, or an alias)."""
    def run() -> None:
        p = src.person(name, limit)
        header = p["person"] + (f"  (aliases: {'、'.join(p['aliases'])})" if p["aliases"] else "")
        co = [{**c, "events_text": "、".join(c["events"])} for c in p["coattendees"]]
        title = "Co-attendees"
        if fmt == "table" and len(co) < p["coattendees_total"]:   # (csv keeps the plain section name)
            title += f" ({len(co)} of {p['coattendees_total']}, most shared events first; --coattendees 0 for all)"
        emit(fmt, p, [
            ("Titles", p["roles"], ["organization", "titles"]),
            ("Events", p["events"], ["date", "event", "participation"]),
            (title, co, ["person", "shared", "events_text"]),
        ], header)
    _run(run)


@query.command()
@click.argument("name")
@format_option
@click.pass_obj
def event(src: Source, name: str, fmt: str) -> None:
    """Roster grouped by participation (主持, 致辞, 主旨演讲, 出席…), organizers, sub-events."""
    def run() -> None:
        e = src.event(name)
        header = e["event"] + "".join(f"  {x}" for x in (e["date"], e["place"]) if x)
        roster = [{"participation": part, "person": r["person"], "titles": r["titles"]}
                  for part, rs in e["roster"].items() for r in rs]
        emit(fmt, e, [
            ("Roster", roster, ["participation", "person", "titles"]),
            ("Organizers", e["organizers"], ["organization"]),
            ("Part of", e["part_of"], ["event", "date"]),
            ("Sub-events", e["sub_events"], ["event", "date"]),
        ], header)
    _run(run)


@query.command()
@click.argument("a")
@click.argument("b")
@format_option
@click.pass_obj
def between(src: Source, a: str, b: str, fmt: str) -> None:
    """Shared events and organizations of A and B, and the shortest path between them."""
    def run() -> None:
        r = src.between(a, b)
        emit(fmt, r, [
            ("Shared events", r["shared_events"], ["event", "date"]),
            ("Shared organizations", r["shared_organizations"], ["organization"]),
            ("Shortest path", r["steps"], ["from", "relation", "to"]),
        ], f"{r['a']} ↔ {r['b']}")
    _run(run)


@query.command()
@click.option("--by", type=click.Choice(["degree", "betweenness", "events"]), default="degree", show_default=True)
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(min=0), help="rows (0 = all)")
@click.option("--kind", type=click.Choice(["person", "organization", "event"]), default=None)
@format_option
@click.pass_obj
def top(src: Source, by: str, limit: int, kind: str | None, fmt: str) -> None:
    """The most connected nodes."""
    rows = src.top(by, limit, kind)
    emit(fmt, rows, [("", rows, ["label", "kind", "score", "id"])])


@query.command()
@click.option("--seed", default=q.LOUVAIN_SEED, show_default=True, type=int)
@click.option("--resolution", default=DEFAULT_RESOLUTION, show_default=True, type=float)
@format_option
@click.pass_obj
def communities(src: Source, seed: int, resolution: float, fmt: str) -> None:
    """Louvain communities (fixed seed: the same answer every run), largest first."""
    groups = src.communities(seed, resolution)
    rows = [{**c, "kinds_text": " ".join(f"{k}:{v}" for k, v in c["kinds"].items()),
             "members_text": "、".join(c["members"][:12]) + ("…" if len(c["members"]) > 12 else "")}
            for c in groups]
    cols = ["community", "size", "kinds_text", "members_text"] if fmt == "table" else ["community", "size", "members"]
    emit(fmt, groups, [("", rows, cols)])


@click.command("html")
@click.argument("graph_path", metavar="GRAPH", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None,
              help="the page to write [default: graph.html beside GRAPH, view.html for a view]")
@click.option("--focus", default=None, help="ego network of this person, organization or event")
@click.option("--top", "top_n", type=click.IntRange(min=1), default=None, help="the N most connected nodes")
@click.option("--kind", "kinds", default=None, help="only these kinds, comma-separated: person,organization,event")
def html_command(graph_path: Path, out_file: Path | None, focus: str | None, top_n: int | None, kinds: str | None) -> None:
    """Render a saved graph as one self-contained, offline HTML page."""
    from graph.atomic import write_text
    from graph.export.html import render_html
    from graph.load import GraphFileError, load_graph, resolve_graph_path

    try:
        source = resolve_graph_path(graph_path)
        g = load_graph(source)
    except GraphFileError as exc:
        raise click.ClickException(str(exc)) from exc
    kind_list = [k.strip() for k in kinds.split(",") if k.strip()] if kinds else None
    unknown = [k for k in kind_list or [] if k not in ("person", "organization", "event")]
    if unknown:
        raise click.BadParameter(f"unknown kind(s) {', '.join(unknown)}", param_hint="--kind")
    if out_file is None:
        out_file = source.parent / ("view.html" if (focus or top_n or kind_list) else "graph.html")
    try:
        page = render_html(g, focus=focus, top=top_n, kinds=kind_list)
    except (q.UnknownName, q.AmbiguousName) as exc:
        raise click.ClickException(str(exc)) from exc
    write_text(out_file, page)
    click.echo(f"wrote {out_file}", err=False)

