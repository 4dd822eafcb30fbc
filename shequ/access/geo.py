"""Great-circle lengths and a local metric projection.

Lengths use the haversine formula on a sphere of the mean Earth radius, which
is within 0.5 % of the ellipsoid — far below the error of snapping a building
to a street node. The projection is an equirectangular one centred on the
network: it is only used to find nearest neighbours and to draw isochrones,
never to measure a distance that is reported.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> NDArray:
    """Great-circle distance in metres between points given in degrees (broadcasting)."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2)
    )
    s = (
        np.sin((lat2 - lat1) / 2.0) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(s, 0.0, 1.0)))


class LocalProjection:
    """Equirectangular projection in metres around (lon0, lat0).

    Good to well under 1 % over a city (tens of kilometres), which is all we
    ask of it: ranking neighbours and drawing polygons.
    """

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0 = float(lon0)
        self.lat0 = float(lat0)
        self._kx = EARTH_RADIUS_M * np.cos(np.radians(self.lat0)) * np.pi / 180.0
        self._ky = EARTH_RADIUS_M * np.pi / 180.0

    @classmethod
    def around(cls, lon: NDArray, lat: NDArray) -> LocalProjection:
        """A projection centred on the middle of the given points."""
        if len(lon) == 0:
            return cls(0.0, 0.0)
        return cls(0.5 * (np.min(lon) + np.max(lon)), 0.5 * (np.min(lat) + np.max(lat)))

    def forward(self, lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        return (lon - self.lon0) * self._kx, (lat - self.lat0) * self._ky

    def inverse(self, x: ArrayLike, y: ArrayLike) -> tuple[NDArray, NDArray]:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        return x / self._kx + self.lon0, y / self._ky + self.lat0
