"""The command line, end to end on the real West Oakland extract."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from shapely.geometry import Point, shape

from shequ.access import load_network, nearest_by_type
from shequ.access.cli import main

from .conftest import OAKLAND


def _points(path, rows, key):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {key: value},
        }
        for value, lon, lat in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.fixture
def files(tmp_path, oakland):
    lon, lat = oakland.lon, oakland.lat
    facilities = _points(
        tmp_path / "facilities.geojson",
        [("clinic", lon[3], lat[3]), ("clinic", lon[40], lat[40]), ("shop", lon[20], lat[20])],
        "type",
    )
    origins = _points(
        tmp_path / "origins.geojson",
        [
            ("b1", lon[0], lat[0]),
            ("b2", lon[10] + 1e-4, lat[10]),
            (3, lon[30], lat[30] - 1e-4),
            ("far", lon[0] + 0.05, lat[0]),  # 4 km east: beyond 15 minutes
        ],
        "id",
    )
    return facilities, origins, tmp_path


def test_nearest_writes_one_row_per_origin_and_type(files, oakland):
    facilities, origins, tmp = files
    out = tmp / "result.csv"

    code = main(
        [
            "nearest",
            str(OAKLAND),
            "--facilities",
            str(facilities),
            "--origins",
            str(origins),
            "--cutoff-minutes",
            "15",
            "--out",
            str(out),
        ]
    )

    assert code == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "origin_id,type,metres,minutes"
    rows = list(csv.DictReader(lines))
    assert [(r["origin_id"], r["type"]) for r in rows] == [
        (o, t) for o in ["b1", "b2", "3", "far"] for t in ["clinic", "shop"]
    ]
    far = [r for r in rows if r["origin_id"] == "far"]
    assert all(r["metres"] == "" and r["minutes"] == "" for r in far)
    # The numbers are the library's, rounded.
    pts = np.array([[oakland.lon[0], oakland.lat[0]]])
    want = nearest_by_type(oakland, pts, {"shop": [[oakland.lon[20], oakland.lat[20]]]})["shop"][0]
    got = next(r for r in rows if r["origin_id"] == "b1" and r["type"] == "shop")
    assert float(got["metres"]) == pytest.approx(want, abs=0.05)
    assert float(got["minutes"]) == pytest.approx(want / 72, abs=0.005)


def test_python_dash_m_exits_non_zero_with_a_message_on_a_malformed_osm_file(files):
    facilities, origins, tmp = files
    bad_osm = tmp / "bad.osm"
    bad_osm.write_text("<osm>")
    out = tmp / "result.csv"
    args = ["--facilities", str(facilities), "--origins", str(origins), "--out", str(out)]

    run = subprocess.run(
        [sys.executable, "-m", "shequ.access", "nearest", str(bad_osm), *args],
        capture_output=True,
        text=True,
    )

    assert run.returncode == 1
    assert run.stderr.startswith("error: ")
    assert "bad.osm" in run.stderr and "cannot read OSM data" in run.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"type": "Feature"}', "FeatureCollection"),
        ('{"type": "FeatureCollection"}', "'features' list"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": '
            '"LineString", "coordinates": [[0, 0], [1, 1]]}, "properties": {"type": "a"}}]}',
            "feature 0 is not a Point",
        ),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
            '{"type": "Point", "coordinates": [0, 0]}, "properties": {"kind": "a"}}]}',
            "no 'type' property",
        ),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
            '{"type": "Point", "coordinates": [0, 95]}, "properties": {"type": "a"}}]}',
            "out of range",
        ),
    ],
)
def test_malformed_geojson_is_reported(files, capsys, content, message):
    _, origins, tmp = files
    bad = tmp / "bad.geojson"
    bad.write_text(content)

    code = main(
        [
            "nearest",
            str(OAKLAND),
            "--facilities",
            str(bad),
            "--origins",
            str(origins),
            "--out",
            str(tmp / "r.csv"),
        ]
    )

    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "bad.geojson" in err
    assert not (tmp / "r.csv").exists()


def test_a_missing_network_file_is_reported(files, capsys):
    facilities, origins, tmp = files
    code = main(
        [
            "nearest",
            str(tmp / "none.osm.pbf"),
            "--facilities",
            str(facilities),
            "--origins",
            str(origins),
            "--out",
            str(tmp / "r.csv"),
        ]
    )
    assert code == 1
    assert "no such file" in capsys.readouterr().err


def test_usage_errors_exit_with_2(files):
    facilities, _, _ = files
    with pytest.raises(SystemExit) as exit_:
        main(["nearest", str(OAKLAND), "--facilities", str(facilities)])
    assert exit_.value.code == 2
    with pytest.raises(SystemExit):
        main(
            [
                "isochrone",
                str(OAKLAND),
                "--facilities",
                str(facilities),
                "--minutes",
                "5,x",
                "--out",
                "x",
            ]
        )


def test_isochrone_writes_geojson_per_type_and_minutes(files, oakland):
    facilities, _, tmp = files
    out = tmp / "iso.geojson"

    assert (
        main(
            [
                "isochrone",
                str(OAKLAND),
                "--facilities",
                str(facilities),
                "--minutes",
                "5,10",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text())
    assert data["type"] == "FeatureCollection"
    keys = [(f["properties"]["type"], f["properties"]["minutes"]) for f in data["features"]]
    assert keys == [("clinic", 5), ("clinic", 10), ("shop", 5), ("shop", 10)]
    shop5 = shape(data["features"][2]["geometry"])
    assert shop5.is_valid and shop5.contains(Point(oakland.lon[20], oakland.lat[20]))

    assert (
        main(
            [
                "isochrone",
                str(OAKLAND),
                "--facilities",
                str(facilities),
                "--type",
                "shop",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text())
    assert [f["properties"]["minutes"] for f in data["features"]] == [5, 10, 15]


def test_isochrone_of_an_unknown_type_is_reported(files, capsys):
    facilities, _, tmp = files
    code = main(
        [
            "isochrone",
            str(OAKLAND),
            "--facilities",
            str(facilities),
            "--type",
            "school",
            "--out",
            str(tmp / "x.geojson"),
        ]
    )
    assert code == 1
    assert "no facility of type 'school' (types: clinic, shop)" in capsys.readouterr().err


def test_info_prints_the_network_size(capsys):
    assert main(["info", str(OAKLAND)]) == 0
    network = load_network(OAKLAND)
    assert f"{network.n_nodes} nodes, {network.n_edges} edges" in capsys.readouterr().out
