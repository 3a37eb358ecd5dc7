"""graph.db written whole vs updated in place, on the 10,000-article benchmark corpus.

    python benchmarks/query_index_update.py --records RECORDS.pkl [--drop 1] [--add-seed] [--check]

`RECORDS.pkl` is a pickled list of `DocumentRecords` (as for `benchmarks/incremental.py`).
Graph B is built from all of them (plus, with `--add-seed`, the records of seeds/000 as a new
article: what `incremental.py`'s plus1 step adds); graph A from all but the last `--drop` of
them (with `--add-seed` and `--drop 0`: A is the corpus, B the corpus plus the seed article).
The script writes graph.db of A, then times, each with the cyclic garbage collector off as in
`write_all`:

- `full`: `write_query_index(B)` into an empty folder (a fresh file);
- `update`: `write_query_index(B)` over graph.db of A (in place when it can);
- `nochange`: `write_query_index(B)` once more over the result.

`--share 1` updates in place whatever the share of changed rows (to find where rewriting is
cheaper: `REWRITE_SHARE`). `--check` compares every table of the updated file with the fresh one (order-insensitive).
Wall and CPU seconds; the machine's other load shows in wall times.
"""
from __future__ import annotations

import argparse
import gc
import pickle
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(label: str, fn) -> float:
    t, c = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"{label:>9}: {wall:6.2f} s wall  {cpu:6.2f} s CPU", flush=True)
    return wall


def tables(path: Path) -> dict[str, list[tuple]]:
    from graph.query_index import TABLES

    con = sqlite3.connect(path)
    try:
        return {t: sorted(con.execute(f"SELECT * FROM {t}")) for t in TABLES}
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=Path, required=True)
    ap.add_argument("--drop", type=int, default=1, help="articles in B that A lacks (default 1)")
    ap.add_argument("--add-seed", action="store_true", help="B also holds seeds/000 as a new article")
    ap.add_argument("--check", action="store_true", help="compare the updated tables with the fresh ones")
    ap.add_argument("--share", type=float, help="REWRITE_SHARE for this run (1: update whatever the size)")
    a = ap.parse_args()

    from graph.build import build_graph
    import graph.query_index as qi
    from graph.query_index import INDEX_NAME, LAST_WRITE, write_query_index

    if a.share is not None:
        qi.REWRITE_SHARE = a.share

    with open(a.records, "rb") as fh:
        records = pickle.load(fh)
    extra = []
    if a.add_seed:
        from graph.runner import extract_all, read_all

        docs, _ = read_all([sorted((ROOT / "seeds").glob("*.txt"))[0]])
        extra = extract_all(docs)
    gc.disable()
    t = time.perf_counter()
    graph_a = build_graph(records[:len(records) - a.drop])
    graph_b = build_graph(records + extra)
    print(f"A: {graph_a.number_of_nodes()} nodes, {graph_a.number_of_edges()} edges; "
          f"B: {graph_b.number_of_nodes()} nodes, {graph_b.number_of_edges()} edges "
          f"(built in {time.perf_counter() - t:.1f} s)", flush=True)
    del records
    gc.collect()
    gc.freeze()     # the graphs are long-lived: no collection walks them again (as in a build)

    with tempfile.TemporaryDirectory(prefix="fg-qi-") as tmp:
        fresh, updated = Path(tmp) / "fresh" / INDEX_NAME, Path(tmp) / "updated" / INDEX_NAME
        fresh.parent.mkdir()
        updated.parent.mkdir()
        write_query_index(graph_a, updated)
        timed("full", lambda: write_query_index(graph_b, fresh))
        timed("update", lambda: write_query_index(graph_b, updated))
        print(f"           {LAST_WRITE}  ((deleted, inserted) rows per table)")
        print(f"file sizes: fresh {fresh.stat().st_size / 2**20:.0f} MiB, "
              f"updated {updated.stat().st_size / 2**20:.0f} MiB")
        if a.check:
            want, got = tables(fresh), tables(updated)
            for t in want:
                print(f"  {t}: {len(want[t])} rows, {'same' if want[t] == got[t] else 'DIFFERENT'}")
            if want != got:
                sys.exit("the updated index differs from the fresh one")
        timed("nochange", lambda: write_query_index(graph_b, updated))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
