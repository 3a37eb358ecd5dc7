"""Time the exporters on a saved graph: each writer alone and `write_all`, with peak memory.

    .venv/bin/python benchmarks/export_speed.py                      # the 10,000-article graph
    .venv/bin/python benchmarks/export_speed.py GRAPH.json --runs 3 --compare OLD_OUTPUT_DIR

Every measurement runs in a fresh Python process that loads the graph (not timed) and then
writes into a temporary folder: wall and CPU seconds (CPU of the process and of any writer
process it forks), and memory: the process's PSS once the graph is loaded and the peak, while
writing, of the PSS summed over it and its writer processes (sampled every 20 ms from
/proc/PID/smaps_rollup; PSS splits pages shared after a fork between the processes, so the sum
is the memory the writing really occupies, where RSS would count shared pages twice).

To measure another version of the exporters (the one before, say), copy its graph/export
package elsewhere under another name, with its `graph.export.` imports renamed, and set
EXPORT_SPEED_PATH (the folder holding it) and EXPORT_SPEED_PACKAGE (its name). The best of `--runs` is printed per writer (the
machine is shared; the minimum is the least disturbed run). With `--compare DIR` the files
written by `write_all` are compared byte for byte with those in DIR.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_GRAPH = HERE / ".corpus" / "out_n10000_seed0" / "graph.json"

CHILD = r"""
import importlib, json, os, resource, sys, tempfile, time
from pathlib import Path
from graph.load import load_graph
if os.environ.get("EXPORT_SPEED_PATH"):
    sys.path.insert(0, os.environ["EXPORT_SPEED_PATH"])
package = importlib.import_module(os.environ.get("EXPORT_SPEED_PACKAGE", "graph.export"))
WRITERS, write_all = package.WRITERS, package.write_all
graph, what, keep, marker = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
for name in sys.argv[5:]:   # --without
    WRITERS.pop(name, None)
g = load_graph(graph)
import gc
gc.collect()
Path(marker).write_text("writing")   # the sampler measures from here
time.sleep(0.1)
out = Path(keep) if keep != "-" else Path(tempfile.mkdtemp(prefix="export_speed_"))
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
c0, t0 = cpu(), time.perf_counter()
if what == "all":
    write_all(g, out)
else:
    WRITERS[what](g, out / what)
wall, used = time.perf_counter() - t0, cpu() - c0
Path(marker).unlink()
print(json.dumps({"wall_s": round(wall, 3), "cpu_s": round(used, 3),
                  "bytes": sum(f.stat().st_size for f in out.iterdir() if f.is_file())}))
if keep == "-":
    import shutil
    shutil.rmtree(out)
"""


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _family(pid: int) -> list[int]:
    """pid and its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def measure(graph: Path, what: str, keep: str = "-", without: list[str] = ()) -> dict:
    marker = Path(tempfile.mkdtemp(prefix="export_speed_marker_")) / "writing"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(graph), what, keep, str(marker), *without],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    loaded = peak = 0
    while proc.poll() is None:
        if marker.exists():
            total = sum(_pss_kib(p) for p in _family(proc.pid))
            if not loaded:
                loaded = _pss_kib(proc.pid)
            peak = max(peak, total)
        time.sleep(0.02)
    out, err = proc.communicate()
    shutil.rmtree(marker.parent, ignore_errors=True)
    if proc.returncode:
        raise SystemExit(f"{what}: {err.strip()}")
    r = json.loads(out.strip().splitlines()[-1])
    r["pss_loaded_mib"], r["pss_peak_mib"] = loaded // 1024, peak // 1024
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("graph", nargs="?", default=str(DEFAULT_GRAPH))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", nargs="*", help="writers to time alone (default: all of them, then write_all)")
    ap.add_argument("--no-alone", action="store_true", help="time write_all only")
    ap.add_argument("--compare", help="a folder of reference files to compare write_all's output with")
    ap.add_argument("--without", nargs="*", default=[], help="leave these files out (e.g. graph.db)")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from graph.export import WRITERS

    graph = Path(a.graph)
    names = [] if a.no_alone else (a.only or [n for n in WRITERS if n not in a.without])
    rows = []
    for name in names:
        runs = [measure(graph, name) for _ in range(a.runs)]
        best = min(runs, key=lambda r: r["wall_s"])
        rows.append((name, best, min(r["cpu_s"] for r in runs)))
        print(f"{name:22s} wall {best['wall_s']:7.2f} s   cpu {rows[-1][2]:7.2f} s   "
              f"memory {best['pss_loaded_mib']} -> {best['pss_peak_mib']} MiB", flush=True)
    if names:
        print(f"{'sum of writers alone':22s} wall {sum(r[1]['wall_s'] for r in rows):7.2f} s   "
              f"cpu {sum(r[2] for r in rows):7.2f} s")
    if a.only:
        return
    runs = []
    for i in range(a.runs):
        keep = tempfile.mkdtemp(prefix="export_all_")
        r = measure(graph, "all", keep, a.without)
        r["dir"] = keep
        runs.append(r)
    best = min(runs, key=lambda r: r["wall_s"])
    print(f"{'write_all':22s} wall {best['wall_s']:7.2f} s   cpu {min(r['cpu_s'] for r in runs):7.2f} s   "
          f"memory {best['pss_loaded_mib']} -> {best['pss_peak_mib']} MiB   {best['bytes'] / 2**20:.0f} MiB written "
          f"(FORUMGRAPH_EXPORT_JOBS={os.environ.get('FORUMGRAPH_EXPORT_JOBS', 'default')}"
          f"{', without ' + ' '.join(a.without) if a.without else ''})", flush=True)
    if a.compare:
        ref = Path(a.compare)
        for name in WRITERS:
            if name in a.without:
                continue
            if not (ref / name).exists():
                print(f"  {name:22s} (not in {ref})")
                continue
            same = (Path(best["dir"]) / name).read_bytes() == (ref / name).read_bytes()
            print(f"  {name:22s} {'identical' if same else 'DIFFERENT'} to {ref / name}")
    for r in runs:
        shutil.rmtree(r["dir"], ignore_errors=True)


if __name__ == "__main__":
    main()
