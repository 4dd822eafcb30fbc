"""Isochrones: the area within t minutes' walk of a facility (or a set of them).

How a polygon is drawn: one multi-source search from the facilities (each starting
at its straight access leg) gives every node's walking distance. An edge is reached
whole when the distances at its two ends leave enough budget to meet in the middle;
otherwise only the part within budget from each reached end, cut along the edge's
geometry. The reached pieces, plus each facility's own access leg, are buffered by
``buffer_m`` metres (a person can step off the street onto a square or into a
courtyard) and unioned; holes smaller than ``fill_holes_m2`` — the insides of
blocks that are reached on all sides — are filled. Each time limit's polygon is
unioned with the previous one, so the polygons grow with the minutes. Geometry is
computed in a local metric projection with shapely (GEOS) and returned as GeoJSON
in lon/lat.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import InputError
from .network import Network
from .search import DEFAULT_SPEED_MPS, _check_speed, _lonlat, multi_source

DEFAULT_MINUTES = (5, 10, 15)


def _cut(xs, ys, start: float, stop: float):
    """The part of a polyline between fractions ``start`` and ``stop`` of its length."""
    if xs.size == 2:  # most edges: a straight segment
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        return (
            np.array([xs[0] + start * dx, xs[0] + stop * dx]),
            np.array([ys[0] + start * dy, ys[0] + stop * dy]),
        )
    seg = np.hypot(np.diff(xs), np.diff(ys))
    along = np.concatenate([[0.0], np.cumsum(seg)])
    total = along[-1]
    if total == 0.0:
        return np.array([xs[0]]), np.array([ys[0]])
    s0, s1 = start * total, stop * total
    inner = (along > s0) & (along < s1)
    px = np.concatenate([[np.interp(s0, along, xs)], xs[inner], [np.interp(s1, along, xs)]])
    py = np.concatenate([[np.interp(s0, along, ys)], ys[inner], [np.interp(s1, along, ys)]])
    return px, py


def _projected_polylines(network: Network):
    """A function giving edge ``e``'s polyline in projected metres (projected once)."""
    g = network.geometry
    if g is None:
        x, y = network.xy()
        u, v = network.edge_u, network.edge_v
        return lambda e: (x[[u[e], v[e]]], y[[u[e], v[e]]])
    gx, gy = network.projection.forward(g.lon, g.lat)
    return lambda e: (gx[g.start[e] : g.stop[e] + 1], gy[g.start[e] : g.stop[e] + 1])


def _new_pieces(network: Network, dist, lo: float, hi: float, legs):
    """Coordinate runs (projected) of what is walkable within ``hi`` metres but not ``lo``.

    Along edge ``u–v`` of length ``L`` the point ``s`` metres from ``u`` is within budget
    ``B`` when ``s <= B - d(u)`` or ``s >= L - (B - d(v))``: a piece from each end.
    """
    du = dist[network.edge_u]
    dv = dist[network.edge_v]
    length = network.edge_length
    polyline = _projected_polylines(network)
    runs = []
    for e in np.flatnonzero((du < hi) | (dv < hi)):
        L = length[e]
        a_lo, a_hi = lo - du[e], hi - du[e]  # reach from u (negative: none)
        b_lo, b_hi = lo - dv[e], hi - dv[e]  # reach from v
        if a_lo >= 0 and b_lo >= 0 and a_lo + b_lo >= L:
            continue  # already whole at the lower budget
        if L == 0.0:
            continue  # its two ends are the same point, drawn with the edges around it
        if a_hi >= 0 and b_hi >= 0 and a_hi + b_hi >= L:
            spans = [(max(a_lo, 0.0), L - max(b_lo, 0.0))]
        else:
            spans = [(max(a_lo, 0.0), min(a_hi, L)), (L - min(b_hi, L), L - max(b_lo, 0.0))]
        xs, ys = polyline(e)
        for start, stop in spans:
            if stop > start:
                runs.append(_cut(xs, ys, start / L, stop / L))
    # The walk from each facility to its node.
    fx, fy, nx, ny, access = legs
    for i in range(fx.size):
        if access[i] == 0.0:
            if lo < 0:
                runs.append((fx[i : i + 1], fy[i : i + 1]))
            continue
        t0, t1 = max(lo, 0.0) / access[i], min(hi, access[i]) / access[i]
        if t1 > t0:
            dx, dy = nx[i] - fx[i], ny[i] - fy[i]
            runs.append(
                (
                    np.array([fx[i] + t0 * dx, fx[i] + t1 * dx]),
                    np.array([fy[i] + t0 * dy, fy[i] + t1 * dy]),
                )
            )
    return runs


