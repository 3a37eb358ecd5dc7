"""One module per output format; `write_all` writes every format a build produces.

Each writer takes the in-memory graph and a path and writes atomically
(`graph/atomic.py`). Register a new format in `WRITERS`.

GraphML, GEXF and the two CSV tables show the same flattened attributes;
`write_all` writes those four in one pass over the graph (`stream.write_flat`)
rather than flattening it once per file. On a large graph two processes write
(the build process and one forked from it, `workers.py`); FORUMGRAPH_EXPORT_JOBS=1
keeps it to one.

With `reuse`, graph.graphml, graph.gexf, graph.json and the CSV tables copy from
the previous build's files the chunks of nodes and edges that did not change,
instead of rendering them again (`fragments.py`; sidecars in
`<out>/.forumgraph-cache/exports/`), and coattendance.graphml copies the rows of
persons whose pairs cannot have changed, computing only the others
(`coattendance.py`). The files are the same bytes either way.
"""
from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Callable

import networkx as nx

from graph.atomic import inside, remove_stale_temps
from graph.export.coattendance import write_coattendance
from graph.export.csv_export import write_edges_csv, write_nodes_csv
from graph.export.flatten import sharing_flat
from graph.export.fragments import CACHE_DIRNAME
from graph.export.gexf import write_gexf
from graph.export.graphml import write_graphml
from graph.export.html import write_html
from graph.export.json_export import write_json
from graph.export.stream import write_flat
from graph.export.workers import Task, run_tasks
from graph.query_index import write_query_index

Writer = Callable[[nx.MultiDiGraph, "str | os.PathLike"], None]

# a graph with at least this many nodes gets its whole-graph answers computed with its index
KEEP_ANSWERS_MIN_NODES = 2000


def write_index(g: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """graph.db, then, for a large graph, the answers `forumgraph query` keeps beside it (the
    betweenness ranking, communities: `query_memo.keep_whole_graph_answers`), so that the first
    such question after a build is read, not computed (about two seconds at 10,000 articles)."""
    write_query_index(g, path)
    if g.number_of_nodes() >= KEEP_ANSWERS_MIN_NODES:
        from graph.query_memo import keep_whole_graph_answers

        keep_whole_graph_answers(g, path)


# file name -> writer; the order is the order of writing
WRITERS: dict[str, Writer] = {
    "graph.graphml": write_graphml,
    "graph.gexf": write_gexf,
    "graph.json": write_json,
    "nodes.csv": write_nodes_csv,
    "edges.csv": write_edges_csv,
    "coattendance.graphml": write_coattendance,
    "graph.html": write_html,
    "graph.db": write_index,             # the query index (graph/query_index.py)
}

# writers that take `reuse=` (copy what did not change from the previous file; fragments.py)
REUSING: set[Writer] = {write_graphml, write_gexf, write_json, write_nodes_csv, write_edges_csv, write_coattendance}

# writers that are one format of the shared pass (`stream.FORMATS`), by the name of that format
SHARED_PASS: dict[Writer, str] = {
    write_graphml: "graph.graphml",
    write_gexf: "graph.gexf",
    write_nodes_csv: "nodes.csv",
    write_edges_csv: "edges.csv",
}


# CPU seconds of each writer on the 10,000-article benchmark graph (the four formats of the shared
# pass take about 11 together): the order in which writer processes take tasks
TASK_WEIGHT = {"graph.html": 4.5, "graph.json": 3.5, "coattendance.graphml": 3.5}
PARALLEL_EDGES = 20_000   # below this, writing takes about a second: not worth a second process


def export_jobs(g: nx.MultiDiGraph) -> int:
    """How many processes write: FORUMGRAPH_EXPORT_JOBS if set, else two for a large graph on a
    machine with two or more CPUs and the memory for it, else one.

    A forked writer shares the graph's memory, but every page either process touches while both
    run is copied (reference counts are writes): up to the graph's size again. So two processes
    only if the memory available is over twice what this process holds."""
    env = os.environ.get("FORUMGRAPH_EXPORT_JOBS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    if cpus < 2 or g.number_of_edges() < PARALLEL_EDGES:
        return 1
    held, available = _memory_kib()
    return 2 if held is None or available is None or available > 2 * held else 1


def _memory_kib() -> tuple[int | None, int | None]:
    """(this process's resident memory, the system's available memory) in KiB, where /proc tells."""
    held = available = None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    held = int(line.split()[1])
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return held, available


def write_all(g: nx.MultiDiGraph, out_dir: str | os.PathLike, progress: Callable[[str], None] | None = None,
              jobs: int | None = None, reuse: bool | None = None,
              also: list[Callable[[], None]] | None = None) -> list[str]:
    """Write every format of `WRITERS` into `out_dir`; returns the paths in `WRITERS` order.

    `progress(name)` is called as each file is complete. `jobs` processes write (default
    `export_jobs(g)`); with more than one, the formats are shared out between processes
    forked from this one (`workers.py`), each file still written atomically. With `reuse`,
    the writers of `REUSING` copy what did not change from the files of the previous write
    (fragments.py), same bytes, and keep their sidecars in `<out_dir>/.forumgraph-cache/`;
    with `reuse=False` they write in full and neither read nor write anything there. The
    default (None) reuses when that folder exists, i.e. when the build keeps its cache in
    the output folder (a build with `--no-cache` or another cache folder passes its choice).
    `also`: more work for the writer processes, done with the files (the build's saved state)."""
    paths = {name: inside(out_dir, name) for name in WRITERS}
    if reuse is None:
        reuse = (Path(out_dir) / CACHE_DIRNAME).is_dir()
    # the folder first: with two processes any writer may be the first to run, and not every
    # writer makes it (graph.db's does not)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for path in paths.values():   # temporary files of builds killed while writing, for writers that leave them
        remove_stale_temps(path)
    jobs = export_jobs(g) if jobs is None else jobs
    together = {name: paths[name] for name, writer in WRITERS.items() if SHARED_PASS.get(writer) == name}
    # with reuse, graph.json is written right after the shared pass, in the same process: both
    # need the chunks' content digests of every node and edge (fragments.plan, seconds on a large
    # graph), computed once there rather than once per process or before the processes fork
    with_json = [name for name, writer in WRITERS.items() if writer is write_json] if reuse and together else []
    others = [name for name in WRITERS if name not in together and name not in with_json]
    if jobs > 1:
        # longest first, so that the processes finish together; a writer not timed here counts as long
        others.sort(key=lambda name: -TASK_WEIGHT.get(name, 10))
    tasks: list[Task] = []
    if together:   # the longest task, and where graph.graphml, the first of WRITERS, is written
        def shared_pass() -> None:
            write_flat(g, together, reuse=reuse)
            for name in with_json:
                write_json(g, paths[name], reuse=reuse)

        tasks.append(Task([*together, *with_json], shared_pass))
    for name in others:
        writer = WRITERS[name]
        if writer in REUSING:
            tasks.append(Task([name], lambda writer=writer, path=paths[name]: writer(g, path, reuse=reuse)))
        else:
            tasks.append(Task([name], lambda writer=writer, path=paths[name]: writer(g, path)))
    tasks.extend(Task([], job) for job in also or ())
    # no cyclic garbage collection while writing: the writers make no reference cycles (reference
    # counting frees what they make), and each full collection walks every object of the graph
    # (over a second in all on 10,000 articles) and, in a forked writer, would copy them all
    collecting = gc.isenabled()
    gc.disable()
    try:
        with sharing_flat(g):
            run_tasks(tasks, jobs, progress)
    finally:
        if collecting:
            gc.enable()
    return [str(paths[name]) for name in WRITERS]
