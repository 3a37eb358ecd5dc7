"""Viterbi decoding of LAC's CRF over a padded batch: the best tag path of each text.

Two implementations give the same paths (same float32 sums, the first maximum wins like
`np.argmax`): a compiled loop when numba is installed, else numpy vectorised over the
batch. The compiled loop is ~3x faster; decoding is a sixth of LAC's time otherwise.
"""
from __future__ import annotations

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None


def decode_numpy(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """Best tag paths [B, T] (valid up to each length); emissions [B, T, N], transitions [from, to]."""
    b, t_max, n = emissions.shape
    dp = emissions[:, 0].copy()
    identity = np.broadcast_to(np.arange(n), (b, n))
    backpointers = np.empty((max(t_max - 1, 0), b, n), dtype=np.intp)
    all_same = bool((lengths == t_max).all())
    rows = np.arange(b)[:, None]
    cols = np.arange(n)[None, :]
    for t in range(1, t_max):
        scores = dp[:, :, None] + transitions      # [B, from, to]
        bp = scores.argmax(axis=1)                 # first maximum
        new = scores[rows, bp, cols] + emissions[:, t]
        if all_same:
            dp = new
            backpointers[t - 1] = bp
        else:
            live = (t < lengths)[:, None]
            dp = np.where(live, new, dp)
            backpointers[t - 1] = np.where(live, bp, identity)
    paths = np.empty((b, t_max), dtype=np.intp)
    cur = dp.argmax(axis=1)
    batch = np.arange(b)
    for t in range(t_max - 1, 0, -1):
        paths[:, t] = cur
        cur = backpointers[t - 1][batch, cur]
    paths[:, 0] = cur
    return paths


def _decode_loops(emissions, lengths, transitions_to_from):  # pragma: no cover - compiled by numba
    b, t_max, n = emissions.shape
    paths = np.zeros((b, t_max), dtype=np.intp)
    back = np.empty((t_max, n), dtype=np.intp)
    dp = np.empty(n, dtype=emissions.dtype)
    new = np.empty(n, dtype=emissions.dtype)
    for r in range(b):
        length = lengths[r]
        for j in range(n):
            dp[j] = emissions[r, 0, j]
        for t in range(1, length):
            for j in range(n):
                best = dp[0] + transitions_to_from[j, 0]
                arg = 0
                for i in range(1, n):
                    s = dp[i] + transitions_to_from[j, i]
                    if s > best:           # strict: the first maximum wins, as np.argmax
                        best = s
                        arg = i
                new[j] = best + emissions[r, t, j]
                back[t, j] = arg
            for j in range(n):
                dp[j] = new[j]
        cur = 0
        for j in range(1, n):
            if dp[j] > dp[cur]:
                cur = j
        for t in range(length - 1, 0, -1):
            paths[r, t] = cur
            cur = back[t, cur]
        paths[r, 0] = cur
    return paths


_compiled = numba.njit(cache=True, nogil=True)(_decode_loops) if numba is not None else None


def decode(emissions: np.ndarray, lengths: np.ndarray, transitions: np.ndarray,
           transitions_to_from: np.ndarray | None = None) -> np.ndarray:
    """Best tag paths [B, T]; positions past a text's length are 0 (compiled) or padding."""
    if _compiled is None or emissions.dtype != transitions.dtype:
        return decode_numpy(emissions, lengths, transitions)
    if transitions_to_from is None:
        transitions_to_from = np.ascontiguousarray(transitions.T)
    return _compiled(emissions, lengths.astype(np.intp), transitions_to_from)
