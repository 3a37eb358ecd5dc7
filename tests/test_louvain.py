"""graph.louvain gives networkx's Louvain partition, on the compiled path (not by falling back)."""
from __future__ import annotations

import importlib.util
import math
import random
import sys

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph import louvain

numba = pytest.importorskip("numba")


def nx_louvain(G: nx.Graph, seed, resolution=1.0, threshold=1e-7) -> list[set]:
    return nx.community.louvain_communities(G, weight="weight", seed=seed, resolution=resolution,
                                            threshold=threshold)


def _refuse(*args, **kwargs):
    raise AssertionError("fell back to networkx")


@pytest.fixture
def compiled(monkeypatch):
    """Fails a test whose call would be answered by networkx instead of the compiled loop."""
    monkeypatch.setattr(louvain, "_networkx_louvain", _refuse)


def same(G: nx.Graph, seed: int, resolution: float = 1.0, threshold: float = 1e-7) -> list[set]:
    """Asserts louvain_communities(G) is networkx's partition; returns it."""
    want = nx_louvain(G, seed, resolution, threshold)
    got = louvain.louvain_communities(G, seed=seed, resolution=resolution, threshold=threshold)
    assert {frozenset(s) for s in got} == {frozenset(s) for s in want}
    assert got == want       # also networkx's order of communities
    return want


# -- graphs (invented node names; shuffled insertion orders so adjacency order matters) --------

def random_weighted(rng: random.Random, n: int, p: float, wmax: int, isolated: int = 0) -> nx.Graph:
    G = nx.Graph()
    names = [f"item{i:03d}" for i in range(n + isolated)]
    rng.shuffle(names)
    G.add_nodes_from(names)
    pairs = [(a, b) for i, a in enumerate(names[:n]) for b in names[i + 1:n] if rng.random() < p]
    rng.shuffle(pairs)
    G.add_weighted_edges_from((a, b, rng.randint(1, wmax)) for a, b in pairs)
    return G


