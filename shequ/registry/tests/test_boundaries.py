"""Real boundaries replace the generated layout; a bad file changes nothing."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from shequ.registry.models import AdminUnit

pytestmark = pytest.mark.django_db

SQUARE = [[125.10, 42.90], [125.12, 42.90], [125.12, 42.92], [125.10, 42.92], [125.10, 42.90]]


def _write(tmp_path, features):
    path = tmp_path / "b.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _feature(code, ring=SQUARE):
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_import_sets_boundary_and_centre(tmp_path, personas):
    AdminUnit.objects.filter(code="220403001001").update(geometry_generated=True)
    call_command(
        "import_boundaries", _write(tmp_path, [_feature("220403001001")]), "--user", "clerk_a"
    )
    unit = AdminUnit.objects.get(code="220403001001")
    assert unit.boundary["type"] == "Polygon"
    assert unit.centre_lon == pytest.approx(125.11) and unit.centre_lat == pytest.approx(42.91)
    assert unit.geometry_generated is False


@pytest.mark.parametrize(
    "features,message",
    [
        ([_feature("220403001001"), _feature("220403002001")], "不在您的管辖范围内"),
        ([_feature("220403001001", SQUARE[:2])], "至少需要4个点"),
        ([_feature("220403001001", [[4000, 1], [1, 1], [1, 2], [4000, 1]])], "超出经纬度范围"),
        (
            [
                {
                    "type": "Feature",
                    "properties": {"code": "220403001001"},
                    "geometry": {"type": "Point", "coordinates": [125.1, 42.9]},
                }
            ],
            "不支持的几何类型",
        ),
    ],
)
def test_bad_file_changes_nothing(tmp_path, personas, features, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_boundaries", _write(tmp_path, features), "--user", "clerk_a")
    assert not AdminUnit.objects.filter(boundary__isnull=False).exists()


def test_malformed_json_is_a_clear_error(tmp_path, personas):
    path = tmp_path / "broken.geojson"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="无法读取"):
        call_command("import_boundaries", path, "--user", "admin")
