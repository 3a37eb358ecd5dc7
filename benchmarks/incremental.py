"""Incremental builds at scale: how long a rebuild takes when nothing or one article changed.

    python benchmarks/incremental.py --records RECORDS.pkl [--corpus benchmarks/.corpus/n10000_seed0]

`RECORDS.pkl` is a pickled list of `DocumentRecords` of the corpus (e.g. saved from
`extract_all` once): the cache is filled from it under a pinned pipeline version, so the
figures do not need a 15-minute extraction and do not depend on the extraction code of
the day (only the one added article is really extracted). Steps, each in a fresh process
(so imports and peak RSS count as in a real `forumgraph build`):

1. `cold`: the corpus copied to a temp folder, cache filled, no file index yet: every
   file is read (and hashed) once, records come from the cache;
2. `warm`: the same again, now with the file index: no file is read;
3. `plus1`: one new article added: it is read and extracted, the rest as in 2.

Each step prints read (the walk, reading what changed), state (loading the last build's graph
state, graph/build_state.py, when this build can go on from it), load (cached records not in that
state), extract (in another process while those load, when there are many cached documents),
build_graph (the documents not in the state, and the graph made), exports (the state for the next
build is saved by a writer process meanwhile) and total seconds (wall, inside the build), `process` (the whole process's wall time,
Python's start-up and exit included: what a user waits for), and the peak RSS.
`--no-exports` replaces the exports by nothing, to time what this benchmark is about.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PINNED = "benchmark-pinned-version"


def _pin() -> None:
    from graph import cache

    cache.pipeline_version = lambda: PINNED


def fill(corpus: Path, cache_dir: Path, records_pkl: Path, ner: str) -> int:
    """Cache entries for the corpus's documents from the pickled records."""
    _pin()
    from graph.cache import RecordCache, document_key
    from graph.runner import read_all

    with open(records_pkl, "rb") as fh:
        records = {r.doc: r for r in pickle.load(fh)}
    docs, _ = read_all([corpus])
    store = RecordCache(cache_dir)
    n = 0
    for d in docs:
        r = records.get(d.id)
        if r is not None:
            store.put(document_key(d, ner, PINNED), r)
            n += 1
    return n


def step(corpus: Path, out: Path, ner: str, exports: bool) -> dict:
    """One `run_build`, timed by phase."""
    _pin()
    t0 = time.perf_counter()
    import graph.runner as runner

    times: dict[str, float] = {"imports": time.perf_counter() - t0}
    real_survey, real_load = runner._Scan.survey, runner._Scan.load
    real_write, real_extract, real_resume = runner.write_all, runner._extract, runner._resume
    real_add, real_graph = runner.GraphBuilder.add_all, runner.GraphBuilder.graph

    def timed(name, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - t
        return wrapper

    runner._Scan.survey = timed("read", real_survey)
    runner._Scan.load = timed("load", real_load)
    runner.GraphBuilder.add_all = timed("build_graph", real_add)
    runner.GraphBuilder.graph = timed("build_graph", real_graph)
    runner._resume = timed("state", real_resume)
    runner._extract = timed("extract", real_extract)
    runner.write_all = timed("exports", real_write if exports else (lambda g, out_dir, progress=None, **_: []))
    messages: list[str] = []
    report = runner.run_build([corpus], out, ner=ner, progress=messages.append, jobs=1)
    from graph.cli import _no_collection_at_exit

    _no_collection_at_exit()      # as `forumgraph build` does
    times["total"] = time.perf_counter() - t0
    times["cpu"] = time.process_time()
    times = {k: round(v, 2) for k, v in times.items()}
    return {"times": times, "documents": report.documents, "nodes": report.nodes, "edges": report.edges,
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "cache": [m for m in messages if m.startswith("cache:")]}


def _child(args: list[str]) -> dict:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if r.returncode:
        sys.exit(r.stderr)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    if "times" in out:
        # what a user waits for: the whole process, start-up and exit included
        out["times"]["process"] = round(wall, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=Path)
    ap.add_argument("--corpus", type=Path, default=ROOT / "benchmarks/.corpus/n10000_seed0")
    ap.add_argument("--ner", default="lac")
    ap.add_argument("--no-exports", action="store_true")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.step == "fill":
        print(json.dumps({"filled": fill(a.corpus, a.out / ".forumgraph-cache", a.records, a.ner)}))
        return
    if a.step == "build":
        print(json.dumps(step(a.corpus, a.out, a.ner, not a.no_exports)))
        return
    if a.records is None:
        ap.error("--records is required")
    from graph.cache import StatIndex

    with tempfile.TemporaryDirectory(prefix="fg-incremental-") as tmp:
        corpus, out = Path(tmp) / "corpus", Path(tmp) / "out"
        shutil.copytree(a.corpus, corpus)
        common = ["--corpus", str(corpus), "--out", str(out), "--ner", a.ner] + (["--no-exports"] if a.no_exports else [])
        print("fill:", _child(["--step", "fill", "--records", str(a.records), *common]), flush=True)
        # files younger than StatIndex.RACY_NS are read again on every build, like git's racy entries
        time.sleep(StatIndex.RACY_NS / 1e9 + 0.5)
        for name in ("cold", "warm"):
            print(f"{name}:", json.dumps(_child(["--step", "build", *common])), flush=True)
        seed = sorted((ROOT / "seeds").glob("*.txt"))[0]
        shutil.copy(seed, corpus / "zz_added_article.txt")
        print("plus1:", json.dumps(_child(["--step", "build", *common])), flush=True)


if __name__ == "__main__":
    main()
