"""Time the queries of `forumgraph query` on a built graph.

    python benchmarks/query_speed.py OUT_DIR        # OUT_DIR of a `forumgraph build`

Two tables:

1. each query as a user runs it: `forumgraph query OUT_DIR …` in a fresh process (Python start-up,
   reading the query index graph.db, the answer, printing it), best of three wall times;
2. each query's function on the whole graph loaded from graph.json (the notebook way), best of
   three, after the load time.

The person, event and pair asked about are the most connected ones: the slowest cases (and a
person of median degree). Betweenness and communities are timed three ways: the first question
after the build (a large graph's build keeps both answers with graph.db), computed (no kept
answer: after a build of a smaller graph, or another seed), and read again.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from graph import query as q
from graph.load import load_graph
from graph.query_memo import FOLDER as QUERY_MEMO


def best_of(fn, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _cli(out_dir: str, *args: str) -> None:
    exe = shutil.which("forumgraph") or str(Path(sys.executable).with_name("forumgraph"))
    r = subprocess.run([exe, "query", out_dir, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"forumgraph query {' '.join(args)} failed: {r.stderr or r.stdout}")


def main(out_dir: str) -> None:
    t = time.perf_counter()
    g = load_graph(Path(out_dir) / "graph.json")
    load_s = time.perf_counter() - t
    persons = q.nodes_of_kind(g, "person")
    events = q.nodes_of_kind(g, "event")
    p = max(persons, key=g.degree)
    e = max(events, key=g.degree)
    by_degree = sorted(persons, key=g.degree)
    other = by_degree[-2]
    median = by_degree[len(by_degree) // 2]
    label, elabel, olabel = g.nodes[p]["label"], g.nodes[e]["label"], g.nodes[other]["label"]

    if (Path(out_dir) / "graph.db").is_file():
        commands = {
            "person (median degree)": ["person", g.nodes[median]["label"]],
            "person": ["person", label],
            "event": ["event", elabel],
            "coattend --person": ["coattend", "--person", label],
            "coattend -n 20 (all pairs ranked)": ["coattend", "-n", "20"],
            "between": ["between", label, olabel],
            "top --by degree": ["top", "--by", "degree"],
            "top --by events": ["top", "--by", "events"],
        }
        print(f"`forumgraph query {out_dir} …` (fresh process, graph.db), best of 3:\n")
        print("| query | seconds |\n|---|---|")
        for name, args in commands.items():
            print(f"| {name} | {best_of(lambda: _cli(out_dir, *args)):.2f} |", flush=True)
        # whole-graph answers are computed once per graph.db and kept (graph/query_memo.py); the build
        # of a large graph computes them with graph.db, so the first question after it reads them
        memo = Path(out_dir) / QUERY_MEMO
        whole = {"top --by betweenness": ["top", "--by", "betweenness"], "communities": ["communities"]}
        for name, args in whole.items():
            first = best_of(lambda: _cli(out_dir, *args), runs=1)
            print(f"| {name}, first after the build (kept by a large graph's build) | {first:.2f} |", flush=True)
        for name, args in whole.items():
            def computed() -> None:
                shutil.rmtree(memo, ignore_errors=True)
                _cli(out_dir, *args)
            print(f"| {name}, computed (no kept answer) | {best_of(computed):.2f} |", flush=True)
            print(f"| {name}, again (kept answer) | {best_of(lambda: _cli(out_dir, *args)):.2f} |", flush=True)
        print()

    print(f"in memory: load graph.json {load_s:.2f} s ({g.number_of_nodes()} nodes, {g.number_of_edges()} edges), "
          "then best of 3:\n")
    cases = {
        "coattend (all pairs)": lambda: q.coattend(g, min_shared=1),
        "coattend --person": lambda: q.coattend(g, person=label),
        "person": lambda: q.person_profile(g, label),
        "event": lambda: q.event_profile(g, elabel),
        "between": lambda: q.between(g, p, other),
        "top --by degree": lambda: q.top(g, by="degree"),
        "top --by events": lambda: q.top(g, by="events"),
        "top --by betweenness": lambda: q.top(g, by="betweenness"),
        "communities": lambda: q.communities(g),
    }
    print("| query | seconds |\n|---|---|")
    for name, fn in cases.items():
        print(f"| {name} | {best_of(fn):.3f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out")
