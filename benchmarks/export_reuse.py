"""Time graph.graphml, graph.gexf, graph.json, nodes.csv and edges.csv written in full and
written again after a small change, reusing the previous files' bytes (graph/export/fragments.py).

    .venv/bin/python benchmarks/export_reuse.py --records /tmp/records10k.pkl [--runs 2]
    .venv/bin/python benchmarks/export_reuse.py --graph benchmarks/.corpus/out_n10000_seed0/graph.json

With `--records` (a pickled list of DocumentRecords, as for benchmarks/incremental.py) the
graphs are `build_graph` of all documents but the last one by id ("before") and of all of them
("after": one article added). With `--graph` the "after" graph is a saved graph and "before"
the same graph without a made-up article's changes (a new person at five events, a document
added to three nodes), i.e. the change is made in reverse.

Each run, in this process, with cyclic garbage collection off as in `write_all`, the five
files as `write_all` writes them in one process (the shared pass, then graph.json):

1. `full`: "after" into a new folder without reuse: what every build wrote before;
2. `first`: "before" into a new folder with reuse: a full write that also records the sidecars;
3. `plus1`: "after" into that folder with reuse: the rebuild after the change.

Wall and CPU seconds (user + system; the system part too: the kernel's copying and syncing)
of each, with "plan" (the chunks' content digests), "flat4" (the shared pass) and "json" as
[wall, CPU], and the bytes copied and rendered;
the `plus1` files are compared byte for byte with `full`'s. The machine may be shared:
CPU seconds are the steadier figure, and wall time includes waiting for the disk (every file
is fsynced: after a small change the bytes are copied by the kernel, but they are still written).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLAT = ["graph.graphml", "graph.gexf", "nodes.csv", "edges.csv"]
FILES = FLAT + ["graph.json"]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _sys() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def graphs(args) -> tuple:
    from graph.build import build_graph

    if args.records:
        with open(args.records, "rb") as fh:
            records = sorted(pickle.load(fh), key=lambda r: r.doc)
        return build_graph(records[:-1]), build_graph(records)
    from graph.load import load_graph

    after = load_graph(args.graph)
    before = after.copy()
    # the made-up article: a person at five events, its document on three existing nodes
    events = sorted(n for n, d in after.nodes(data=True) if d.get("kind") == "event")[:5]
    others = sorted(after.nodes)[:3]
    person = "person:基准新人"
    after.add_node(person, kind="person", label="基准新人", aliases=[], docs=["zz_new.txt"],
                   evidence=[{"doc": "zz_new.txt", "sentence": "基准新人出席。", "start": 0, "end": 4}])
    for e in events:
        after.add_edge(person, e, key="attended", relation="attended", participation=["出席"], docs=["zz_new.txt"],
                       evidence=[{"doc": "zz_new.txt", "sentence": "基准新人出席。", "start": 0, "end": 4}])
    for n in others:
        after.nodes[n]["docs"] = [*after.nodes[n].get("docs", []), "zz_new.txt"]
    return before, after


def write_five(g, out: Path, reuse: bool) -> dict:
    """The five files as write_all writes them in one process; seconds and bytes."""
    from graph.export import fragments
    from graph.export.flatten import prepared, sharing_flat
    from graph.export.json_export import write_json
    from graph.export.stream import write_flat

    out.mkdir(parents=True, exist_ok=True)
    counted: dict[str, int] = {"copied": 0, "rendered": 0}
    real_close = fragments.FragmentOutput.close

    def close(self):   # count what each file copied and rendered
        counted["copied"] += self.copied
        counted["rendered"] += self.rendered
        real_close(self)

    fragments.FragmentOutput.close = close
    gc.disable()
    c0, t0, s0 = _cpu(), time.perf_counter(), _sys()
    try:
        with sharing_flat(g):
            if reuse:
                fragments.plan(prepared(g))
            c1, t1 = _cpu(), time.perf_counter()
            write_flat(g, {name: out / name for name in FLAT}, reuse=reuse)
            c2, t2 = _cpu(), time.perf_counter()
            write_json(g, out / "graph.json", reuse=reuse)
    finally:
        fragments.FragmentOutput.close = real_close
        gc.enable()
    c3, t3 = _cpu(), time.perf_counter()
    return {"wall_s": round(t3 - t0, 2), "cpu_s": round(c3 - c0, 2), "of_which_sys_s": round(_sys() - s0, 2),
            "plan": [round(t1 - t0, 2), round(c1 - c0, 2)], "flat4": [round(t2 - t1, 2), round(c2 - c1, 2)],
            "json": [round(t3 - t2, 2), round(c3 - c2, 2)],
            "copied_mb": round(counted["copied"] / 1e6, 1), "rendered_mb": round(counted["rendered"] / 1e6, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=Path)
    ap.add_argument("--graph", type=Path, default=ROOT / "benchmarks/.corpus/out_n10000_seed0/graph.json")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--tmp", type=Path, default=None, help="folder for the outputs (default: a temporary one)")
    args = ap.parse_args()
    before, after = graphs(args)
    print(f"before: {before.number_of_nodes()} nodes, {before.number_of_edges()} edges; "
          f"after: {after.number_of_nodes()} nodes, {after.number_of_edges()} edges", flush=True)
    base = Path(tempfile.mkdtemp(prefix="export_reuse_", dir=args.tmp))
    try:
        for run in range(args.runs):
            full = write_five(after, base / f"full{run}", reuse=False)
            first = write_five(before, base / f"reuse{run}", reuse=True)
            plus1 = write_five(after, base / f"reuse{run}", reuse=True)
            same = all((base / f"full{run}" / n).read_bytes() == (base / f"reuse{run}" / n).read_bytes() for n in FILES)
            print(json.dumps({"run": run, "full": full, "first": first, "plus1": plus1, "identical": same}), flush=True)
            if not same:
                raise SystemExit("plus1 files differ from a full write")
            shutil.rmtree(base / f"full{run}")
            shutil.rmtree(base / f"reuse{run}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
