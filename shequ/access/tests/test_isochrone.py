"""Isochrones on the real Helsinki network: valid GeoJSON polygons that grow with the minutes."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, shape

from shequ.access import InputError, isochrones, multi_source
from shequ.access.geo import haversine_m

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


@pytest.fixture(scope="module")
def facility(helsinki):
    # 20 m north of a node in the middle of the network.
    i = int(
        np.argmin(
            np.hypot(helsinki.lon - np.median(helsinki.lon), helsinki.lat - np.median(helsinki.lat))
        )
    )
    return np.array([[helsinki.lon[i], helsinki.lat[i] + 20 / 111_195]])


@pytest.fixture(scope="module")
def collection(helsinki, facility):
    return isochrones(helsinki, facility, (15, 5, 10), properties={"type": "clinic"})


def test_one_polygon_feature_per_time_limit_in_order(collection):
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"]["minutes"] for f in collection["features"]] == [5, 10, 15]
    assert [f["properties"]["metres"] for f in collection["features"]] == [360.0, 720.0, 1080.0]
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert feature["properties"]["type"] == "clinic"
        assert feature["properties"]["facilities"] == 1
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}


def test_the_geojson_is_valid(collection):
    again = json.loads(json.dumps(collection))
    for feature in again["features"]:
        geometry = shape(feature["geometry"])
        assert geometry.is_valid and not geometry.is_empty
        for polygon in shapely.get_parts(geometry):
            ring = polygon.exterior.coords
            assert len(ring) >= 4 and ring[0] == ring[-1]
            assert polygon.exterior.is_ccw  # RFC 7946 winding
        lon, lat = np.array(shapely.get_coordinates(geometry)).T
        assert np.all((lon > 24) & (lon < 26) & (lat > 59) & (lat < 61))


def test_each_area_contains_the_facility_and_grows_with_the_minutes(collection, facility):
    areas = [shape(f["geometry"]) for f in collection["features"]]
    point = Point(facility[0])
    assert all(area.contains(point) for area in areas)
    assert areas[0].area < areas[1].area < areas[2].area
    for small, big in itertools.pairwise(areas):
        assert small.difference(big).area < 1e-6 * small.area


def test_reached_nodes_are_inside_and_far_points_outside(helsinki, facility, collection):
    nodes, access = helsinki.snap(facility[:, 0], facility[:, 1])
    dist = multi_source(helsinki, nodes, access)
    five, fifteen = (
        shape(collection["features"][0]["geometry"]),
        shape(collection["features"][2]["geometry"]),
    )
    reached = np.flatnonzero(dist <= 360.0)
    assert reached.size > 10
    assert all(five.contains(Point(helsinki.lon[i], helsinki.lat[i])) for i in reached)
    # Nothing farther than 360 m + the 25 m buffer as the crow flies can be inside.
    crow = haversine_m(facility[0, 0], facility[0, 1], helsinki.lon, helsinki.lat)
    far = np.flatnonzero(crow > 360.0 + 26.0)
    assert far.size > 10
    assert not any(five.contains(Point(helsinki.lon[i], helsinki.lat[i])) for i in far)
    assert fifteen.contains(Point(helsinki.lon[far[0]], helsinki.lat[far[0]])) == (
        dist[far[0]] <= 1080
    )


def test_a_set_of_far_apart_facilities_gives_separate_areas(helsinki):
    west, east = np.argmin(helsinki.lon), np.argmax(helsinki.lon)
    points = np.array(
        [[helsinki.lon[west], helsinki.lat[west]], [helsinki.lon[east], helsinki.lat[east]]]
    )

    fc = isochrones(helsinki, points, [3])

    geometry = shape(fc["features"][0]["geometry"])
    assert geometry.geom_type == "MultiPolygon"
    assert all(geometry.contains(Point(p)) for p in points)


@pytest.mark.parametrize(
    ("points", "minutes", "message"),
    [
        (np.zeros((0, 2)), [5], "no facilities"),
        ([[24.94, 60.17]], [0], "positive"),
        ([[24.94, 60.17]], [], "positive"),
    ],
)
def test_bad_requests_raise_input_error(helsinki, points, minutes, message):
    with pytest.raises(InputError, match=message):
        isochrones(helsinki, points, minutes)
