"""Siting: greedy maximal covering on networks where the best sites are known."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest

from shequ.access import InputError, Network, site_facilities, synthetic_grid
from shequ.access import search as search_module

from .conftest import network_graph

ENGINES = [
    pytest.param(
        "numba", marks=pytest.mark.skipif(search_module._kernels is None, reason="no numba")
    ),
    "scipy",
]


def _line(n: int) -> Network:
    step = 100.0 / (6_371_008.8 * math.pi / 180)
    return Network.from_edges(
        np.arange(n) * step, np.zeros(n), np.arange(n - 1), np.arange(1, n), np.full(n - 1, 100.0)
    )


# Seven nodes 100 m apart; households at nodes 1, 2, 3, 4, 5, 6. With a 100 m standard a
# site at node i covers nodes i-1..i+1: node 2 covers 10+10+5 = 25 (the best), then
# node 5 covers 2+3+1 = 6.
WEIGHTS = {1: 10.0, 2: 10.0, 3: 5.0, 4: 2.0, 5: 3.0, 6: 1.0}


def _origins(network):
    nodes = list(WEIGHTS)
    return np.column_stack([network.lon[nodes], network.lat[nodes]]), np.array(
        list(WEIGHTS.values())
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_the_best_site_is_found_first(engine):
    network = _line(7)
    origins, weights = _origins(network)

    result = site_facilities(network, origins, weights, 2, 100.0, engine=engine)

    assert result.nodes.tolist() == [2, 5]
    assert result.gains.tolist() == [25.0, 6.0]
    assert result.covered_before == 0.0 and result.covered_after == 31.0
    assert result.total_weight == 31.0
    np.testing.assert_allclose(
        np.column_stack([result.lon, result.lat]),
        np.column_stack([network.lon[[2, 5]], network.lat[[2, 5]]]),
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_existing_facilities_cover_first(engine):
    network = _line(7)
    origins, weights = _origins(network)
    existing = np.array([[network.lon[2], network.lat[2]]])

    result = site_facilities(
        network,
        origins,
        weights,
        1,
        standard_minutes=2.5,
        speed=2 / 3,  # 40 m a minute: 100 m
        existing_lonlat=existing,
        engine=engine,
    )

    assert result.covered_before == 25.0
    assert result.nodes.tolist() == [5]
    assert result.covered_after == 31.0


def test_only_candidates_are_chosen_and_the_bound_is_reported():
    network = _line(7)
    origins, weights = _origins(network)

    result = site_facilities(network, origins, weights, 1, 100.0, candidates=[0, 3, 6])

    assert result.nodes.tolist() == [3]  # covers 10 + 5 + 2 (node 0: 10, node 6: 4)
    assert result.gains.tolist() == [17.0]
    assert result.guarantee == 1.0  # one pick: the greedy is exact
    assert result.upper_bound == 17.0 and result.ratio == 1.0


def test_nothing_left_to_cover_picks_nothing():
    network = _line(7)
    origins, weights = _origins(network)
    everywhere = np.column_stack([network.lon, network.lat])

    result = site_facilities(network, origins, weights, 3, 100.0, existing_lonlat=everywhere)

    assert result.nodes.size == 0 and result.gained == 0.0 and result.ratio == 1.0


def _brute_force(network, onodes, weights, cands, k, standard):
    graph = network_graph(network)
    covers = []
    for c in cands:
        reach = nx.single_source_dijkstra_path_length(
            graph, int(c), cutoff=standard, weight="length"
        )
        covers.append({i for i, node in enumerate(onodes) if node in reach})
    best = 0.0
    for combo in itertools.combinations(range(len(cands)), k):
        covered = set().union(*(covers[i] for i in combo))
        best = max(best, sum(weights[i] for i in covered))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_greedy_is_within_its_guarantee_and_the_bound_holds(seed):
    rng = np.random.default_rng(seed)
    network = synthetic_grid(100, seed=seed, spacing_m=60.0)
    onodes = rng.choice(network.n_nodes, 40)
    weights = rng.integers(1, 20, 40).astype(float)
    origins = np.column_stack([network.lon[onodes], network.lat[onodes]])  # on nodes: no leg
    cands = rng.choice(network.n_nodes, 12, replace=False)
    k = 3

    result = site_facilities(network, origins, weights, k, 130.0, candidates=cands)
    best = _brute_force(network, onodes, weights, cands, k, 130.0)

    assert result.gained <= best + 1e-9
    assert result.gained >= result.guarantee * best - 1e-9
    assert result.upper_bound >= best - 1e-9
    assert result.ratio <= 1.0


@pytest.mark.skipif(search_module._kernels is None, reason="no numba")
def test_both_engines_pick_the_same_sites(helsinki):
    rng = np.random.default_rng(5)
    nodes = rng.choice(helsinki.n_nodes, 400)
    origins = np.column_stack([helsinki.lon[nodes], helsinki.lat[nodes] + 5e-5])
    weights = rng.integers(1, 50, 400)
    existing = origins[:3]

    runs = [
        site_facilities(helsinki, origins, weights, 4, 300.0, existing_lonlat=existing, engine=e)
        for e in ("numba", "scipy")
    ]

    assert runs[0].nodes.tolist() == runs[1].nodes.tolist()
    np.testing.assert_allclose(runs[0].gains, runs[1].gains)
    assert runs[0].upper_bound == pytest.approx(runs[1].upper_bound)
    assert runs[0].ratio >= runs[0].guarantee


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"k": 0}, "positive integer"), ({"k": 1, "standard_m": None}, "standard")],
)
def test_bad_requests_raise_input_error(kwargs, message):
    network = _line(7)
    origins, weights = _origins(network)
    args = {"standard_m": 100.0} | kwargs
    with pytest.raises(InputError, match=message):
        site_facilities(network, origins, weights, **args)
