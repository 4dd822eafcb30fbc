"""Reading the walking network from real OSM files: the tag rule, geometry, components, errors."""

from __future__ import annotations

import bz2
import math

import networkx as nx
import numpy as np
import osmium
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from shequ.access import NetworkError, is_walkable, load_network, multi_source, read_osm
from shequ.access.geo import haversine_m

from .conftest import HELSINKI, OAKLAND


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential", "oneway": "yes"}, True),
        ({"highway": "primary_link"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "cycleway"}, True),
        ({"highway": "service", "service": "parking_aisle"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link"}, False),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk_link", "foot": "yes"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "proposed"}, False),
        ({"highway": "abandoned"}, False),
        ({"highway": "raceway"}, False),
        ({"highway": "bus_guideway"}, False),
        ({"highway": "platform"}, False),
        ({"highway": "footway", "area": "yes"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "cycleway", "foot": "no"}, False),
        ({"highway": "primary", "foot": "use_sidepath"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "footway", "access": "no"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "path", "access": "no", "foot": "designated"}, True),
        ({"highway": "service", "access": "destination"}, True),
        ({"building": "yes"}, False),
    ],
)
def test_the_walking_rule(tags, walkable):
    assert is_walkable(tags) is walkable


def _way_nodes(path):
    """OSM node ids used by walkable ways and by highway ways that are not walkable."""
    walk, other = set(), set()

    class Handler(osmium.SimpleHandler):
        def way(self, w):
            if "highway" in w.tags:
                (walk if is_walkable(w.tags) else other).update(n.ref for n in w.nodes)

    Handler().apply_file(str(path), locations=False)
    return walk, other


def test_helsinki_leaves_out_ways_walkers_may_not_use(helsinki):
    walk, other = _way_nodes(HELSINKI)
    ids = set(helsinki.node_id.tolist())
    only_excluded = other - walk  # e.g. cycleways with foot=no, platforms, area outlines
    assert only_excluded, "the extract should have excluded ways"
    assert not ids & only_excluded
    assert ids <= walk


def _write_osm(path, nodes, ways):
    lines = ['<?xml version="1.0"?>', '<osm version="0.6">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        lines.append(f'<way id="{wid}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines))


def test_motorway_trunk_and_forbidden_ways_are_not_in_the_network(tmp_path):
    # A one-way street 1→2→3 and a long footway 3→4→1 back; a motorway, a trunk road
    # with foot=yes, a foot=no cycleway and a private drive lead off to nodes 5–8.
    nodes = {
        1: (0.0, 0.0),
        2: (0.001, 0.0),
        3: (0.001, 0.001),
        4: (0.0, 0.003),
        5: (0.002, 0.0),
        6: (0.002, 0.001),
        7: (-0.001, 0.0),
        8: (-0.001, 0.003),
    }
    ways = [
        (10, [1, 2, 3], {"highway": "residential", "oneway": "yes"}),
        (15, [3, 4, 1], {"highway": "footway"}),
        (11, [2, 5], {"highway": "motorway"}),
        (12, [3, 6], {"highway": "trunk", "foot": "yes"}),
        (13, [1, 7], {"highway": "cycleway", "foot": "no"}),
        (14, [4, 8], {"highway": "service", "access": "private"}),
    ]
    path = tmp_path / "square.osm"
    _write_osm(path, nodes, ways)

    network = read_osm(path)

    # 2 and 4 are no junctions once the excluded ways are gone: they are geometry.
    assert sorted(network.node_id.tolist()) == [1, 3]
    assert network.n_edges == 2
    one_way = 2 * 111.195
    assert sorted(network.edge_length) == pytest.approx([one_way, 248.6 + 333.6], abs=0.5)
    # The one-way street is walked against its direction: 3 -> 1 is 222 m, not 582 m.
    i1, i3 = network.index_of([1, 3])
    assert multi_source(network, [i3])[i1] == pytest.approx(one_way, abs=0.01)


def test_a_closed_way_keeps_its_loop(tmp_path):
    nodes = {1: (0.0, 0.0), 2: (0.001, 0.0), 3: (0.001, 0.001), 4: (0.0, 0.001), 9: (-0.001, 0.0)}
    ways = [(1, [1, 2, 3, 4, 1], {"highway": "footway"}), (2, [9, 1], {"highway": "path"})]
    path = tmp_path / "loop.osm"
    _write_osm(path, nodes, ways)

    network = read_osm(path)

    assert sorted(network.node_id.tolist()) == [1, 3, 9]  # 3: the middle of the loop
    assert network.edge_length.sum() == pytest.approx(5 * 111.195, abs=0.5)


def test_only_the_largest_component_is_kept(helsinki, helsinki_reference):
    n = helsinki.n_nodes
    graph = coo_matrix((np.ones(helsinki.n_edges), (helsinki.edge_u, helsinki.edge_v)), (n, n))
    assert connected_components(graph, directed=False)[0] == 1
    # Every node of the network is in the reference's largest component…
    assert set(helsinki.node_id.tolist()) <= set(helsinki_reference.nodes)
    # …and the extract does have smaller pieces that were dropped.
    walk, _ = _way_nodes(HELSINKI)
    assert len(set(helsinki_reference.nodes)) < len(walk)


def test_intersections_and_way_ends_are_the_nodes(oakland, oakland_reference):
    ref = oakland_reference
    junctions = {v for v in ref.nodes if ref.degree(v) != 2}
    # Every junction or dead end of the reference is a node; the others are way
    # ends or loop midpoints (degree 2 in the graph but where a way starts or stops).
    assert junctions <= set(oakland.node_id.tolist())


@pytest.mark.parametrize("fixture", ["helsinki", "oakland"])
def test_edge_lengths_follow_the_geometry(fixture, request):
    network = request.getfixturevalue(fixture)
    g = network.geometry
    straight = haversine_m(
        network.lon[network.edge_u],
        network.lat[network.edge_u],
        network.lon[network.edge_v],
        network.lat[network.edge_v],
    )
    assert np.all(network.edge_length >= straight - 1e-6)
    bent = np.flatnonzero(g.stop - g.start > 1)
    assert bent.size > 0
    for e in bent[:50]:
        lon, lat = network.edge_polyline(e)
        along = sum(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]))
        assert network.edge_length[e] == pytest.approx(along, rel=1e-9)
        assert (lon[0], lat[0]) == (network.lon[network.edge_u[e]], network.lat[network.edge_u[e]])
        assert (lon[-1], lat[-1]) == (
            network.lon[network.edge_v[e]],
            network.lat[network.edge_v[e]],
        )
    # Total street length equals the reference's, segment by segment.
    ref = request.getfixturevalue(f"{fixture}_reference")
    ref_total = sum(d["length"] for _, _, d in ref.edges(data=True))
    assert network.edge_length.sum() == pytest.approx(ref_total, rel=0.01)


