"""Shared fixtures: the two real OSM extracts, and an independent reference graph.

The reference is built here with osmium and networkx from every consecutive
pair of way nodes (no simplification, its own haversine), so that the engine's
reader, simplification, component filter and search are all checked against
something that shares none of their code — only the walking tag rule.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pytest

from shequ.access import Network, is_walkable, load_network

TESTDATA = Path(__file__).resolve().parent.parent / "testdata"
HELSINKI = TESTDATA / "Helsinki.osm.pbf"
OAKLAND = TESTDATA / "West-Oakland.osm.bz2"


def great_circle_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def reference_graph(path: Path) -> nx.Graph:
    """All walkable way segments as a networkx graph keyed by OSM node id (largest component)."""
    graph = nx.Graph()

    class Handler(osmium.SimpleHandler):
        def way(self, w):
            if not is_walkable(w.tags):
                return
            prev = None
            for nd in w.nodes:
                if not nd.location.valid():
                    prev = None
                    continue
                here = (nd.ref, nd.location.lon, nd.location.lat)
                if prev is not None and prev[0] != here[0]:
                    d = great_circle_m(prev[1], prev[2], here[1], here[2])
                    old = graph.get_edge_data(prev[0], here[0])
                    if old is None or old["length"] > d:
                        graph.add_edge(prev[0], here[0], length=d)
                prev = here

    Handler().apply_file(str(path), locations=True)
    biggest = max(nx.connected_components(graph), key=len)
    return graph.subgraph(biggest).copy()


def network_graph(network: Network) -> nx.Graph:
    """The engine's own edges as a networkx graph on node positions (parallel edges: shortest)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(network.n_nodes))
    for u, v, length in zip(
        network.edge_u.tolist(), network.edge_v.tolist(), network.edge_length.tolist(), strict=True
    ):
        if not graph.has_edge(u, v) or graph[u][v]["length"] > length:
            graph.add_edge(u, v, length=length)
    return graph


@pytest.fixture(autouse=True)
def _fast_settings():
    """The engine has no Django: overrides the project's autouse settings fixture, so
    these tests also run with ``-p no:django``."""


@pytest.fixture(scope="session")
def helsinki() -> Network:
    return load_network(HELSINKI)


@pytest.fixture(scope="session")
def oakland() -> Network:
    return load_network(OAKLAND)


@pytest.fixture(scope="session")
def helsinki_reference() -> nx.Graph:
    return reference_graph(HELSINKI)


@pytest.fixture(scope="session")
def oakland_reference() -> nx.Graph:
    return reference_graph(OAKLAND)


def line_network() -> Network:
    """Four nodes on a line along the equator, 100 m apart: 0 — 1 — 2 — 3."""
    step = 100.0 / (6_371_008.8 * math.pi / 180)  # degrees of longitude for 100 m
    lon = np.arange(4) * step
    return Network.from_edges(lon, np.zeros(4), [0, 1, 2], [1, 2, 3], [100.0, 100.0, 100.0])