def planted(rng: random.Random, groups: int, size: int, p_in: float, p_out: float, wmax: int) -> nx.Graph:
    """Dense groups, sparse between: Louvain climbs several levels."""
    n = groups * size
    G = nx.Graph()
    order = list(range(n))
    rng.shuffle(order)
    G.add_nodes_from(order)
    edges = []
    for a in range(n):
        for b in range(a + 1, n):
            if rng.random() < (p_in if a // size == b // size else p_out):
                edges.append((a, b, rng.randint(1, wmax)))
    rng.shuffle(edges)
    G.add_weighted_edges_from(edges)
    return G


def shapes(rng: random.Random) -> nx.Graph:
    """Stars, cliques, a chain, a ring of cliques, pairs and isolated nodes in one graph."""
    G = nx.Graph()
    parts = [nx.star_graph(9), nx.complete_graph(7), nx.path_graph(25), nx.ring_of_cliques(5, 4),
             nx.complete_graph(2), nx.empty_graph(3), nx.star_graph(4)]
    offset = 0
    for part in parts:
        G.add_nodes_from(range(offset, offset + len(part)))
        G.add_weighted_edges_from((offset + a, offset + b, rng.choice([1, 1, 1, 2])) for a, b in part.edges)
        offset += len(part)
    return G


SEEDS = [0, 1, 7, 42]
RESOLUTIONS = [0.5, 1.0, 2.0]
ODD_RESOLUTIONS = [0.7, 1.3]    # not powers of two: a regrouped float expression rounds differently


@pytest.mark.parametrize("resolution", RESOLUTIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_random_graphs_with_ties_and_isolated_nodes(compiled, seed, resolution):
    rng = random.Random(1000 + seed)
    same(random_weighted(rng, 120, 0.04, 2, isolated=6), seed, resolution)   # sparse: disconnected parts
    same(random_weighted(rng, 40, 0.3, 1), seed, resolution)                 # unit weights: all ties


@pytest.mark.parametrize("resolution", RESOLUTIONS + ODD_RESOLUTIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_planted_groups_several_levels(compiled, seed, resolution):
    same(planted(random.Random(seed), 12, 25, 0.3, 0.01, 3), seed, resolution)


@pytest.mark.parametrize("resolution", RESOLUTIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_stars_cliques_chain(compiled, seed, resolution):
    same(shapes(random.Random(seed)), seed, resolution)


@pytest.mark.parametrize("seed", [3, 11])
def test_a_few_hundred_nodes(compiled, seed):
    rng = random.Random(seed)
    same(random_weighted(rng, 400, 0.015, 4, isolated=10), seed)
    same(planted(rng, 30, 12, 0.5, 0.004, 2), seed)


@pytest.mark.parametrize("threshold", [-1.0, 0.0, 0.02, 0.2, 1.0])
def test_threshold_decides_the_last_level(compiled, threshold):
    same(planted(random.Random(5), 10, 15, 0.35, 0.02, 2), 5, 1.0, threshold)


@pytest.mark.parametrize("resolution", [1.0, 1.3])     # 1.3: rounding differs with the order
@pytest.mark.parametrize("seed", [0, 1])
def test_threshold_exactly_at_a_levels_gain(compiled, seed, resolution):
    """A level whose modularity gain equals the threshold ends the run; one ulp below, it does
    not. Only the same modularity sums, to the last bit, stop at the same level as networkx."""
    G = planted(random.Random(seed), 10, 15, 0.35, 0.02, 2)
    levels = list(nx.community.louvain_partitions(G, seed=seed, resolution=resolution))
    # modularity of the original graph and a level's partition, communities in the same order,
    # is the number louvain_partitions computes on that level's graph
    mods = [nx.community.modularity(G, p, resolution=resolution) for p in [[{u} for u in G]] + levels]
    outcomes = []
    for before, after in zip(mods, mods[1:]):
        gap = after - before
        for threshold in (gap, math.nextafter(gap, -math.inf)):
            outcomes.append(same(G, seed, resolution, threshold))
    assert outcomes[0] != outcomes[1]      # the boundary matters on this graph


def test_chain_and_clique_alone(compiled):
    for seed in SEEDS:
        same(nx.path_graph(60), seed)
        same(nx.complete_graph(12), seed)
        same(nx.star_graph(30), seed)


def test_input_self_loops_and_float_integral_weights(compiled):
    rng = random.Random(9)
    G = random_weighted(rng, 80, 0.06, 3)
    for node in rng.sample(list(G), 10):
        G.add_edge(node, node, weight=rng.randint(1, 5))
    same(G, 2)
    H = nx.Graph()
    H.add_nodes_from(G)
    H.add_weighted_edges_from((a, b, float(w)) for a, b, w in G.edges(data="weight"))
    same(H, 2)


def test_missing_weights_count_one(compiled):
    G = planted(random.Random(4), 6, 10, 0.4, 0.05, 1)
    for a, b in list(G.edges)[::3]:
        del G[a][b]["weight"]
    same(G, 4)


def test_empty_graph_and_graph_without_edges(compiled):
    assert louvain.louvain_communities(nx.Graph(), seed=1) == nx_louvain(nx.Graph(), 1) == []
    G = nx.empty_graph(["solo-a", "solo-b", "solo-c"])
    assert louvain.louvain_communities(G, seed=1) == nx_louvain(G, 1) == [{"solo-a"}, {"solo-b"}, {"solo-c"}]


def test_random_state_consumed_as_networkx_does(compiled):
    """Same number of shuffles of the same lengths: the generator ends in the same state."""
    G = planted(random.Random(8), 8, 12, 0.4, 0.02, 2)
    mine, theirs = random.Random(123), random.Random(123)
    assert louvain.louvain_communities(G, seed=mine) == nx_louvain(G, theirs)
    assert mine.getstate() == theirs.getstate()


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 14).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 3)), max_size=40),
    st.integers(0, 2**32 - 1), st.sampled_from(RESOLUTIONS + ODD_RESOLUTIONS))))
