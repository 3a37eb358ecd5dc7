"""graph.centrality computes networkx' betweenness (same sources, same scaling) on arrays."""
from __future__ import annotations

import math
import random

import networkx as nx
import pytest

from explore_fixtures import large_graph, sample_graph
from graph import centrality
from graph import query as q


def _same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for x in a:
        assert (math.isnan(a[x]) and math.isnan(b[x])) or a[x] == pytest.approx(b[x], rel=1e-9, abs=1e-12), x


@pytest.mark.parametrize("trial", range(25))
def test_equals_networkx_on_random_graphs(trial):
    """Random graphs with isolated nodes, parallel and reversed edges and self-loops; exact
    and sampled (k sources, including k=1 where networkx' source scaling is undefined)."""
    r = random.Random(trial)
    n = r.randint(1, 50)
    base = nx.gnm_random_graph(n, r.randint(0, 3 * n), seed=trial)
    nodes = [f"n{i}" for i in base.nodes]
    r.shuffle(nodes)
    edges = [(f"n{u}", f"n{v}") for u, v in base.edges]
    noisy = edges + [(v, u) for u, v in edges[:3]] + [(x, x) for x in nodes[:2]] + edges[:2]
    simple = nx.Graph()
    simple.add_nodes_from(nodes)
    simple.add_edges_from(noisy)
    for k in (None, 1, max(1, n // 3), n):
        expected = nx.betweenness_centrality(simple, k=k, seed=11 if k else None)
        _same(centrality.betweenness(nodes, noisy, k=k, seed=11 if k else None), expected)


def test_equals_networkx_on_a_path_and_a_star():
    for g in (nx.path_graph(7), nx.star_graph(6), nx.complete_graph(5), nx.Graph()):
        _same(centrality.betweenness(list(g.nodes), g.edges), nx.betweenness_centrality(g))


def test_top_by_betweenness_is_networkx_sampled_above_1000_nodes():
    """The ranking `top --by betweenness` gives: networkx with the sampled sources it used before,
    drawn from the nodes in id order (so that the order a graph file lists them in does not matter)."""
    g = large_graph()
    und = nx.Graph()
    und.add_nodes_from(sorted(g.nodes))
    und.add_edges_from(g.edges())
    assert und.number_of_nodes() > 1000
    k = max(32, min(500, 1_000_000 // und.number_of_edges()))
    expected = nx.betweenness_centrality(und, k=k, seed=q.LOUVAIN_SEED)
    rows = q.top(g, by="betweenness", n=0)
    assert {r["id"]: r["score"] for r in rows} == {x: round(s, 6) for x, s in expected.items()}
    small = sample_graph()
    exact = nx.betweenness_centrality(nx.Graph(small.to_undirected(as_view=True)))
    assert {r["id"]: r["score"] for r in q.top(small, by="betweenness", n=0)} == \
        {x: round(s, 6) for x, s in exact.items()}


def test_rescaling_is_networkx_own_where_it_is_repeated():
    """`_rescaled` (networkx 3.6's rescaling, without importing networkx) gives networkx' own
    numbers bit for bit: exact, sampled, one source (NaN), and graphs too small to rescale."""
    import numpy as np

    assert centrality._own_rescaling() == nx.__version__.startswith("3.6.")
    if not centrality._own_rescaling():
        pytest.skip(f"networkx {nx.__version__} rescales with its own function")
    r = random.Random(3)
    for n in (0, 1, 2, 3, 4, 50, 1200):
        total = np.array([r.random() * 100 for _ in range(n)])
        for sources in (None, *(sorted(r.sample(range(n), k)) for k in (1, 2, max(1, n // 3)) if k <= n)):
            got = centrality._rescaled(total.copy(), n, sources)
            want = centrality._rescale(dict(enumerate(total.tolist())), n, sources)
            assert len(got) == len(want) == n
            for i in range(n):
                assert (math.isnan(got[i]) and math.isnan(want[i])) or got[i] == want[i], (n, sources, i)
