"""Louvain communities exactly as networkx finds them, with the node-moving loop compiled.

`query communities` partitions the whole graph with `nx.community.louvain_communities`, which
is pure Python: 10-12 s on the 10,000-article graph. This module runs the same algorithm over
integer arrays (CSR adjacency) with numba and returns **the same partition** as networkx 3.6's
`louvain_communities(G, weight, resolution, threshold, seed)` (tested on many graphs), because it
repeats every step that decides the result:

- the same `random.Random` (networkx's `py_random_state`: one generator for all levels) shuffles
  the node order of every level, one `shuffle` of a list as long as the level's node list;
- neighbours are visited in networkx's adjacency order: level 0 runs on the copy
  `louvain_partitions` makes with `add_weighted_edges_from(G.edges(...))`, and each aggregated
  graph has the adjacency `_gen_graph`'s `add_edge` calls give it (self loops included);
- neighbour communities are tried in first-appearance order and a move needs a strictly larger
  gain; remove cost and gain are the same float expressions in the same order, with `m` of level 0;
- a level is kept while `modularity(level graph, communities) - previous > threshold`, the
  modularity summed by Python's `sum` over the communities in networkx's order.

Exact only where networkx's arithmetic is: edge weights that are integers (ints or integral
floats) and small enough that degree products stay below 2**53, where networkx's Python ints
and float64 agree. Anything else (other weights, directed graphs, multigraphs, no numba) is
handed to networkx itself.

Two entry points: `louvain_communities(G, ...)` for an `nx.Graph`, and `louvain_labels(n, u, v,
w, ...)` for the graph networkx would build from nodes `0..n-1` and that edge list, which saves
building an `nx.Graph` at all.
"""
from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from operator import methodcaller
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:   # imported where used: a `query communities` of a large graph needs no networkx
    import networkx as nx

try:
    import numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    numba = None

def _random_state(seed) -> random.Random:
    """networkx's `create_py_random_state` (what `py_random_state` makes of `seed`), without
    importing networkx (a third of a second of a `query communities`) for the usual seeds."""
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random._inst
    from networkx.utils import create_py_random_state

    return create_py_random_state(seed)


# degree sums and products are exact in float64 below this, as networkx's Python ints are
_EXACT = float(2**53)


def _networkx_louvain(G: nx.Graph, weight, resolution, threshold, seed) -> list[set]:
    import networkx as nx

    return nx.community.louvain_communities(G, weight=weight, resolution=resolution,
                                            threshold=threshold, seed=seed)


def louvain_communities(G: nx.Graph, seed: int | random.Random | None = None, resolution: float = 1.0,
                        threshold: float = 1e-7, *, weight: str | None = "weight") -> list[set]:
    """`nx.community.louvain_communities(G, weight=weight, resolution=resolution,
    threshold=threshold, seed=seed)`: the same communities, in the same order."""
    nodes = list(G)
    if G.is_directed() or G.is_multigraph() or numba is None:
        return _networkx_louvain(G, weight, resolution, threshold, seed)
    # G's adjacency as networkx stores it: one row per node in node order, dict order inside
    index = {u: i for i, u in enumerate(nodes)}
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    cols: list[int] = []
    wts: list = []
    get_weight = methodcaller("get", weight, 1)   # G.edges(data=weight, default=1)
    for i, (_, nbrs) in enumerate(G.adjacency()):
        cols.extend(map(index.__getitem__, nbrs))
        wts.extend(map(get_weight, nbrs.values()))
        indptr[i + 1] = len(cols)
    labels = _labels(indptr, np.array(cols, dtype=np.int64), wts, seed, resolution, threshold)
    if labels is None:
        return _networkx_louvain(G, weight, resolution, threshold, seed)
    return _groups(nodes, labels)


