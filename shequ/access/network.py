"""The walking network as plain numpy arrays.

A :class:`Network` is an undirected graph: nodes with an id and a lon/lat, and
edges with a length in metres. For searching, the edges are also stored as a
CSR adjacency (``indptr``, ``indices``, ``weights``) holding each edge in both
directions — one-way streets are two-way for walkers. An edge may carry its
geometry (the OSM nodes between its two ends), used only to draw isochrones;
its ``length`` is measured along that geometry.

Parallel edges are kept (a road and its mapped sidewalk may join the same two
intersections); self-loops are dropped, they never shorten a path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .errors import InputError, NetworkError
from .geo import LocalProjection, haversine_m


@dataclass(eq=False)
class EdgeGeometry:
    """Polylines of the edges: edge ``e`` runs through points ``start[e]..stop[e]`` (inclusive)
    of ``lon``/``lat``, from its ``u`` end to its ``v`` end."""

    start: NDArray[np.int64]
    stop: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]

    def take(self, edges: NDArray) -> EdgeGeometry:
        return EdgeGeometry(self.start[edges], self.stop[edges], self.lon, self.lat)


@dataclass(eq=False)
class Network:
    """A walking network. Build it with :meth:`from_edges` or :func:`shequ.access.load_network`.

    Node ``i`` has id ``node_id[i]`` and position ``lon[i], lat[i]``. Edge ``e`` joins
    ``edge_u[e]`` and ``edge_v[e]`` with ``edge_length[e]`` metres. The CSR arrays hold
    both directions of every edge; ``arc_edge[a]`` is the edge of arc ``a``. The CSR
    weights are float32 (sub-millimetre for any street edge) to halve the memory the
    search streams through; distances are accumulated in float64.
    """

    node_id: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    edge_u: NDArray[np.int32]
    edge_v: NDArray[np.int32]
    edge_length: NDArray[np.float64]
    indptr: NDArray[np.int32]
    indices: NDArray[np.int32]
    weights: NDArray[np.float32]
    arc_edge: NDArray[np.int32]
    geometry: EdgeGeometry | None = None
    projection: LocalProjection = field(init=False)
    _tree: cKDTree | None = field(default=None, init=False, repr=False)
    _search_cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.projection = LocalProjection.around(self.lon, self.lat)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_edges(
        cls,
        lon: ArrayLike,
        lat: ArrayLike,
        u: ArrayLike,
        v: ArrayLike,
        length: ArrayLike | None = None,
        *,
        node_id: ArrayLike | None = None,
        largest_component: bool = True,
        geometry: EdgeGeometry | None = None,
    ) -> Network:
        """Build a network from node coordinates and undirected edges ``u[i]–v[i]``.

        ``length`` defaults to the great-circle distance between the two ends. With
        ``largest_component`` (the default) only the largest connected component is
        kept, and nodes are renumbered (``node_id`` keeps the caller's ids, which
        default to the input positions ``0..n-1``). Raises :class:`NetworkError` on
        inconsistent input or when no edge is left.
        """
        lon = np.ascontiguousarray(lon, dtype=np.float64).ravel()
        lat = np.ascontiguousarray(lat, dtype=np.float64).ravel()
        u = np.asarray(u).ravel()
        v = np.asarray(v).ravel()
        n = lon.size
        if lat.size != n:
            raise NetworkError(f"lon and lat differ in length ({n} and {lat.size})")
        if u.size != v.size:
            raise NetworkError(f"u and v differ in length ({u.size} and {v.size})")
        if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
            raise NetworkError("node coordinates must be finite")
        if n and (np.abs(lat).max() > 90 or np.abs(lon).max() > 180):
            raise NetworkError("node coordinates must be lon/lat in degrees")
        if u.size and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
            raise NetworkError(f"edge ends must be node positions in 0..{n - 1}")
        u = u.astype(np.int64)
        v = v.astype(np.int64)
        if length is None:
            length = haversine_m(lon[u], lat[u], lon[v], lat[v])
        length = np.ascontiguousarray(length, dtype=np.float64).ravel()
        if length.size != u.size:
            raise NetworkError(f"{length.size} lengths for {u.size} edges")
        if not np.all(np.isfinite(length)) or (length.size and length.min() < 0):
            raise NetworkError("edge lengths must be finite and non-negative")
        ids = (
            np.arange(n, dtype=np.int64)
            if node_id is None
            else np.asarray(node_id, dtype=np.int64).ravel()
        )
        if ids.size != n:
            raise NetworkError(f"{ids.size} node ids for {n} nodes")

        keep_edge = u != v
        if geometry is not None:
            geometry = geometry.take(np.flatnonzero(keep_edge))
        u, v, length = u[keep_edge], v[keep_edge], length[keep_edge]
        if u.size == 0:
            raise NetworkError("the network has no edges")

        if largest_component:
            graph = coo_matrix((np.ones(u.size, np.int8), (u, v)), shape=(n, n))
            _, label = connected_components(graph, directed=False)
            # Isolated nodes form their own components; only nodes on edges count.
            sizes = np.bincount(label[u], minlength=label.max() + 1)
            keep_node = label == np.argmax(sizes)
            new_index = np.cumsum(keep_node) - 1
            keep_edge = keep_node[u]
            u, v, length = new_index[u[keep_edge]], new_index[v[keep_edge]], length[keep_edge]
            if geometry is not None:
                geometry = geometry.take(np.flatnonzero(keep_edge))
            lon, lat, ids = lon[keep_node], lat[keep_node], ids[keep_node]
            n = lon.size
        return cls._assemble(ids, lon, lat, u, v, length, geometry)

    @classmethod
    def _assemble(cls, ids, lon, lat, u, v, length, geometry) -> Network:
        n = lon.size
        m = u.size
        tail = np.concatenate([u, v])
        head = np.concatenate([v, u]).astype(np.int32)
        order = np.argsort(tail, kind="stable")
        if 2 * m >= 2**31:
            raise NetworkError(f"too many edges ({m}) for 32-bit adjacency indices")
        indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
        arc_edge = np.concatenate([np.arange(m, dtype=np.int32)] * 2)[order]
        return cls(
            node_id=ids,
            lon=lon,
            lat=lat,
            edge_u=u.astype(np.int32),
            edge_v=v.astype(np.int32),
            edge_length=length,
            indptr=indptr,
            indices=np.ascontiguousarray(head[order]),
            weights=np.concatenate([length, length])[order].astype(np.float32),
            arc_edge=arc_edge,
            geometry=geometry,
        )

    def reordered(self, order: NDArray) -> Network:
        """The same network with node ``order[i]`` renumbered ``i`` (for memory locality)."""
        new_index = np.empty_like(order)
        new_index[order] = np.arange(order.size)
        return self._assemble(
            self.node_id[order],
            self.lon[order],
            self.lat[order],
            new_index[self.edge_u],
            new_index[self.edge_v],
            self.edge_length,
            self.geometry,
        )

    # -- queries ------------------------------------------------------------------------

    @property
    def n_nodes(self) -> int:
        return int(self.lon.size)

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.size)

    def __repr__(self) -> str:
        return f"<Network {self.n_nodes} nodes, {self.n_edges} edges>"

    def xy(self) -> tuple[NDArray, NDArray]:
        """Node positions in metres in the network's local projection."""
        return self.projection.forward(self.lon, self.lat)

    def kdtree(self) -> cKDTree:
        """The nearest-node index, built on first use and kept."""
        if self._tree is None:
            x, y = self.xy()
            self._tree = cKDTree(np.column_stack([x, y]))
        return self._tree

    def snap(self, lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Nearest node of each point, and the straight-line access leg to it in metres.

        The nearest node is found in the local projection; the leg is then measured
        on the sphere. Non-finite coordinates raise :class:`InputError`.
        """
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        if lon.shape != lat.shape:
            raise InputError(f"lon and lat differ in shape ({lon.shape} and {lat.shape})")
        if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
            raise InputError("points to snap must have finite coordinates")
        if lon.size == 0:
            return np.zeros(lon.shape, np.int64), np.zeros(lon.shape, np.float64)
        x, y = self.projection.forward(lon.ravel(), lat.ravel())
        _, idx = self.kdtree().query(np.column_stack([x, y]), k=1, workers=-1)
        idx = idx.astype(np.int64)
        access = haversine_m(lon.ravel(), lat.ravel(), self.lon[idx], self.lat[idx])
        return idx.reshape(lon.shape), access.reshape(lon.shape)

    def nodes_within(self, area: Any) -> NDArray[np.int64]:
        """Positions of the nodes inside ``area``: a GeoJSON geometry (dict) or a shapely
        geometry in lon/lat — e.g. a community's boundary, to draw siting candidates from."""
        import shapely
        from shapely.geometry import shape

        geometry = shape(area) if isinstance(area, dict) else area
        return np.flatnonzero(shapely.contains_xy(geometry, self.lon, self.lat)).astype(np.int64)

    def index_of(self, node_id: ArrayLike) -> NDArray[np.int64]:
        """Positions of the given node ids (``-1`` for ids not in the network)."""
        node_id = np.asarray(node_id, dtype=np.int64)
        order = np.argsort(self.node_id)
        pos = np.searchsorted(self.node_id, node_id, sorter=order)
        pos = np.clip(pos, 0, max(self.n_nodes - 1, 0))
        found = order[pos]
        return np.where(self.node_id[found] == node_id, found, -1).astype(np.int64)

    def edge_polyline(self, e: int) -> tuple[NDArray, NDArray]:
        """lon, lat of the points of edge ``e`` from its ``u`` end to its ``v`` end."""
        if self.geometry is None:
            ends = [self.edge_u[e], self.edge_v[e]]
            return self.lon[ends], self.lat[ends]
        g = self.geometry
        sl = slice(g.start[e], g.stop[e] + 1)
        return g.lon[sl], g.lat[sl]

    # -- persistence --------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the network to a ``.npz`` file that :func:`load_network` reads back."""
        arrays = {
            "node_id": self.node_id,
            "lon": self.lon,
            "lat": self.lat,
            "edge_u": self.edge_u,
            "edge_v": self.edge_v,
            "edge_length": self.edge_length,
        }
        if self.geometry is not None:
            g = self.geometry
            arrays |= {
                "geom_start": g.start,
                "geom_stop": g.stop,
                "geom_lon": g.lon,
                "geom_lat": g.lat,
            }
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Network:
        """Read a network written by :meth:`save`."""
        try:
            with np.load(path) as z:
                data = {k: z[k] for k in z.files}
        except (OSError, ValueError) as exc:
            raise NetworkError(f"{path}: not a saved network ({exc})") from exc
        required = {"node_id", "lon", "lat", "edge_u", "edge_v", "edge_length"}
        if missing := required - data.keys():
            raise NetworkError(
                f"{path}: not a saved network (missing {', '.join(sorted(missing))})"
            )
        geometry = None
        if "geom_start" in data:
            geometry = EdgeGeometry(
                data["geom_start"], data["geom_stop"], data["geom_lon"], data["geom_lat"]
            )
        return cls.from_edges(
            data["lon"],
            data["lat"],
            data["edge_u"],
            data["edge_v"],
            data["edge_length"],
            node_id=data["node_id"],
            largest_component=False,
            geometry=geometry,
        )


def hilbert_order(x: NDArray, y: NDArray, bits: int = 16) -> NDArray[np.int64]:
    """Permutation sorting points along a Hilbert curve, so that nodes near each
    other on the ground are near each other in memory (fewer cache misses in searches)."""
    if x.size == 0:
        return np.zeros(0, np.int64)
    side = (1 << bits) - 1
    span_x = max(float(x.max() - x.min()), 1e-9)
    span_y = max(float(y.max() - y.min()), 1e-9)
    xi = ((x - x.min()) / span_x * side).astype(np.int64)
    yi = ((y - y.min()) / span_y * side).astype(np.int64)
    d = np.zeros(x.size, dtype=np.int64)
    s = 1 << (bits - 1)
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        # rotate the quadrant so the curve stays continuous
        flip = ~ry
        swap_x = np.where(flip & rx, side - xi, xi)
        swap_y = np.where(flip & rx, side - yi, yi)
        xi = np.where(flip, swap_y, xi)
        yi = np.where(flip, swap_x, yi)
        s >>= 1
    return np.argsort(d, kind="stable")