def test_small_graphs_hypothesis(case):
    n, edges, seed, resolution = case
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(edges)       # self loops and repeated pairs allowed: the last weight stays
    with pytest.MonkeyPatch.context() as mp:     # the `compiled` fixture, per example
        mp.setattr(louvain, "_networkx_louvain", _refuse)
        same(G, seed, resolution)


# -- the edge-list entry point ------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 5])
def test_labels_from_edge_list(compiled, seed):
    rng = random.Random(seed)
    n = 150
    pairs = list({(min(a, b), max(a, b)) for a, b in
                  ((rng.randrange(n), rng.randrange(n)) for _ in range(600))})
    rng.shuffle(pairs)
    pairs = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in pairs]   # either orientation
    w = [rng.randint(1, 3) for _ in pairs]
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from((a, b, x) for (a, b), x in zip(pairs, w))
    want = nx_louvain(G, seed)
    u, v = zip(*pairs)
    labels = louvain.louvain_labels(n, np.array(u), np.array(v), np.array(w), seed=seed)
    assert [set(np.flatnonzero(labels == c).tolist()) for c in range(labels.max() + 1)] == want


def test_labels_refuse_a_repeated_pair():
    with pytest.raises(ValueError, match="twice"):
        louvain.louvain_labels(3, [0, 1, 2], [1, 0, 1], [1, 1, 1], seed=0)


# -- fallbacks ------------------------------------------------------------------------------------

def test_without_numba_networkx_answers_the_same(monkeypatch):
    graphs = [planted(random.Random(2), 8, 10, 0.4, 0.03, 3), shapes(random.Random(3))]
    fast = [louvain.louvain_communities(G, seed=6, resolution=0.5) for G in graphs]
    # the module as imported where `import numba` fails
    monkeypatch.setitem(sys.modules, "numba", None)
    spec = importlib.util.spec_from_file_location("louvain_without_numba", louvain.__file__)
    plain = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plain)
    assert plain.numba is None
    calls = []
    monkeypatch.setattr(plain, "_networkx_louvain", lambda *a: calls.append(1) or louvain._networkx_louvain(*a))
    slow = [plain.louvain_communities(G, seed=6, resolution=0.5) for G in graphs]
    assert calls == [1, 1]
    assert slow == fast
    assert plain.louvain_labels(4, [0, 2], [1, 3], [1, 1], seed=0).tolist() == [0, 0, 1, 1]


def test_fractional_weights_go_to_networkx():
    G = planted(random.Random(6), 5, 8, 0.5, 0.05, 1)
    for a, b in G.edges:
        G[a][b]["weight"] = 0.1 * (hash((a, b)) % 7 + 1)
    assert louvain._labels(*_adjacency(G), 0, 1.0, 1e-7) is None
    same(G, 0)


def _adjacency(G: nx.Graph):
    index = {u: i for i, u in enumerate(G)}
    indptr, cols, wts = [0], [], []
    for _, nbrs in G.adjacency():
        cols += [index[x] for x in nbrs]
        wts += [d.get("weight", 1) for d in nbrs.values()]
        indptr.append(len(cols))
    return np.array(indptr), np.array(cols, dtype=np.int64), wts


def test_warm_loads_the_compiled_code_and_a_forked_process_uses_it():
    import os

    from graph import louvain

    louvain.warm()
    g = nx.Graph()
    g.add_weighted_edges_from([(0, 1, 1), (1, 2, 1), (2, 0, 1), (3, 4, 1), (4, 5, 1), (5, 3, 1), (2, 3, 1)])
    want = sorted(sorted(c) for c in nx.community.louvain_communities(g, seed=1))
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:   # pragma: no cover - the child
        os.close(r)
        got = sorted(sorted(c) for c in louvain.louvain_communities(g, seed=1))
        os.write(w, repr(got).encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as fh:
        got = fh.read()
    os.waitpid(pid, 0)
    assert got == repr(want)