def louvain_labels(n: int, u: Sequence[int] | np.ndarray, v: Sequence[int] | np.ndarray,
                   w: Sequence[float] | np.ndarray, seed: int | random.Random | None = None,
                   resolution: float = 1.0, threshold: float = 1e-7) -> np.ndarray:
    """Community of each node (numbered as networkx lists them) of the graph
    `G = nx.Graph(); G.add_nodes_from(range(n)); G.add_weighted_edges_from(zip(u, v, w))`
    under `louvain_communities(G, seed=seed, resolution=resolution, threshold=threshold)`.
    The edge order matters (it is the adjacency order); each unordered pair at most once."""
    # contiguous int64: one compiled signature whatever the caller passes
    u = np.ascontiguousarray(u, dtype=np.int64).reshape(-1)
    v = np.ascontiguousarray(v, dtype=np.int64).reshape(-1)
    if len(u) != len(v) or len(u) != len(w):
        raise ValueError("u, v and w must have the same length")
    if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
        raise ValueError("edge ends must be node numbers 0..n-1")
    labels = None
    if numba is not None:
        wts = np.asarray(w)
        numeric = wts.dtype.kind in "biuf"
        indptr, cols, wts = _csr(n, u, v, np.ascontiguousarray(wts if numeric else np.zeros(len(u)),
                                                             dtype=np.float64).reshape(-1))
        if _repeats(indptr, cols):
            raise ValueError("an unordered pair occurs twice (networkx would keep one edge)")
        if numeric:
            labels = _labels(indptr, cols, wts, seed, resolution, threshold)
    elif len({(min(a, b), max(a, b)) for a, b in zip(u.tolist(), v.tolist())}) != len(u):
        raise ValueError("an unordered pair occurs twice (networkx would keep one edge)")
    if labels is None:
        import networkx as nx

        G = nx.Graph()
        G.add_nodes_from(range(n))
        G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), list(w)))
        labels = np.empty(n, dtype=np.int64)
        for c, members in enumerate(_networkx_louvain(G, "weight", resolution, threshold, seed)):
            labels[list(members)] = c
    return labels


def _groups(nodes: list[Hashable], labels: np.ndarray) -> list[set]:
    groups: list[set] = [set() for _ in range(int(labels.max()) + 1 if len(labels) else 0)]
    for node, c in zip(nodes, labels.tolist()):
        groups[c].add(node)
    return groups


def _labels(indptr: np.ndarray, cols: np.ndarray, weights, seed, resolution, threshold) -> np.ndarray | None:
    """Community of each node of the graph with this adjacency (rows in node order, each row in
    networkx's dict order), or None where float64 would not follow networkx's arithmetic."""
    n = len(indptr) - 1
    if len(cols) == 0:                     # nx.is_empty: every node alone
        return np.arange(n, dtype=np.int64)
    wts = np.asarray(weights)
    if wts.dtype.kind not in "biuf" or not isinstance(resolution, (int, float)):
        return None
    wts = wts.astype(np.float64)
    if not np.isfinite(wts).all() or (wts != np.floor(wts)).any():
        return None
    bound = 2.0 * float(np.abs(wts).sum())     # >= every |degree sum|
    if bound * bound * max(1.0, abs(float(resolution))) >= _EXACT:
        return None
    # the copy louvain_partitions runs on: edges in G.edges order, re-added
    a, b, w = _edge_order(indptr, cols, wts)
    indptr, cols, wts = _csr(n, a, b, w)
    deg = _degrees(indptr, cols, wts)
    deg_sum = int(deg.sum())                   # integral and exact (bounded above)
    if deg_sum == 0:
        return None                            # networkx divides by zero; let it say so
    m = deg_sum / 2                            # graph.size(weight="weight"), fixed for all levels
    denom = 2 * m**2                           # Python's float pow, as networkx evaluates it
    norm = 1 / deg_sum**2                      # modularity's norm
    resolution = float(resolution)
    rng = _random_state(seed)

    mod = _modularity(indptr, cols, wts, deg, np.arange(n, dtype=np.int64), n, m, resolution, norm)
    labels, k, _ = _one_level(indptr, cols, wts, deg, rng, m, denom, resolution)
    member = labels                              # each original node's community
    improvement = True                           # louvain_partitions yields level 0 regardless
    result = member
    while improvement:
        result = member                          # the partition louvain_partitions yields here
        new_mod = _modularity(indptr, cols, wts, deg, labels, k, m, resolution, norm)
        if new_mod - mod <= threshold:
            break
        mod = new_mod
        indptr, cols, wts = _aggregate(indptr, cols, wts, labels, k)
        deg = _degrees(indptr, cols, wts)
        labels, k, improvement = _one_level(indptr, cols, wts, deg, rng, m, denom, resolution)
        member = labels[member]
    return result


def _one_level(indptr, cols, wts, deg, rng, m, denom, resolution) -> tuple[np.ndarray, int, bool]:
    """Nodes moved on one level: the community of each node (0..k-1, networkx's order), k, and
    whether any node moved."""
    order = list(range(len(deg)))
    rng.shuffle(order)                           # shuffle's draws depend on the length only
    node2com, improved = _move_nodes(indptr, cols, wts, deg, np.array(order, dtype=np.int64),
                                     m, denom, resolution)
    labels, k = _relabel(node2com)
    return labels, int(k), bool(improved)


