"""Nearest-facility distances: exact against networkx, access legs, cut-offs, unreachable."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shequ.access import (
    InputError,
    Network,
    distances_from_snapped,
    multi_source,
    nearest_by_type,
    to_minutes,
)
from shequ.access import search as search_module
from shequ.access.geo import haversine_m

from .conftest import line_network, network_graph

ENGINES = [
    pytest.param(
        "numba", marks=pytest.mark.skipif(search_module._kernels is None, reason="no numba")
    ),
    "scipy",
]


def _networkx_from(network: Network, sources, offsets) -> np.ndarray:
    """Multi-source distances with start offsets, by networkx through a virtual source."""
    graph = network_graph(network)
    for s, off in zip(sources, offsets, strict=True):
        if graph.has_edge("src", s):
            off = min(off, graph["src"][s]["length"])
        graph.add_edge("src", s, length=off)
    lengths = nx.single_source_dijkstra_path_length(graph, "src", weight="length")
    return np.array([lengths.get(i, np.inf) for i in range(network.n_nodes)])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fixture", ["helsinki", "oakland"])
def test_distances_equal_networkx_for_every_node(fixture, engine, request):
    network = request.getfixturevalue(fixture)
    rng = np.random.default_rng(3)
    sources = rng.choice(network.n_nodes, 4, replace=False)
    offsets = rng.uniform(0, 80, sources.size)

    got = multi_source(network, sources, offsets, engine=engine)

    np.testing.assert_allclose(got, _networkx_from(network, sources, offsets), atol=0.01)


def test_sources_with_very_different_start_offsets_are_exact(helsinki):
    # Start offsets far longer than any edge: buckets must span them.
    rng = np.random.default_rng(9)
    sources = rng.choice(helsinki.n_nodes, 30, replace=False)
    offsets = rng.uniform(0, 3000, 30)

    got = multi_source(helsinki, sources, offsets)

    np.testing.assert_allclose(got, _networkx_from(helsinki, sources, offsets), atol=0.01)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_cutoff_keeps_exact_distances_within_it_and_nothing_beyond(helsinki, engine):
    sources = [10, 2000]
    full = multi_source(helsinki, sources, engine=engine)
    limited = multi_source(helsinki, sources, limit_m=500.0, engine=engine)

    inside = full <= 500.0
    assert 0 < inside.sum() < helsinki.n_nodes
    np.testing.assert_allclose(limited[inside], full[inside], atol=1e-9)
    assert np.all(np.isinf(limited[~inside]))


def test_snapping_adds_the_access_legs():
    network = line_network()
    lon1, lon3 = network.lon[1], network.lon[3]
    north = 30.0 / 111_195.0  # 30 m north, in degrees of latitude
    origins = np.array([[lon3, north]])
    facilities = {"clinic": np.array([[lon1, -2 * north]])}  # 60 m south of node 1

    node, access = network.snap(origins[:, 0], origins[:, 1])
    result = nearest_by_type(network, origins, facilities)

    assert node.tolist() == [3]
    assert access[0] == pytest.approx(30.0, abs=0.01)
    assert result["clinic"][0] == pytest.approx(60.0 + 200.0 + 30.0, abs=0.01)


def test_the_nearest_of_several_facilities_wins_including_its_access_leg():
    network = line_network()
    lon = network.lon
    step = 1 / 111_195.0
    origins = np.array([[lon[2], 0.0]])
    # One facility on node 0 (200 m away), one 150 m off node 3 (100 + 150 m away).
    facilities = {"shop": np.array([[lon[0], 0.0], [lon[3], 150 * step]])}

    assert nearest_by_type(network, origins, facilities)["shop"][0] == pytest.approx(
        200.0, abs=0.01
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_beyond_the_cutoff_is_unreachable_not_zero_or_inf(engine):
    network = line_network()
    origins = np.column_stack([network.lon, network.lat])
    facilities = {"school": origins[:1]}
    speed = 2.5  # 150 m a minute

    cut = nearest_by_type(network, origins, facilities, speed, cutoff_minutes=1.6, engine=engine)
    cut = cut["school"]

    # 0, 100 and 200 m are within 1.6 minutes (240 m); 300 m is not.
    np.testing.assert_allclose(cut[:3], [0.0, 100.0, 200.0], atol=1e-6)
    assert math.isnan(cut[3])
    np.testing.assert_allclose(to_minutes(cut, speed)[:3], [0.0, 100 / 150, 200 / 150])
    at_limit = nearest_by_type(network, origins, facilities, cutoff_m=200.0, engine=engine)
    assert at_limit["school"][2] == pytest.approx(200.0)  # exactly at the cut-off counts
    assert math.isnan(at_limit["school"][3])


@pytest.mark.parametrize("engine", ENGINES)
def test_origins_in_another_component_are_unreachable(engine):
    # Two separate streets: 0–1 and 2–3; kept both (largest_component=False).
    lon = np.array([0.0, 0.001, 0.01, 0.011])
    network = Network.from_edges(lon, np.zeros(4), [0, 2], [1, 3], largest_component=False)
    origins = np.column_stack([lon, np.zeros(4)])

    result = nearest_by_type(network, origins, {"park": origins[:1]}, engine=engine)["park"]

    assert result[:2] == pytest.approx([0.0, 111.2], abs=0.1)
    assert np.isnan(result[2:]).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_an_empty_facility_set_makes_its_type_unreachable(helsinki, engine):
    origins = np.column_stack([helsinki.lon[:50], helsinki.lat[:50]])
    facilities = {"none": np.zeros((0, 2)), "also none": [], "one": origins[:1]}

    result = nearest_by_type(helsinki, origins, facilities, cutoff_minutes=15, engine=engine)

    assert np.isnan(result["none"]).all() and result["none"].shape == (50,)
    assert np.isnan(result["also none"]).all()
    assert result["one"][0] == 0.0
    assert nearest_by_type(helsinki, origins, {}) == {}


def test_no_origins_gives_empty_arrays(helsinki):
    result = nearest_by_type(
        helsinki, np.zeros((0, 2)), {"a": [[helsinki.lon[0], helsinki.lat[0]]]}
    )
    assert result["a"].shape == (0,)


def test_types_run_in_parallel_threads_give_the_same_result(helsinki):
    rng = np.random.default_rng(11)
    onodes = rng.choice(helsinki.n_nodes, 300)
    oacc = rng.uniform(0, 20, 300)
    facilities = {t: (rng.choice(helsinki.n_nodes, 3), rng.uniform(0, 20, 3)) for t in range(6)}

    one = distances_from_snapped(helsinki, onodes, oacc, facilities, threads=1)
    two = distances_from_snapped(helsinki, onodes, oacc, facilities, 700.0, threads=2)

    for t in facilities:
        within = one[t] <= 700.0
        np.testing.assert_array_equal(two[t][within], one[t][within])
        assert np.isnan(two[t][~within]).all()


@pytest.mark.skipif(search_module._kernels is None, reason="no numba")
def test_a_search_that_outgrows_its_entry_pool_resumes_exactly(helsinki):
    # Start from a pool of 8 entries so the search stops and resumes many times.
    engine = search_module._engine(helsinki)
    small = search_module._Workspace(helsinki.n_nodes, engine.nb)
    small.grow(8)
    engine._free[:] = [small]
    sources = [5, 1500, 3000]

    got = multi_source(helsinki, sources)

    np.testing.assert_allclose(got, multi_source(helsinki, sources, engine="scipy"), atol=1e-9)
    assert engine._free[0].enode.size > 8


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda n: nearest_by_type(n, [[1.0, 2.0, 3.0]], {}), "lon, lat"),
        (lambda n: nearest_by_type(n, [[0.0, 0.0]], {"a": [[0.0]]}), "lon, lat"),
        (lambda n: nearest_by_type(n, [[np.nan, 0.0]], {}), "finite"),
        (lambda n: nearest_by_type(n, [[0.0, 0.0]], {}, speed=0), "speed"),
        (lambda n: nearest_by_type(n, [[0.0, 0.0]], {}, cutoff_minutes=-1), "cut-off"),
        (lambda n: multi_source(n, [99]), "source nodes"),
        (lambda n: multi_source(n, [0], [-1.0]), "offsets"),
    ],
)
def test_bad_input_raises_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call(line_network())


@st.composite
def small_networks(draw):
    n = draw(st.integers(2, 12))
    edges = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.sampled_from([0.0, 0.5, 1.0, 7.25, 30.0, 99.9]),
            ),
            min_size=1,
            max_size=30,
        )
    )
    edges = [(u, v, w) for u, v, w in edges if u != v] or [(0, 1, 1.0)]
    u, v, w = (np.array(x) for x in zip(*edges, strict=True))
    network = Network.from_edges(
        np.linspace(0, 0.01, n), np.zeros(n), u, v, w, largest_component=False
    )
    k = draw(st.integers(1, 3))
    sources = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
    offsets = draw(st.lists(st.sampled_from([0.0, 2.0, 10.5]), min_size=k, max_size=k))
    limit = draw(st.sampled_from([np.inf, 0.0, 5.0, 40.0]))
    return network, sources, offsets, limit


@settings(max_examples=150, deadline=None)
@given(small_networks())
def test_random_small_graphs_match_networkx(case):
    network, sources, offsets, limit = case
    want = _networkx_from(network, sources, offsets)
    want[want > limit] = np.inf
    for engine in ("numba", "scipy") if search_module._kernels is not None else ("scipy",):
        got = multi_source(network, sources, offsets, limit, engine=engine)
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_haversine_matches_known_distances():
    assert haversine_m(125.1, 0.0, 125.1, 1.0) == pytest.approx(
        111_195.08, abs=0.01
    )  # 1° of meridian
    assert haversine_m(0.0, 60.0, 1.0, 60.0) == pytest.approx(55_597.5, abs=1.0)  # 1° at 60°N
