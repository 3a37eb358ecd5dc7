"""`nodes.csv` + `edges.csv` in Gephi's spreadsheet-import layout
(Id,Label,… / Source,Target,Type,Id,Label,…), which Neo4j's LOAD CSV WITH
HEADERS also takes as it is. Lists are `|`-joined, evidence is JSON."""
from __future__ import annotations

import csv
import io
import os

import networkx as nx

from graph.export.atomic import write_text
from graph.export.flatten import flat_graph
from graph.query import neighbour_count

NODE_COLUMNS = ["Id", "Label", "Kind", "Aliases", "Date", "Place", "Minor", "Degree", "Docs", "Evidence"]
EDGE_COLUMNS = ["Source", "Target", "Type", "Id", "Label", "Weight", "Title", "Participation", "Docs", "Evidence"]


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"   # what Gephi and Neo4j parse as booleans
    return "" if value is None else str(value)


def _table(columns: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([_cell(x) for x in row])
    return buf.getvalue()


def nodes_csv(g: nx.MultiDiGraph) -> str:
    flat = flat_graph(g)
    rows = []
    for n, d in flat.nodes(data=True):
        rows.append([n, d.get("label", n), d.get("kind", ""), d.get("aliases", ""), d.get("date", ""),
                     d.get("place", ""), d.get("minor", "") if d.get("kind") == "event" else "",
                     neighbour_count(g, n), d.get("docs", ""), d.get("evidence", "")])
    return _table(NODE_COLUMNS, rows)


def edges_csv(g: nx.MultiDiGraph) -> str:
    flat = flat_graph(g)
    rows = []
    for u, v, k, d in flat.edges(keys=True, data=True):
        rows.append([u, v, "Directed", k, d.get("relation", ""), 1, d.get("title", ""),
                     d.get("participation", ""), d.get("docs", ""), d.get("evidence", "")])
    return _table(EDGE_COLUMNS, rows)


def write_nodes_csv(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    write_text(path, nodes_csv(g))


def write_edges_csv(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    write_text(path, edges_csv(g))
