"""The compiled and the numpy Viterbi give the same tag paths, ties included."""
from __future__ import annotations

import numpy as np
import pytest

from extractors import viterbi
from extractors.lac_fast import FastLAC
from seed_text import seed_text

needs_numba = pytest.mark.skipif(viterbi._compiled is None, reason="numba not installed")


def _valid(paths: np.ndarray, lengths: np.ndarray) -> list[list[int]]:
    return [paths[i, :n].tolist() for i, n in enumerate(lengths)]


@needs_numba
@pytest.mark.parametrize("seed", range(5))
def test_compiled_equals_numpy_on_random_batches_with_ties(seed):
    rng = np.random.default_rng(seed)
    n_tags = 7
    # small integers make many equal scores, so tie-breaking is exercised
    emissions = rng.integers(-3, 3, size=(6, 40, n_tags)).astype(np.float32)
    transitions = rng.integers(-2, 2, size=(n_tags, n_tags)).astype(np.float32)
    lengths = np.array([40, 39, 17, 1, 2, 40])
    got = viterbi.decode(emissions, lengths, transitions)
    want = viterbi.decode_numpy(emissions, lengths, transitions)
    assert _valid(got, lengths) == _valid(want, lengths)


@needs_numba
def test_compiled_equals_numpy_on_lac_logits_of_a_seed_article():
    lac = FastLAC()
    lines = [line for line in seed_text("001").splitlines() if line.strip()][:40]
    ids, lengths = lac._encode(lines)
    logits = lac._logits(ids, lengths)
    got = viterbi.decode(logits, lengths, lac._transitions)
    want = viterbi.decode_numpy(logits, lengths, lac._transitions)
    assert _valid(got, lengths) == _valid(want, lengths)


def test_decoding_picks_the_path_a_brute_force_search_finds():
    rng = np.random.default_rng(7)
    emissions = rng.normal(size=(1, 5, 3)).astype(np.float32)
    transitions = rng.normal(size=(3, 3)).astype(np.float32)
    best, best_path = -np.inf, None
    for code in range(3 ** 5):
        path = [(code // 3 ** k) % 3 for k in range(5)]
        score = emissions[0, 0, path[0]] + sum(transitions[path[k - 1], path[k]] + emissions[0, k, path[k]]
                                              for k in range(1, 5))
        if score > best:
            best, best_path = score, path
    lengths = np.array([5])
    assert viterbi.decode(emissions, lengths, transitions)[0].tolist() == best_path
    assert viterbi.decode_numpy(emissions, lengths, transitions)[0].tolist() == best_path
