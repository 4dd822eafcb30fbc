"""Reading points from GeoJSON and writing results, with errors a person can act on."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import InputError


def read_points(path: str | os.PathLike, key: str) -> tuple[list[str], NDArray[np.float64]]:
    """The ``key`` property and the lon/lat of every Point feature of a FeatureCollection.

    Raises :class:`InputError` naming the file and the feature at fault: missing
    file, invalid JSON, not a FeatureCollection, a feature that is not a Point with
    finite lon/lat, or a missing or empty ``key``. Property values are returned as
    strings.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputError(f"{path}: expected a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise InputError(f"{path}: the FeatureCollection has no 'features' list")
    values: list[str] = []
    coords = np.empty((len(features), 2))
    for i, feature in enumerate(features):
        where = f"{path}: feature {i}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InputError(f"{where} is not a GeoJSON Feature")
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            raise InputError(f"{where} is not a Point")
        xy = geometry.get("coordinates")
        if (
            not isinstance(xy, list)
            or len(xy) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in xy[:2])
        ):
            raise InputError(f"{where} has no [lon, lat] coordinates")
        lon, lat = float(xy[0]), float(xy[1])
        if not (np.isfinite(lon) and np.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
            raise InputError(f"{where} has coordinates out of range: {xy[:2]}")
        props = feature.get("properties") or {}
        value = props.get(key) if isinstance(props, dict) else None
        if value is None or isinstance(value, dict | list) or str(value).strip() == "":
            raise InputError(f"{where} has no '{key}' property")
        values.append(str(value))
        coords[i] = lon, lat
    return values, coords


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as compact UTF-8 JSON (written whole or not at all)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, path)
