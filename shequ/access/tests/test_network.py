"""Building networks from arrays, snapping, saving, and the synthetic grid."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from shequ.access import Network, NetworkError, load_network, multi_source, synthetic_grid
from shequ.access.geo import haversine_m

from .conftest import line_network


def test_from_edges_builds_a_two_way_csr():
    network = line_network()

    assert network.n_nodes == 4 and network.n_edges == 3
    assert network.indptr.tolist() == [0, 1, 3, 5, 6]
    assert sorted(network.indices[network.indptr[1] : network.indptr[2]].tolist()) == [0, 2]
    assert network.weights.dtype == np.float32 and network.indices.dtype == np.int32
    assert np.all(network.edge_length[network.arc_edge] == network.weights)


def test_lengths_default_to_great_circle_distances():
    lon, lat = np.array([125.1, 125.101]), np.array([42.9, 42.9])
    network = Network.from_edges(lon, lat, [0], [1])
    assert network.edge_length[0] == pytest.approx(haversine_m(125.1, 42.9, 125.101, 42.9))


def test_the_largest_component_is_kept_and_ids_follow_the_nodes():
    lon = np.array([0.0, 0.001, 0.002, 0.05, 0.051])
    network = Network.from_edges(
        lon, np.zeros(5), [3, 0, 1], [4, 1, 2], node_id=[10, 11, 12, 13, 14]
    )

    assert network.node_id.tolist() == [10, 11, 12]
    assert network.index_of([12, 13, 10]).tolist() == [2, -1, 0]
    assert network.n_edges == 2


def test_self_loops_are_dropped_and_parallel_edges_kept():
    network = Network.from_edges(
        [0.0, 0.001], [0.0, 0.0], [0, 0, 1, 1], [1, 1, 1, 0], [5.0, 3.0, 1.0, 9.0]
    )
    assert network.n_edges == 3
    assert multi_source(network, [0])[1] == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.0, 1.0], [0.0], [0], [1]), "lon and lat"),
        (([0.0, 1.0], [0.0, 0.0], [0], [2]), "edge ends"),
        (([0.0, 1.0], [0.0, 0.0], [0, 1], [1]), "u and v"),
        (([0.0, 1.0], [0.0, 0.0], [0], [1], [-1.0]), "non-negative"),
        (([0.0, 1.0], [0.0, 0.0], [0], [1], [np.nan]), "finite"),
        (([0.0, 1.0], [0.0, 0.0], [0], [1], [1.0, 2.0]), "lengths"),
        (([0.0, 200.0], [0.0, 0.0], [0], [1]), "degrees"),
        (([0.0, 1.0], [0.0, 0.0], [0], [0]), "no edges"),
        (([], [], [], []), "no edges"),
    ],
)
def test_inconsistent_arrays_raise_network_error(args, message):
    with pytest.raises(NetworkError, match=message):
        Network.from_edges(*args)


def test_snap_returns_nearest_node_and_access_leg(oakland):
    i = 7
    lon, lat = oakland.lon[i], oakland.lat[i] + 10 / 111_195  # 10 m north of node i
    node, access = oakland.snap(np.array([lon]), np.array([lat]))
    assert node.tolist() == [i]
    assert access[0] == pytest.approx(10.0, abs=0.01)


def test_nodes_within_an_area(oakland):
    west, east = np.quantile(oakland.lon, [0.0, 0.5])
    south, north = oakland.lat.min() - 1, oakland.lat.max() + 1
    ring = [
        [west - 1e-9, south],
        [east, south],
        [east, north],
        [west - 1e-9, north],
        [west - 1e-9, south],
    ]

    inside = oakland.nodes_within({"type": "Polygon", "coordinates": [ring]})

    assert inside.tolist() == np.flatnonzero(oakland.lon < east).tolist()


def test_a_saved_network_loads_back_the_same(helsinki, tmp_path):
    path = tmp_path / "helsinki.npz"
    helsinki.save(path)

    again = load_network(path)

    assert np.array_equal(again.node_id, helsinki.node_id)
    assert np.array_equal(again.indices, helsinki.indices)
    assert np.array_equal(again.weights, helsinki.weights)
    assert again.edge_polyline(5)[0].tolist() == helsinki.edge_polyline(5)[0].tolist()


def test_a_file_that_is_not_a_saved_network_raises(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip")
    with pytest.raises(NetworkError, match="not a saved network"):
        load_network(path)
    np.savez(path, lon=np.zeros(2))
    with pytest.raises(NetworkError, match="missing"):
        load_network(path)


def test_synthetic_grid_is_connected_deterministic_and_near_the_origin():
    a = synthetic_grid(2_500, seed=4, origin=(125.1, 42.9))
    b = synthetic_grid(2_500, seed=4, origin=(125.1, 42.9))

    assert 2_300 < a.n_nodes <= 2_500
    assert np.array_equal(a.lon, b.lon) and np.array_equal(a.edge_u, b.edge_u)
    graph = coo_matrix((np.ones(a.n_edges), (a.edge_u, a.edge_v)), (a.n_nodes, a.n_nodes))
    assert connected_components(graph, directed=False)[0] == 1
    # About 80 % of the 2 × 50 × 49 links, each about 100 m long.
    assert 0.75 * 4_900 < a.n_edges < 0.85 * 4_900
    assert 80 < np.median(a.edge_length) < 120
    assert abs(np.mean(a.lon) - 125.1) < 0.01 and abs(np.mean(a.lat) - 42.9) < 0.01
