"""Time the queries of `forumgraph query` on a built graph.

    python benchmarks/query_speed.py OUT_DIR        # OUT_DIR of a `forumgraph build`

Prints the load time, then each query's time on the loaded graph (the work a
query does once the graph is in memory; the command adds Python's start-up and
the load), best of three.
"""
from __future__ import annotations

import sys
import time

from graph import query as q
from graph.load import load_graph


def best_of(fn, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(out_dir: str) -> None:
    t = time.perf_counter()
    g = load_graph(out_dir)
    print(f"load {out_dir}: {time.perf_counter() - t:.2f} s ({g.number_of_nodes()} nodes, {g.number_of_edges()} edges)")
    persons = q.nodes_of_kind(g, "person")
    events = q.nodes_of_kind(g, "event")
    # the most connected person and event: the slowest cases of their queries
    p = max(persons, key=g.degree)
    e = max(events, key=g.degree)
    other = sorted(persons, key=g.degree)[-2]
    label = g.nodes[p]["label"]
    cases = {
        "coattend (all pairs)": lambda: q.coattend(g, min_shared=1),
        "coattend --person": lambda: q.coattend(g, person=label),
        "person": lambda: q.person_profile(g, label),
        "event": lambda: q.event_profile(g, g.nodes[e]["label"]),
        "between": lambda: q.between(g, p, other),
        "top --by degree": lambda: q.top(g, by="degree"),
        "top --by events": lambda: q.top(g, by="events"),
        "top --by betweenness": lambda: q.top(g, by="betweenness"),
        "communities": lambda: q.communities(g),
    }
    print("| query | seconds |\n|---|---|")
    for name, fn in cases.items():
        print(f"| {name} | {best_of(fn):.3f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out")
