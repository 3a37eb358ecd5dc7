"""`forumgraph query GRAPH …` and `forumgraph html GRAPH …`: explore a saved graph.

GRAPH is graph.graphml, graph.json or an output folder. Results print as
readable tables by default, `--format json|csv` for scripts. A name that
matches nothing gets a did-you-mean answer, not a traceback.
"""
from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import Callable

import click
import networkx as nx

from graph import query as q
from graph.load import GraphFileError, load_graph, resolve_graph_path

FORMATS = click.Choice(["table", "json", "csv"])


# ---------------------------------------------------------------- output

def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _cell(value) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4f}"
    # one line per row: control characters from articles must not break the table
    return "".join(" " if unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" else c for c in str(value))


def table(rows: list[dict], columns: list[str], max_width: int = 60) -> str:
    if not rows:
        return "(none)"
    cells = [[_cell(r.get(c, "")) for c in columns] for r in rows]
    cells = [[x if _width(x) <= max_width else _clip(x, max_width) for x in row] for row in cells]
    widths = [max(_width(c), *(_width(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_pad(x, w) for x, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    out, w = "", 0
    for c in text:
        cw = _width(c)
        if w + cw > width - 1:
            return out + "…"
        out, w = out + c, w + cw
    return out


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


@click.group("query")
@click.argument("graph_path", metavar="GRAPH", type=click.Path(path_type=Path))
@click.pass_context
def query(ctx: click.Context, graph_path: Path) -> None:
    """Ask the saved graph who attended what (GRAPH: graph.graphml, graph.json or an output folder)."""
    try:
        ctx.obj = load_graph(graph_path)
    except GraphFileError as exc:
        raise click.ClickException(str(exc)) from exc


format_option = click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
                             help="table for people, json or csv for scripts")


def _events_text(events: list[dict]) -> str:
    return "、".join(f"{e['event']}({e['date']})" if e.get("date") else e["event"] for e in events)


@query.command()
@click.option("--min-shared", default=1, show_default=True, type=click.IntRange(min=1),
              help="only pairs with at least this many shared events")
@click.option("--person", default=None, help="only pairs that include this person")
@format_option
@click.pass_obj
def coattend(g: nx.MultiDiGraph, min_shared: int, person: str | None, fmt: str) -> None:
    """Pairs of persons who attended the same events (a sub-forum counts for its forum)."""
    def run() -> None:
        pairs = q.coattend(g, min_shared=min_shared, person=person)
        rows = [{**p, "events_text": _events_text(p["events"]),
                 "event_names": [e["event"] for e in p["events"]], "dates": [e["date"] for e in p["events"]]}
                for p in pairs]
        cols = ["a", "b", "shared", "events_text"] if fmt == "table" else ["a", "b", "shared", "event_names", "dates"]
        emit(fmt, pairs, [("", rows, cols)])
    _run(run)


@query.command()
@click.argument("name")
@format_option
@click.pass_obj
def person(g: nx.MultiDiGraph, name: str, fmt: str) -> None:
    """Titles by organization, events with participation, co-attendees (NAME in either script, or an alias)."""
    def run() -> None:
        p = q.person_profile(g, name)
        header = p["person"] + (f"  (aliases: {'、'.join(p['aliases'])})" if p["aliases"] else "")
        co = [{**c, "events_text": "、".join(c["events"])} for c in p["coattendees"]]
        emit(fmt, p, [
            ("Titles", p["roles"], ["organization", "titles"]),
            ("Events", p["events"], ["date", "event", "participation"]),
            ("Co-attendees", co, ["person", "shared", "events_text"]),
        ], header)
    _run(run)


@query.command()
@click.argument("name")
@format_option
@click.pass_obj
def event(g: nx.MultiDiGraph, name: str, fmt: str) -> None:
    """Roster grouped by participation (主持, 致辞, 主旨演讲, 出席…), organizers, sub-events."""
    def run() -> None:
        e = q.event_profile(g, name)
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
def between(g: nx.MultiDiGraph, a: str, b: str, fmt: str) -> None:
    """Shared events and organizations of A and B, and the shortest path between them."""
    def run() -> None:
        r = q.between(g, a, b)
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
def top(g: nx.MultiDiGraph, by: str, limit: int, kind: str | None, fmt: str) -> None:
    """The most connected nodes."""
    rows = q.top(g, by=by, n=limit, kind=kind)
    emit(fmt, rows, [("", rows, ["label", "kind", "score", "id"])])


@query.command()
@click.option("--seed", default=q.LOUVAIN_SEED, show_default=True, type=int)
@click.option("--resolution", default=1.0, show_default=True, type=float)
@format_option
@click.pass_obj
def communities(g: nx.MultiDiGraph, seed: int, resolution: float, fmt: str) -> None:
    """Louvain communities (fixed seed: the same answer every run), largest first."""
    groups = q.communities(g, seed=seed, resolution=resolution)
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
    from graph.export.atomic import write_text
    from graph.export.html import render_html

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