def _modularity(indptr, cols, wts, deg, labels, k, m, resolution, norm) -> float:
    # Python's sum over communities in partition order, as modularity() adds them
    return sum(_contributions(indptr, cols, wts, deg, labels, k, m, resolution, norm).tolist())


# -- compiled kernels ------------------------------------------------------------------------

def _jit(f):
    return numba.njit(cache=True)(f) if numba is not None else f


@_jit
def _csr(n, a, b, w):  # pragma: no cover - compiled by numba
    """Adjacency nx.Graph gets from add_edge(a[i], b[i]) for i in order (pairs distinct): each
    node's neighbours in the order of their first edge; a self loop once in its row."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    for e in range(len(a)):
        indptr[a[e] + 1] += 1
        if a[e] != b[e]:
            indptr[b[e] + 1] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    fill = indptr[:-1].copy()
    cols = np.empty(indptr[n], dtype=np.int64)
    wts = np.empty(indptr[n], dtype=np.float64)
    for e in range(len(a)):
        x, y = a[e], b[e]
        cols[fill[x]] = y
        wts[fill[x]] = w[e]
        fill[x] += 1
        if x != y:
            cols[fill[y]] = x
            wts[fill[y]] = w[e]
            fill[y] += 1
    return indptr, cols, wts


@_jit
def _repeats(indptr, cols):  # pragma: no cover - compiled by numba
    """Whether some row names a neighbour twice."""
    n = len(indptr) - 1
    last = np.full(n, -1, dtype=np.int64)
    for x in range(n):
        for j in range(indptr[x], indptr[x + 1]):
            if last[cols[j]] == x:
                return True
            last[cols[j]] = x
    return False


@_jit
def _edge_order(indptr, cols, wts):  # pragma: no cover - compiled by numba
    """G.edges() order: by node, then row order, each edge at its earlier end (loops included)."""
    n = len(indptr) - 1
    count = 0
    for x in range(n):
        for j in range(indptr[x], indptr[x + 1]):
            if cols[j] >= x:
                count += 1
    a = np.empty(count, dtype=np.int64)
    b = np.empty(count, dtype=np.int64)
    w = np.empty(count, dtype=np.float64)
    e = 0
    for x in range(n):
        for j in range(indptr[x], indptr[x + 1]):
            if cols[j] >= x:
                a[e], b[e], w[e] = x, cols[j], wts[j]
                e += 1
    return a, b, w


@_jit
def _degrees(indptr, cols, wts):  # pragma: no cover - compiled by numba
    """G.degree(weight=...): a self loop counts twice."""
    n = len(indptr) - 1
    deg = np.zeros(n, dtype=np.float64)
    for x in range(n):
        s = 0.0
        loop = 0.0
        for j in range(indptr[x], indptr[x + 1]):
            s += wts[j]
            if cols[j] == x:
                loop = wts[j]
        deg[x] = s + loop
    return deg


@_jit
def _move_nodes(indptr, cols, wts, deg, order, m, denom, resolution):  # pragma: no cover - compiled
    """The node-moving loop of networkx's `_one_level` (undirected): community of each node,
    named by the index of a node first in it, and whether any node moved."""
    n = len(deg)
    node2com = np.arange(n)
    stot = deg.copy()
    to_com = np.zeros(n, dtype=np.float64)    # weight from the node to each neighbour community
    stamp = np.full(n, -1, dtype=np.int64)    # to_com[c] is current iff stamp[c] == visit
    coms = np.empty(n, dtype=np.int64)        # neighbour communities, first appearance first
    visit = 0
    improvement = False
    nb_moves = 1
    while nb_moves > 0:
        nb_moves = 0
        for i in range(n):
            u = order[i]
            visit += 1
            ncoms = 0
            for j in range(indptr[u], indptr[u + 1]):
                x = cols[j]
                if x == u:
                    continue
                c = node2com[x]
                if stamp[c] != visit:
                    stamp[c] = visit
                    to_com[c] = 0.0
                    coms[ncoms] = c
                    ncoms += 1
                to_com[c] += wts[j]
            best_mod = 0.0
            best_com = node2com[u]
            degree = deg[u]
            stot[best_com] -= degree
            own = to_com[best_com] if stamp[best_com] == visit else 0.0
            remove_cost = -own / m + resolution * (stot[best_com] * degree) / denom
            # networkx's defaultdict also tries the own community last when no neighbour is in
            # it; its gain is then exactly 0.0, never above best_mod, so it is left out here
            for t in range(ncoms):
                c = coms[t]
                gain = remove_cost + to_com[c] / m - resolution * (stot[c] * degree) / denom
                if gain > best_mod:
                    best_mod = gain
                    best_com = c
            stot[best_com] += degree
            if best_com != node2com[u]:
                node2com[u] = best_com
                improvement = True
                nb_moves += 1
    return node2com, improvement


@_jit
def _relabel(node2com):  # pragma: no cover - compiled by numba
    """Communities renumbered 0..k-1 in order of their index (networkx's filter(len, ...))."""
    n = len(node2com)
    used = np.zeros(n, dtype=np.bool_)
    for x in range(n):
        used[node2com[x]] = True
    new = np.full(n, -1, dtype=np.int64)
    k = 0
    for c in range(n):
        if used[c]:
            new[c] = k
            k += 1
    labels = np.empty(n, dtype=np.int64)
    for x in range(n):
        labels[x] = new[node2com[x]]
    return labels, k


@_jit
def _contributions(indptr, cols, wts, deg, labels, k, m, resolution, norm):  # pragma: no cover
    """modularity()'s community_contribution of each community (weights inside, degree sum)."""
    inside = np.zeros(k, dtype=np.float64)
    dsum = np.zeros(k, dtype=np.float64)
    n = len(deg)
    for x in range(n):
        c = labels[x]
        dsum[c] += deg[x]
        for j in range(indptr[x], indptr[x + 1]):
            y = cols[j]
            if y >= x and labels[y] == c:
                inside[c] += wts[j]
    out = np.empty(k, dtype=np.float64)
    for c in range(k):
        out[c] = inside[c] / m - resolution * dsum[c] * dsum[c] * norm
    return out


@_jit
def _aggregate(indptr, cols, wts, labels, k):  # pragma: no cover - compiled by numba
    """_gen_graph: one node per community; for each edge in G.edges() order add_edge(c1, c2)
    with the weights summed. A pair enters both rows at its first edge, so rows list
    neighbour communities in order of first edge: the CSR of the pairs in that order."""
    a, b, w = _edge_order(indptr, cols, wts)
    count = len(a)
    lo = np.empty(count, dtype=np.int64)
    hi = np.empty(count, dtype=np.int64)
    for e in range(count):
        cx, cy = labels[a[e]], labels[b[e]]
        lo[e], hi[e] = min(cx, cy), max(cx, cy)
    # events grouped by lower end, in order inside each group (counting sort)
    start = np.zeros(k + 1, dtype=np.int64)
    for e in range(count):
        start[lo[e] + 1] += 1
    for c in range(k):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    by_lo = np.empty(count, dtype=np.int64)
    for e in range(count):
        by_lo[fill[lo[e]]] = e
        fill[lo[e]] += 1
    # first event and weight sum of each pair
    pair_at_first = np.full(count, -1, dtype=np.int64)
    pair_w = np.zeros(count, dtype=np.float64)
    pair_hi = np.empty(count, dtype=np.int64)
    mark = np.full(k, -1, dtype=np.int64)
    slot = np.empty(k, dtype=np.int64)
    npairs = 0
    for c in range(k):
        for t in range(start[c], start[c + 1]):
            e = by_lo[t]
            y = hi[e]
            if mark[y] != c:
                mark[y] = c
                slot[y] = e             # a pair is named by its first event
                pair_at_first[e] = e
                pair_hi[e] = y
                pair_w[e] = 0.0         # get_edge_data's default weight 0
                npairs += 1
            first = slot[y]
            pair_w[first] = w[e] + pair_w[first]
    a = np.empty(npairs, dtype=np.int64)
    b = np.empty(npairs, dtype=np.int64)
    pw = np.empty(npairs, dtype=np.float64)
    p = 0
    for e in range(count):
        if pair_at_first[e] >= 0:
            a[p], b[p], pw[p] = lo[e], pair_hi[e], pair_w[e]
            p += 1
    return _csr(k, a, b, pw)


def warm() -> None:
    """Load the compiled code now (numba's start-up: about 0.6 s, once per process), for a process
    that has time to spare and will fork processes that compute communities: they inherit it."""
    if numba is not None:
        louvain_labels(3, np.array([0, 1]), np.array([1, 2]), np.array([1, 1]), seed=0)
