"""Benchmark harness: corpus → `forumgraph build` under /usr/bin/time -v → figures.

    python benchmarks/run.py --sizes 100 1000 [10000] [--seed 0] [--ner lac]

For each size: generate (or reuse) the corpus under benchmarks/.corpus/, run
`forumgraph build` in a subprocess, read its peak RSS (the largest single process) and wall
time, sample the memory of all its processes together (sum of RSS and of PSS), count
nodes/edges in graph.graphml, then in a separate process load graph.json and
time every writer in graph.export.WRITERS. Prints a Markdown table and merges
the results into benchmarks/results.json (keyed by size).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = HERE / ".corpus"
RESULTS = HERE / "results.json"
PY = sys.executable

EXPORT_TIMER = r"""
import json, sys, tempfile, time
from pathlib import Path
from graph.load import load_graph
from graph.export import WRITERS
t = time.perf_counter(); g = load_graph(sys.argv[1]); load_s = time.perf_counter() - t
out = {"load_graph_json_s": round(load_s, 3), "writers": {}}
with tempfile.TemporaryDirectory() as d:
    for name, writer in WRITERS.items():
        t = time.perf_counter(); writer(g, Path(d) / name)
        out["writers"][name] = {"seconds": round(time.perf_counter() - t, 3),
                                "bytes": (Path(d) / name).stat().st_size}
print(json.dumps(out))
"""


def corpus(n: int, seed: int) -> tuple[Path, dict]:
    d = CORPUS / f"n{n}_seed{seed}"
    info_path = CORPUS / f"{d.name}.info.json"
    if not (info_path.is_file() and d.is_dir() and len(list(d.glob("*.txt"))) == n):
        shutil.rmtree(d, ignore_errors=True)
        subprocess.run([PY, str(HERE / "make_corpus.py"), str(n), str(d), "--seed", str(seed)], check=True, cwd=ROOT)
    return d, json.loads(info_path.read_text())


def forumgraph_cmd() -> list[str]:
    exe = Path(PY).parent / "forumgraph"
    return [str(exe)] if exe.exists() else [PY, "-m", "graph.cli"]


def _wall(text: str) -> float:
    m = re.search(r"Elapsed \(wall clock\) time.*?: (?:(\d+):)?(\d+):([\d.]+)", text)
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi) * 60 + float(s)


def _tree(root: int) -> list[int]:
    """`root` and every process descended from it (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; PSS splits pages shared after a fork between the sharers."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, pss


class TreeMemory:
    """Peak memory of a build and all its processes (extraction workers, export writers), sampled
    every `every` seconds: the sum of RSS and the sum of PSS over the process tree."""

    def __init__(self, root: int, every: float = 1.0):
        import threading

        self.root, self.every = root, every
        self.peak_rss = self.peak_pss = self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = _tree(self.root)
            sums = [_memory_kib(p) for p in pids]
            self.peak_rss = max(self.peak_rss, sum(r for r, _ in sums))
            self.peak_pss = max(self.peak_pss, sum(p for _, p in sums))
            self.peak_processes = max(self.peak_processes, len(pids))
            self._stop.wait(self.every)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        return {"peak_tree_rss_mib": round(self.peak_rss / 1024, 1), "peak_tree_pss_mib": round(self.peak_pss / 1024, 1)}


def timed_build(corpus_dir: Path, out_dir: Path, ner: str) -> dict:
    cmd = forumgraph_cmd() + ["build", str(corpus_dir), "--out", str(out_dir), "--ner", ner, "-q"]
    if Path("/usr/bin/time").exists():
        proc = subprocess.Popen(["/usr/bin/time", "-v", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=ROOT)
        tree = TreeMemory(proc.pid) if Path("/proc/self/smaps_rollup").exists() else None
        stdout, stderr = proc.communicate()
        memory = tree.stop() if tree else {}
        if proc.returncode:
            raise SystemExit(f"build failed ({proc.returncode}):\n{stderr[-3000:]}")
        rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr).group(1))
        cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", stderr).group(1)) for k in ("User", "System"))
        return {"wall_s": round(_wall(stderr), 2), "cpu_s": round(cpu, 2), "peak_rss_mib": round(rss_kib / 1024, 1),
                **memory, "measured_by": "/usr/bin/time -v", "stdout": stdout.strip()}
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"build failed ({p.returncode}):\n{p.stderr[-3000:]}")
    # ru_maxrss of the largest child so far, KiB on Linux
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_kib = after.ru_maxrss
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mib": round(rss_kib / 1024, 1),
            "measured_by": "getrusage(RUSAGE_CHILDREN)", "stdout": p.stdout.strip()}


def graph_size(out_dir: Path) -> tuple[int, int]:
    import networkx as nx
    g = nx.read_graphml(out_dir / "graph.graphml")
    return g.number_of_nodes(), g.number_of_edges()


def export_times(out_dir: Path) -> dict:
    p = subprocess.run([PY, "-c", EXPORT_TIMER, str(out_dir / "graph.json")], capture_output=True, text=True,
                       cwd=ROOT, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def bench(n: int, seed: int, ner: str) -> dict:
    d, info = corpus(n, seed)
    out_dir = HERE / ".corpus" / f"out_n{n}_seed{seed}"
    shutil.rmtree(out_dir, ignore_errors=True)
    b = timed_build(d, out_dir, ner)
    nodes, edges = graph_size(out_dir)
    ex = export_times(out_dir)
    return {"articles": n, "seed": seed, "ner": ner, "chars": info["chars"], **{k: v for k, v in b.items()},
            "chars_per_s": round(info["chars"] / b["wall_s"]),
            "chars_per_cpu_s": round(info["chars"] / b["cpu_s"]), "articles_per_s": round(n / b["wall_s"], 2),
            "nodes": nodes, "edges": edges, "export": ex,
            "export_total_s": round(sum(w["seconds"] for w in ex["writers"].values()), 3),
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(), "nproc": os.cpu_count()}


def table(results: list[dict]) -> str:
    writers = list(results[0]["export"]["writers"]) if results else []
    head = ["articles", "chars", "wall s", "CPU s", "chars/s (wall)", "chars/CPU-s", "articles/s", "peak MiB", "peak MiB, all processes (PSS)", "nodes", "edges", "export total s"]
    head += [f"{w} s" for w in writers]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        row = [r["articles"], r["chars"], r["wall_s"], r.get("cpu_s", "-"), r["chars_per_s"], r.get("chars_per_cpu_s", "-"), r["articles_per_s"], r["peak_rss_mib"], r.get("peak_tree_pss_mib", "-"),
               r["nodes"], r["edges"], r["export_total_s"]]
        row += [r["export"]["writers"][w]["seconds"] for w in writers]
        lines.append("| " + " | ".join(str(x) for x in row) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ner", default="lac")
    a = ap.parse_args()
    stored = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    done = []
    for n in a.sizes:
        print(f"--- {n} articles", file=sys.stderr, flush=True)
        r = bench(n, a.seed, a.ner)
        stored = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}   # others may have written meanwhile
        stored[f"{a.ner}:{n}"] = r
        RESULTS.write_text(json.dumps(stored, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        done.append(r)
        print(table([r]).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(done))


if __name__ == "__main__":
    main()