def _buffered(runs, buffer_m: float):
    import shapely

    shapes = [
        shapely.linestrings(np.column_stack([xs, ys]))
        if xs.size > 1
        else shapely.points(xs[0], ys[0])
        for xs, ys in runs
    ]
    return list(shapely.buffer(shapes, buffer_m, quad_segs=4))


def _fill_holes(area, fill_holes_m2: float):
    import shapely

    polygons = []
    for poly in shapely.get_parts(area):
        holes = [ring for ring in poly.interiors if shapely.Polygon(ring).area >= fill_holes_m2]
        polygons.append(shapely.Polygon(poly.exterior, holes))
    return shapely.union_all(polygons)


def _rounded(obj: Any, digits: int = 7) -> Any:
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, list | tuple):
        return [_rounded(x, digits) for x in obj]
    return obj


def isochrones(
    network: Network,
    facilities_lonlat: ArrayLike,
    minutes: Iterable[float] = DEFAULT_MINUTES,
    speed: float = DEFAULT_SPEED_MPS,
    *,
    buffer_m: float = 25.0,
    fill_holes_m2: float = 50_000.0,
    properties: Mapping[str, Any] | None = None,
) -> dict:
    """Areas within each of ``minutes`` of the nearest of the given facilities.

    ``facilities_lonlat`` is an ``(k, 2)`` array of lon/lat (``k >= 1``). Returns a
    GeoJSON ``FeatureCollection`` with one ``Polygon``/``MultiPolygon`` feature per
    time limit, in increasing order, each with properties ``minutes``, ``metres``,
    ``facilities`` and the given ``properties``. Rules of the drawing in the module
    docstring.
    """
    import shapely
    from shapely.geometry import mapping

    _check_speed(speed)
    limits = sorted({float(m) for m in minutes})
    if not limits or limits[0] <= 0:
        raise InputError("isochrone minutes must be positive numbers")
    pts = _lonlat(facilities_lonlat, "facilities")
    if len(pts) == 0:
        raise InputError("no facilities to draw isochrones around")
    nodes, access = network.snap(pts[:, 0], pts[:, 1])
    budgets = [m * 60.0 * speed for m in limits]
    dist = multi_source(network, nodes, access, budgets[-1])
    fx, fy = network.projection.forward(pts[:, 0], pts[:, 1])
    nx, ny = network.projection.forward(network.lon[nodes], network.lat[nodes])

    legs = (fx, fy, nx, ny, access)

    features = []
    raw = None  # the union of buffers so far, before hole filling
    previous = None
    lo = -1.0
    for m, budget in zip(limits, budgets, strict=True):
        # Only what the extra minutes add is buffered; the rest is in ``raw`` already.
        parts = _buffered(_new_pieces(network, dist, lo, budget, legs), buffer_m)
        raw = shapely.union_all(parts + ([raw] if raw is not None else []))
        area = _fill_holes(raw, fill_holes_m2)
        if previous is not None:
            area = shapely.union(area, previous)
        previous, lo = area, budget
        lonlat = shapely.transform(
            area, lambda xy: np.column_stack(network.projection.inverse(xy[:, 0], xy[:, 1]))
        )
        # RFC 7946: exterior rings counter-clockwise, holes clockwise.
        lonlat = shapely.orient_polygons(lonlat, exterior_cw=False)
        geometry = mapping(lonlat)
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": geometry["type"],
                    "coordinates": _rounded(geometry["coordinates"]),
                },
                "properties": {
                    "minutes": m,
                    "metres": round(budget, 1),
                    "facilities": len(pts),
                    **(properties or {}),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
