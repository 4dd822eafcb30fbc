"""Multi-source shortest paths: walking distance to the nearest facility.

One search per facility type, seeded with every facility of that type at once
(each at its snapped node, starting at its own access leg), gives the distance
from every node to the nearest facility of the type; an origin's distance is then
its node's value plus its own access leg. Walking is symmetric, so the distance
*from* the nearest facility is the distance *to* it.

Distances are in metres. Inside the engine "unreachable" is ``inf``; what this
module returns to callers is ``NaN`` for unreachable or beyond the cut-off, never
``0`` or ``inf``.

Two engines give the same result: a compiled bucket-queue Dijkstra (numba, see
``_kernels``) that runs the facility types in parallel threads, and a fallback on
``scipy.sparse.csgraph.dijkstra`` used when numba is not installed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .errors import InputError
from .network import Network

try:
    from . import _kernels
except ImportError:  # numba missing: the scipy engine still works, only slower
    _kernels = None

DEFAULT_SPEED_MPS = 1.2  # a common planning figure for adult walking speed
_SORT_ORIGINS_ABOVE = 200_000  # nodes; below, dist[] stays in cache and sorting does not pay
ENGINES = ("numba", "scipy")


def default_engine() -> str:
    return "numba" if _kernels is not None else "scipy"


def resolve_engine(engine: str | None) -> str:
    """``engine`` or the default; :class:`InputError` if unknown or not installed."""
    engine = engine or default_engine()
    if engine not in ENGINES or (engine == "numba" and _kernels is None):
        raise InputError(f"unknown or unavailable engine {engine!r}")
    return engine


def to_minutes(metres: ArrayLike, speed: float = DEFAULT_SPEED_MPS) -> NDArray:
    """Walking time in minutes for distances in metres (NaN stays NaN)."""
    return np.asarray(metres, dtype=np.float64) / (speed * 60.0)


def cutoff_metres(
    cutoff_minutes: float | None = None,
    cutoff_m: float | None = None,
    speed: float = DEFAULT_SPEED_MPS,
) -> float:
    """The search limit in metres from a cut-off in minutes or metres (``inf`` if none)."""
    _check_speed(speed)
    if cutoff_minutes is not None and cutoff_m is not None:
        raise InputError("give the cut-off in minutes or in metres, not both")
    if cutoff_minutes is not None:
        cutoff_m = float(cutoff_minutes) * 60.0 * speed
    if cutoff_m is None:
        return np.inf
    cutoff_m = float(cutoff_m)
    if not cutoff_m >= 0:
        raise InputError(f"the cut-off must be a non-negative number, not {cutoff_m}")
    return cutoff_m


def _check_speed(speed: float) -> None:
    if not (np.isfinite(speed) and speed > 0):
        raise InputError(f"the walking speed must be a positive number of m/s, not {speed}")


# -- engine plumbing ------------------------------------------------------------------------


class _Workspace:
    """Arrays one search thread reuses across searches (``dist`` is all ``inf`` between them)."""

    def __init__(self, n: int, nb: int) -> None:
        self.dist = np.full(n, np.inf)
        cap = n + n // 4 + 1024
        self.enode = np.empty(cap, np.int32)
        self.ekey = np.empty(cap, np.float64)
        self.enext = np.empty(cap, np.int32)
        self.head = np.full(nb, -1, np.int32)

    def grow(self, size: int, keep: int = 0) -> None:
        """Enlarge the entry pool to ``size``, keeping its first ``keep`` entries."""
        for name, dtype in (("enode", np.int32), ("ekey", np.float64), ("enext", np.int32)):
            new = np.empty(size, dtype)
            new[:keep] = getattr(self, name)[:keep]
            setattr(self, name, new)


class _Engine:
    """Per-network search state: bucket width and a pool of workspaces."""

    def __init__(self, network: Network) -> None:
        w = network.weights
        positive = w[w > 0]
        # Buckets about as wide as the shorter edges: wide enough that few are
        # empty, narrow enough that few nodes are expanded twice.
        self.delta = float(max(np.quantile(positive, 0.1), 1e-3)) if positive.size else 1.0
        self.max_w = max_w = float(w.max()) if w.size else 0.0
        if max_w / self.delta > 1 << 22:  # keep the circular bucket array small
            self.delta = max_w / (1 << 22)
        self.nb = int(max_w / self.delta) + 2
        self.n = network.n_nodes
        self._free: list[_Workspace] = []
        self._lock = threading.Lock()

    def take(self) -> _Workspace:
        with self._lock:
            if self._free:
                return self._free.pop()
        return _Workspace(self.n, self.nb)

    def give_back(self, ws: _Workspace) -> None:
        with self._lock:
            self._free.append(ws)


_engine_lock = threading.Lock()


def _engine(network: Network) -> _Engine:
    cache = network._search_cache
    with _engine_lock:
        if "engine" not in cache:
            cache["engine"] = _Engine(network)
        return cache["engine"]


def _search_numba(network: Network, eng: _Engine, ws: _Workspace, nodes, offsets, limit) -> int:
    """Run one search in ``ws``; returns how many pool entries (touched nodes) it used."""
    if ws.enode.size < nodes.size:
        ws.grow(nodes.size)
    if nodes.size:
        # Buckets must span the longest edge plus the spread of the start offsets, or
        # late sources would be expanded early (still exact, but wasted work).
        spread = min(float(offsets.max() - offsets.min()), limit)
        needed = int((eng.max_w + spread) / eng.delta) + 2
        if ws.head.size < needed:
            ws.head = np.full(needed, -1, np.int32)
    state = np.zeros(4, np.int64)
    _kernels.seed(
        nodes, offsets, limit, eng.delta, ws.head, ws.dist, ws.enode, ws.ekey, ws.enext, state
    )
    args = (network.indptr, network.indices, network.weights, limit, eng.delta, ws.head, ws.dist)
    while _kernels.expand(*args, ws.enode, ws.ekey, ws.enext, state):
        ws.grow(2 * ws.enode.size, keep=int(state[0]))
    return int(state[0])


def _scipy_graph(network: Network) -> csr_matrix:
    cache = network._search_cache
    if "scipy" not in cache:
        # Zero-length edges stay explicit zeros, which csgraph takes as edges.
        w = network.weights.astype(np.float64)
        n = network.n_nodes
        cache["scipy"] = csr_matrix((w, network.indices, network.indptr), shape=(n, n))
    return cache["scipy"]


def _search_scipy(network: Network, nodes, offsets, limit) -> NDArray:
    """Multi-source search as one scipy Dijkstra from a virtual node linked to every source."""
    n = network.n_nodes
    g = _scipy_graph(network)
    indptr = np.concatenate([g.indptr, [g.indptr[-1] + nodes.size]])
    indices = np.concatenate([g.indices, nodes.astype(g.indices.dtype)])
    data = np.concatenate([g.data, offsets])
    big = csr_matrix((data, indices, indptr), shape=(n + 1, n + 1))
    dist = dijkstra(big, directed=True, indices=n, limit=limit)[:n]
    return dist


def _prepare_sources(
    network: Network, nodes: ArrayLike, offsets: ArrayLike | None
) -> tuple[NDArray, NDArray]:
    nodes = np.asarray(nodes, dtype=np.int64).ravel()
    offsets = (
        np.zeros(nodes.size) if offsets is None else np.asarray(offsets, dtype=np.float64).ravel()
    )
    if offsets.size != nodes.size:
        raise InputError(f"{offsets.size} offsets for {nodes.size} source nodes")
    if nodes.size and (nodes.min() < 0 or nodes.max() >= network.n_nodes):
        raise InputError(f"source nodes must be in 0..{network.n_nodes - 1}")
    if not np.all(np.isfinite(offsets)) or (offsets.size and offsets.min() < 0):
        raise InputError("source offsets must be finite and non-negative")
    return nodes, offsets


# -- public functions -----------------------------------------------------------------------


def multi_source(
    network: Network,
    nodes: ArrayLike,
    offsets: ArrayLike | None = None,
    limit_m: float = np.inf,
    *,
    engine: str | None = None,
) -> NDArray[np.float64]:
    """Distance in metres from every node to the nearest source.

    ``nodes`` are source node positions, ``offsets`` the distance already walked to
    reach each (default 0). Nodes farther than ``limit_m`` (or not connected) get
    ``inf``.
    """
    nodes, offsets = _prepare_sources(network, nodes, offsets)
    limit = float(limit_m)
    engine = resolve_engine(engine)
    if nodes.size == 0:
        return np.full(network.n_nodes, np.inf)
    if engine == "scipy":
        return _search_scipy(network, nodes, offsets, limit)
    eng = _engine(network)
    ws = eng.take()
    try:
        top = _search_numba(network, eng, ws, nodes, offsets, limit)
        result = ws.dist.copy()
        _kernels.reset(ws.dist, ws.enode, top)
    finally:
        eng.give_back(ws)
    return result


def distances_from_snapped(
    network: Network,
    origin_nodes: ArrayLike,
    origin_access: ArrayLike,
    facilities: Mapping[Any, tuple[ArrayLike, ArrayLike]],
    limit_m: float = np.inf,
    *,
    engine: str | None = None,
    threads: int | None = None,
) -> dict[Any, NDArray[np.float64]]:
    """Per facility type, each origin's distance in metres to the nearest facility.

    Origins and facilities are already snapped: ``origin_nodes``/``origin_access``
    and, per type, ``(facility_nodes, facility_access)``. The distance counts both
    access legs. ``NaN`` means unreachable or beyond ``limit_m``. Types are searched
    in parallel threads (``threads`` defaults to the number of CPUs).
    """
    onodes = np.asarray(origin_nodes, dtype=np.int64).ravel()
    oacc = np.asarray(origin_access, dtype=np.float64).ravel()
    if onodes.size != oacc.size:
        raise InputError(f"{oacc.size} access legs for {onodes.size} origins")
    if onodes.size and (onodes.min() < 0 or onodes.max() >= network.n_nodes):
        raise InputError(f"origin nodes must be in 0..{network.n_nodes - 1}")
    limit = float(limit_m)
    engine = resolve_engine(engine)
    sources = {key: _prepare_sources(network, *pair) for key, pair in facilities.items()}
    todo = [key for key, (nodes, _) in sources.items() if nodes.size]
    # Searched types are written whole by the gather; the others stay unreachable.
    out = {
        key: np.empty(onodes.size) if key in todo else np.full(onodes.size, np.nan)
        for key in sources
    }
    if not todo:
        return out

    if engine == "scipy":
        for key in todo:
            d = _search_scipy(network, *sources[key], limit)[onodes] + oacc
            d[~(np.isfinite(d) & (d <= limit))] = np.nan
            out[key] = d
        return out

    eng = _engine(network)
    order = np.arange(onodes.size)
    if network.n_nodes > _SORT_ORIGINS_ABOVE:
        # dist[] no longer fits in cache: read it in node order (scattering the writes).
        order = np.argsort(onodes)
    sorted_nodes, sorted_acc = onodes[order], oacc[order]

    def run(keys: list) -> None:
        ws = eng.take()
        try:
            for key in keys:
                top = _search_numba(network, eng, ws, *sources[key], limit)
                _kernels.gather_and_reset(
                    ws.dist, ws.enode, top, sorted_nodes, sorted_acc, order, limit, out[key]
                )
        finally:
            eng.give_back(ws)

    n_threads = max(1, min(len(todo), threads or os.cpu_count() or 1))
    if n_threads == 1:
        run(todo)
    else:
        chunks = [todo[i::n_threads] for i in range(n_threads)]
        with ThreadPoolExecutor(n_threads) as pool:
            for f in [pool.submit(run, chunk) for chunk in chunks]:
                f.result()
    return out


def _lonlat(points: ArrayLike, what: str) -> NDArray[np.float64]:
    arr = np.asarray(points, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, 2))
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InputError(f"{what} must be an array of (lon, lat) pairs, got shape {arr.shape}")
    return arr


def nearest_by_type(
    network: Network,
    origins_lonlat: ArrayLike,
    facilities: Mapping[Any, ArrayLike],
    speed: float = DEFAULT_SPEED_MPS,
    cutoff_minutes: float | None = None,
    *,
    cutoff_m: float | None = None,
    engine: str | None = None,
) -> dict[Any, NDArray[np.float64]]:
    """Walking distance in metres from each origin to the nearest facility of each type.

    ``origins_lonlat`` is an ``(n, 2)`` array of lon/lat; ``facilities`` maps each type
    to an ``(k, 2)`` array of lon/lat (``k`` may be 0: that type is unreachable for
    all). Both are snapped to their nearest node and the straight access legs are
    added. Returns ``{type: metres}`` with ``NaN`` for unreachable or beyond the
    cut-off (given in minutes at ``speed`` m/s, or in metres). Divide by
    ``speed * 60`` (:func:`to_minutes`) for minutes.
    """
    limit = cutoff_metres(cutoff_minutes, cutoff_m, speed)
    origins = _lonlat(origins_lonlat, "origins")
    onodes, oacc = network.snap(origins[:, 0], origins[:, 1])
    snapped = {}
    for key, pts in facilities.items():
        pts = _lonlat(pts, f"facilities of type {key!r}")
        snapped[key] = network.snap(pts[:, 0], pts[:, 1])
    return distances_from_snapped(network, onodes, oacc, snapped, limit, engine=engine)
