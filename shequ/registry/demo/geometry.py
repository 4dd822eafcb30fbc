"""A generated layout of the district: convex polygons in km around the real centre.

Unit centres and boundaries are not public, so the demo draws them: the six 街道 as a
compact urban core split into communities and grids, the villages of 灯塔镇 as Voronoi cells
of sites 3–15 km out (not to the east, where 龙山区 lies). Every polygon here is convex,
which keeps clipping, splitting and point sampling a few lines each.
"""

from __future__ import annotations

import math
from random import Random
from typing import Any

Point = tuple[float, float]  # (x east, y north) in km
Polygon = list[Point]  # convex, counter-clockwise, not closed

# About the centre of 西安区, Liaoyuan (the brief: 42.90° N, 125.13° E).
CENTRE_LAT, CENTRE_LON = 42.90, 125.13
_KM_PER_DEG_LAT = 111.0
_KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CENTRE_LAT))


def to_lat_lon(p: Point) -> tuple[float, float]:
    return (
        round(CENTRE_LAT + p[1] / _KM_PER_DEG_LAT, 6),
        round(CENTRE_LON + p[0] / _KM_PER_DEG_LON, 6),
    )


def geojson(poly: Polygon) -> dict[str, Any]:
    ring = [[lon, lat] for lat, lon in (to_lat_lon(p) for p in poly)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def rectangle(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def clip(poly: Polygon, a: float, b: float, c: float) -> Polygon:
    """The part of ``poly`` where a·x + b·y ≤ c (one Sutherland–Hodgman step)."""
    out: Polygon = []
    for i, p in enumerate(poly):
        q = poly[(i + 1) % len(poly)]
        fp, fq = a * p[0] + b * p[1] - c, a * q[0] + b * q[1] - c
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _edges(poly: Polygon) -> zip[tuple[Point, Point]]:
    return zip(poly, poly[1:] + poly[:1], strict=True)


def area(poly: Polygon) -> float:
    return abs(sum(p[0] * q[1] - q[0] * p[1] for p, q in _edges(poly))) / 2


def centroid(poly: Polygon) -> Point:
    a = cx = cy = 0.0
    for p, q in _edges(poly):
        cross = p[0] * q[1] - q[0] * p[1]
        a += cross
        cx += (p[0] + q[0]) * cross
        cy += (p[1] + q[1]) * cross
    if abs(a) < 1e-12:
        return (sum(p[0] for p in poly) / len(poly), sum(p[1] for p in poly) / len(poly))
    return (cx / (3 * a), cy / (3 * a))


def bbox(poly: Polygon) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in poly], [p[1] for p in poly]
    return min(xs), min(ys), max(xs), max(ys)


def contains(poly: Polygon, p: Point) -> bool:
    """Inside (or on) a counter-clockwise convex polygon."""
    return all(
        (q[0] - o[0]) * (p[1] - o[1]) - (q[1] - o[1]) * (p[0] - o[0]) >= -1e-12
        for o, q in _edges(poly)
    )


def split(poly: Polygon, weights: list[float], along_x: bool | None = None) -> list[Polygon]:
    """Cut ``poly`` into strips of the given area shares, across its longer side by default."""
    x0, y0, x1, y1 = bbox(poly)
    if along_x is None:
        along_x = (x1 - x0) >= (y1 - y0)
    lo, hi = (x0, x1) if along_x else (y0, y1)
    total = sum(weights)
    pieces, start, done = [], lo, 0.0
    for i, w in enumerate(weights):
        done += w
        end = hi if i == len(weights) - 1 else _cut_at(poly, along_x, lo, hi, done / total)
        a, b = (1.0, 0.0) if along_x else (0.0, 1.0)
        piece = clip(clip(poly, a, b, end), -a, -b, -start)
        pieces.append(piece)
        start = end
    return pieces


def _cut_at(poly: Polygon, along_x: bool, lo: float, hi: float, share: float) -> float:
    """The line position leaving ``share`` of the area on the low side (bisection)."""
    a, b = (1.0, 0.0) if along_x else (0.0, 1.0)
    whole = area(poly)
    for _ in range(30):
        mid = (lo + hi) / 2
        if area(clip(poly, a, b, mid)) < share * whole:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def voronoi_cells(sites: list[Point], frame: Polygon) -> list[Polygon]:
    """The Voronoi cell of each site inside the convex ``frame`` (half-plane clipping)."""
    cells = []
    for i, s in enumerate(sites):
        cell = frame
        for j, t in enumerate(sites):
            if i != j and cell:
                # Points closer to s than to t: 2(t−s)·p ≤ |t|² − |s|².
                cell = clip(
                    cell,
                    2 * (t[0] - s[0]),
                    2 * (t[1] - s[1]),
                    t[0] ** 2 + t[1] ** 2 - s[0] ** 2 - s[1] ** 2,
                )
        cells.append(cell)
    return cells


def hull(points: list[Point]) -> Polygon:
    """Convex hull, counter-clockwise (Andrew's monotone chain)."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def half(seq: list[Point]) -> list[Point]:
        out: list[Point] = []
        for p in seq:
            while (
                len(out) >= 2
                and (
                    (out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                    - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])
                )
                <= 0
            ):
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return lower[:-1] + upper[:-1]


def outline(cells: list[Polygon]) -> Polygon:
    """The outer ring of adjacent cells of one Voronoi diagram (their union, not convex).

    Neighbouring cells share each common edge exactly, walked in opposite directions, so the
    edges left after cancelling those pairs are the outline; they are chained into the
    longest ring (the union of a town's villages has no holes here).
    """

    def key(p: Point) -> tuple[float, float]:
        return (round(p[0], 6), round(p[1], 6))

    edges: dict[tuple[float, float], list[tuple[float, float]]] = {}
    seen: set[tuple[tuple[float, float], tuple[float, float]]] = set()
    for cell in cells:
        for p, q in _edges(cell):
            a, b = key(p), key(q)
            if a == b:
                continue
            if (b, a) in seen:
                seen.discard((b, a))
            else:
                seen.add((a, b))
    for a, b in seen:
        edges.setdefault(a, []).append(b)
    rings: list[Polygon] = []
    while edges:
        start = next(iter(edges))
        ring, here = [start], start
        while True:
            nexts = edges.get(here)
            if not nexts:
                break
            nxt = nexts.pop()
            if not nexts:
                del edges[here]
            if nxt == start:
                break
            ring.append(nxt)
            here = nxt
        rings.append(ring)
    return max(rings, key=len) if rings else []


def circle(radius: float, sides: int = 24) -> Polygon:
    return [
        (radius * math.cos(2 * math.pi * k / sides), radius * math.sin(2 * math.pi * k / sides))
        for k in range(sides)
    ]


def random_point(rng: Random, poly: Polygon) -> Point:
    x0, y0, x1, y1 = bbox(poly)
    for _ in range(50):
        p = (rng.uniform(x0, x1), rng.uniform(y0, y1))
        if contains(poly, p):
            return p
    return centroid(poly)


def polar(bearing_deg: float, distance_km: float) -> Point:
    """A point at a compass bearing (0° north, 90° east) and distance from the centre."""
    r = math.radians(bearing_deg)
    return (distance_km * math.sin(r), distance_km * math.cos(r))
