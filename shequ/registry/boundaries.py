"""Replace the generated layout with real unit boundaries from a GeoJSON file.

Each feature names its unit by a ``code`` property (the division code) and carries a Polygon
or MultiPolygon in WGS 84 longitude/latitude. The centre becomes the mean of the outer ring's
vertices, a fair label point for the compact shapes of communities.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from shequ.audit import services as audit
from shequ.audit.models import Action
from shequ.errors import Invalid
from shequ.registry.models import AdminUnit


def _outer_ring(geometry: dict[str, Any]) -> list[list[float]]:
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon" and coords:
        return coords[0]
    if kind == "MultiPolygon" and coords and coords[0]:
        return max((poly[0] for poly in coords), key=len)
    raise Invalid(f"不支持的几何类型：{kind}（须为 Polygon 或 MultiPolygon）")


def _check_ring(ring: list[list[float]], where: str) -> None:
    if len(ring) < 4:
        raise Invalid(f"{where}：多边形至少需要4个点。")
    for point in ring:
        if (
            not isinstance(point, (list, tuple))
            or len(point) < 2
            or not all(isinstance(v, (int, float)) for v in point[:2])
        ):
            raise Invalid(f"{where}：坐标格式不正确。")
        lon, lat = point[0], point[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise Invalid(f"{where}：坐标超出经纬度范围（应为 WGS84 经度、纬度）。")


def import_boundaries(path: Path, *, actor: Any) -> int:
    """Set boundary and centre of every unit named in the file; all or nothing."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"无法读取 GeoJSON 文件：{exc}") from None
    features = data.get("features") if isinstance(data, dict) else None
    if data.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise Invalid("GeoJSON 须为 FeatureCollection。")
    units = {u.code: u for u in AdminUnit.objects.in_scope(actor)}
    updates: list[tuple[AdminUnit, dict, float, float]] = []
    for n, feature in enumerate(features, start=1):
        where = f"第{n}个要素"
        code = str((feature.get("properties") or {}).get("code", "")).strip()
        if code not in units:
            raise Invalid(f"{where}：区划代码 {code or '（空）'} 不存在或不在您的管辖范围内。")
        geometry = feature.get("geometry") or {}
        ring = _outer_ring(geometry)
        _check_ring(ring, where)
        lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
        lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
        updates.append((units[code], geometry, lat, lon))
    with transaction.atomic():
        for unit, geometry, lat, lon in updates:
            unit.boundary, unit.centre_lat, unit.centre_lon = geometry, lat, lon
            unit.geometry_generated = False
            unit.save(
                update_fields=[
                    "boundary",
                    "centre_lat",
                    "centre_lon",
                    "geometry_generated",
                    "updated_at",
                ]
            )
            audit.record(
                Action.UPDATE, unit, actor=actor, changes={"boundary": ["generated", "imported"]}
            )
    return len(updates)