@pytest.mark.parametrize("fixture", ["helsinki", "oakland"])
def test_distances_equal_networkx_on_the_unsimplified_reference(fixture, request):
    network = request.getfixturevalue(fixture)
    ref = request.getfixturevalue(f"{fixture}_reference")
    rng = np.random.default_rng(7)
    sources = rng.choice(network.n_nodes, 3, replace=False)
    expected = nx.multi_source_dijkstra_path_length(
        ref, set(network.node_id[sources].tolist()), weight="length"
    )
    got = multi_source(network, sources)
    want = np.array([expected[i] for i in network.node_id.tolist()])
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, want, atol=0.01)


def test_bz2_xml_and_pbf_are_read(oakland, helsinki):
    assert oakland.n_nodes > 20 and helsinki.n_nodes > 1000
    assert math.isclose(np.mean(helsinki.lat), 60.17, abs_tol=0.02)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("truncated.osm.pbf", lambda: HELSINKI.read_bytes()[:300_000], "cannot read OSM data"),
        ("truncated.osm.bz2", lambda: OAKLAND.read_bytes()[:6_000], "cannot read OSM data"),
        (
            "truncated.osm",
            lambda: bz2.decompress(OAKLAND.read_bytes())[:20_000],
            "cannot read OSM data",
        ),
        ("junk.osm.pbf", lambda: b"hello", "cannot read OSM data"),
        ("empty.osm", lambda: b"", "cannot read OSM data"),
        ("noways.osm", lambda: b'<?xml version="1.0"?><osm version="0.6"></osm>', "no walkable"),
        ("network.txt", lambda: b"<osm/>", "not an OSM file name"),
    ],
)
def test_a_malformed_file_raises_a_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content())
    with pytest.raises(NetworkError, match=message) as err:
        load_network(path)
    assert name in str(err.value)


def test_a_missing_file_raises_a_clear_error(tmp_path):
    with pytest.raises(NetworkError, match="no such file"):
        load_network(tmp_path / "nowhere.osm.pbf")
    with pytest.raises(NetworkError, match="no such file"):
        load_network(tmp_path / "nowhere.npz")
