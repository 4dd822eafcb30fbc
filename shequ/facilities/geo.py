"""GeoJSON for the unit map: boundaries, buildings coloured by walking time, facilities.

The map must work without a tile layer (the offices are often offline), so the unit
boundaries and the buildings are the background; everything comes from scoped queries.
"""

from __future__ import annotations

from typing import Any

from shequ.facilities import queries
from shequ.facilities.models import FacilityType
from shequ.registry.models import AdminUnit


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def access_class(minutes: float | None, computed: bool, standard: int) -> str:
    """'within', 'beyond', 'unreachable' (no path) or 'unknown' (not computed yet)."""
    if not computed:
        return "unknown"
    if minutes is None:
        return "unreachable"
    return "within" if minutes <= standard else "beyond"


def unit_features(user: Any, unit: AdminUnit) -> list[dict[str, Any]]:
    """The unit and its children: their boundary, or their centre when none is drawn."""
    shown = [unit, *queries.units_under(user, unit).filter(parent=unit).order_by("code")]
    out = []
    for u in shown:
        geometry = u.boundary or (
            point(u.centre_lon, u.centre_lat) if u.centre_lat is not None else None
        )
        if geometry is None:
            continue
        out.append(
            feature(
                geometry,
                code=u.code,
                name=u.name,
                level=u.level,
                self=u.pk == unit.pk,
                generated=u.geometry_generated,
            )
        )
    return out


def map_layers(user: Any, unit: AdminUnit, ftype: FacilityType) -> dict[str, Any]:
    """Everything the unit map draws, for the chosen facility type."""
    buildings = queries.buildings_with_access(user, unit, ftype)
    building_features = [
        feature(
            point(b["lon"], b["lat"]),
            id=b["pk"],
            number=b["number"],
            address=b["address"],
            households=b["n_households"],
            minutes=None if b["minutes"] is None else round(b["minutes"], 1),
            access=access_class(b["minutes"], b["computed"], ftype.standard_minutes),
        )
        for b in buildings
    ]
    facilities = queries.facilities(user, unit_code=unit.code).active().located()
    facility_features = [
        feature(
            point(f.lon, f.lat),
            id=f.pk,
            name=f.name,
            type=f.type.code,
            type_name=f.type.name,
            chosen=f.type_id == ftype.pk,
        )
        for f in facilities
    ]
    uncovered = sum(
        b["n_households"]
        for b in buildings
        if b["minutes"] is None or b["minutes"] > ftype.standard_minutes
    )
    return {
        "unit": {"code": unit.code, "name": unit.name, "generated": unit.geometry_generated},
        "type": {
            "code": ftype.code,
            "name": ftype.name,
            "standard_minutes": ftype.standard_minutes,
        },
        "summary": {
            "buildings": len(buildings),
            "households": sum(b["n_households"] for b in buildings),
            "uncovered_households": uncovered,
            "computed": any(b["computed"] for b in buildings),
        },
        "units": collection(unit_features(user, unit)),
        "buildings": collection(building_features),
        "facilities": collection(facility_features),
    }
