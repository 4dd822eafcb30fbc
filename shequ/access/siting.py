"""Siting: where to add k facilities to cover the most uncovered weight.

Maximal covering by the greedy rule: origins (buildings) already within the
standard walk of an existing facility are covered; a candidate site (a network
node) covers the origins whose walk to it — network distance plus the origin's
access leg — is within the standard. Each candidate's reach is found with one
bounded search (it stops at the standard, so it costs the few hundred nodes around
the site, not the network); the greedy then takes k times the candidate adding the
most uncovered weight.

Coverage is kept per node rather than per origin: a site ``d`` metres from node
``j`` leaves a budget ``standard - d`` for the access legs of the origins at ``j``,
which are sorted, so the covered ones are a prefix and a node's state is a single
number, the largest budget granted so far. This keeps memory to the nodes each
candidate reaches, however many buildings stand at them.

The greedy is within ``1 - (1 - 1/k)^k`` (≥ 1 - 1/e ≈ 63 %) of the best k sites.
The result also states an upper bound on the best, from submodularity: after any
number of picks, the weight covered so far plus the k largest remaining marginal
gains bounds the optimum; the smallest such bound over the run (and the weight any
candidate can reach at all) is reported, so ``greedy / upper_bound`` is a
guarantee for this instance, usually far tighter than 63 %.
"""

from __future__ import annotations

import heapq
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import dijkstra

from .errors import InputError
from .network import Network
from .search import (
    DEFAULT_SPEED_MPS,
    _engine,
    _kernels,
    _lonlat,
    _scipy_graph,
    cutoff_metres,
    distances_from_snapped,
    multi_source,
    resolve_engine,
)

try:
    from numba import njit

    _jit = njit(nogil=True, cache=True)
except ImportError:  # the same loops run as plain Python, slowly

    def _jit(f):
        return f


@dataclass(frozen=True)
class SitingResult:
    """The sites picked, in order, and how good the pick provably is.

    ``gains[i]`` is the weight newly covered by the ``i``-th site. ``upper_bound`` is
    an upper bound on the weight the best ``k`` new sites could newly cover, so
    ``ratio = sum(gains) / upper_bound`` is at least ``guarantee`` (``1-(1-1/k)^k``).
    """

    nodes: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    gains: NDArray[np.float64]
    total_weight: float
    covered_before: float
    coverable: float
    upper_bound: float
    guarantee: float
    candidates: int

    @property
    def gained(self) -> float:
        return float(self.gains.sum())

    @property
    def covered_after(self) -> float:
        return self.covered_before + self.gained

    @property
    def ratio(self) -> float:
        """Greedy gain over the upper bound: a lower bound on greedy / optimum."""
        return 1.0 if self.upper_bound <= 0 else self.gained / self.upper_bound


# -- coverage state kept per node ---------------------------------------------------------------


@_jit
def _weight_within(j, budget, optr, acc, prefix):
    """Weight of the origins at node ``j`` whose access leg is at most ``budget``."""
    lo = optr[j]
    a, b = lo, optr[j + 1]
    while a < b:  # acc[lo:hi] is sorted: binary search for the end of the prefix
        mid = (a + b) >> 1
        if acc[mid] <= budget:
            a = mid + 1
        else:
            b = mid
    return prefix[a] - prefix[lo]


@_jit
def _gain(c, cptr, cnode, cbudget, optr, acc, prefix, granted):
    """Uncovered weight candidate ``c`` would cover, given the budgets granted so far."""
    total = 0.0
    for e in range(cptr[c], cptr[c + 1]):
        j = cnode[e]
        b = cbudget[e]
        if b > granted[j]:
            total += _weight_within(j, b, optr, acc, prefix) - _weight_within(
                j, granted[j], optr, acc, prefix
            )
    return total


@_jit
def _all_gains(cptr, cnode, cbudget, optr, acc, prefix, granted):
    out = np.zeros(cptr.size - 1)
    for c in range(cptr.size - 1):
        out[c] = _gain(c, cptr, cnode, cbudget, optr, acc, prefix, granted)
    return out


@_jit
def _grant(c, cptr, cnode, cbudget, granted):
    for e in range(cptr[c], cptr[c + 1]):
        j = cnode[e]
        if cbudget[e] > granted[j]:
            granted[j] = cbudget[e]


# -- reach of each candidate --------------------------------------------------------------------


def _cover_sets_scipy(network, cands, limit, optr, acc):
    """Same as the compiled ``cover_sets``, by batches of scipy bounded Dijkstra searches."""
    g = _scipy_graph(network)
    has = np.flatnonzero(np.diff(optr) > 0)  # nodes with origins
    batch = max(1, 4_000_000 // max(network.n_nodes, 1))
    ptr, nodes, budgets = [0], [], []
    for i in range(0, cands.size, batch):
        d = dijkstra(g, directed=True, indices=cands[i : i + batch], limit=limit)[:, has]
        for row in d:
            budget = limit - row
            keep = budget >= acc[optr[has]]  # inf distance gives -inf budget: dropped
            nodes.append(has[keep].astype(np.int32))
            budgets.append(budget[keep])
            ptr.append(ptr[-1] + int(keep.sum()))
    if not nodes:
        return np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0)
    return np.asarray(ptr, np.int64), np.concatenate(nodes), np.concatenate(budgets)


def _cover_sets(network, cands, limit, optr, acc, engine):
    """Per candidate (CSR): the nodes with coverable origins it reaches, and their budgets."""
    if engine == "scipy":
        return _cover_sets_scipy(network, cands, limit, optr, acc)
    eng = _engine(network)

    def run(part: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        ws = eng.take()
        try:
            cptr, cnode, cbudget, ws.enode, ws.ekey, ws.enext = _kernels.cover_sets(
                network.indptr,
                network.indices,
                network.weights,
                part,
                limit,
                eng.delta,
                ws.head,
                ws.dist,
                ws.enode,
                ws.ekey,
                ws.enext,
                optr,
                acc,
            )
        finally:
            eng.give_back(ws)
        return cptr, cnode, cbudget

    n_threads = max(1, min(os.cpu_count() or 1, cands.size // 256))
    if n_threads == 1:
        return run(cands)
    with ThreadPoolExecutor(n_threads) as pool:
        parts = list(pool.map(run, np.array_split(cands, n_threads)))
    offsets = np.cumsum([0] + [p[1].size for p in parts[:-1]])
    cptr = np.concatenate([[0]] + [p[0][1:] + off for p, off in zip(parts, offsets, strict=True)])
    return cptr, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])


# -- the greedy ---------------------------------------------------------------------------------


def _greedy(k: int, cover, index, n_nodes: int) -> tuple[NDArray, NDArray, float]:
    """Greedy maximal covering, evaluated lazily (Minoux): returns picks, gains and a bound.

    A candidate's stored gain, computed at an earlier step, can only have shrunk since
    (submodularity), so it is an upper bound: only candidates reaching the top of the
    heap are re-evaluated. At each step the ``k`` best exact marginal gains are drawn
    that way; the weight covered so far plus their sum bounds the optimum from above,
    and the first of them is the greedy's pick.
    """
    cptr, cnode, cbudget = cover
    optr, acc, prefix = index
    granted = np.full(n_nodes, -1.0)  # access legs are >= 0: nothing covered yet

    def gain(c: int) -> float:
        return float(_gain(c, cptr, cnode, cbudget, optr, acc, prefix, granted))

    initial = _all_gains(cptr, cnode, cbudget, optr, acc, prefix, granted)
    heap = [(-g, c, 0) for c, g in enumerate(initial.tolist()) if g > 0]
    heapq.heapify(heap)
    picks: list[int] = []
    gains: list[float] = []
    bound = np.inf
    so_far = 0.0
    for step in range(k + 1):
        best: list[tuple[float, int]] = []  # the k best exact gains at this step
        while heap and len(best) < k:
            neg, c, when = heapq.heappop(heap)
            if when == step:
                best.append((-neg, c))
            elif (g := gain(c)) > 0:
                heapq.heappush(heap, (-g, c, step))
        bound = min(bound, so_far + sum(g for g, _ in best))
        if step == k or not best:
            break
        g, c = best[0]
        picks.append(c)
        gains.append(g)
        so_far += g
        _grant(c, cptr, cnode, cbudget, granted)
        for g_other, other in best[1:]:  # stale from the next step on
            heapq.heappush(heap, (-g_other, other, step))
    return np.asarray(picks, np.int64), np.asarray(gains, np.float64), bound


def site_facilities(
    network: Network,
    origins_lonlat: ArrayLike,
    weights: ArrayLike,
    k: int,
    standard_m: float | None = None,
    *,
    standard_minutes: float | None = None,
    speed: float = DEFAULT_SPEED_MPS,
    existing_lonlat: ArrayLike | None = None,
    candidates: ArrayLike | None = None,
    engine: str | None = None,
) -> SitingResult:
    """Choose ``k`` new facility sites covering the most uncovered weight within the standard.

    ``origins_lonlat`` (``(n, 2)``) and ``weights`` (``n`` non-negative numbers, e.g.
    households per building) describe demand; ``existing_lonlat`` the facilities of
    this type already there. The standard is ``standard_m`` metres or
    ``standard_minutes`` at ``speed``. ``candidates`` are node positions allowed as
    sites (default: every node, pruned to those within the standard of some
    uncovered origin). Fewer than ``k`` sites are returned when nothing more can be
    covered. See :class:`SitingResult` for the bound reported.
    """
    if int(k) != k or k < 1:
        raise InputError(f"k must be a positive integer, not {k!r}")
    k = int(k)
    limit = cutoff_metres(standard_minutes, standard_m, speed)
    if not np.isfinite(limit):
        raise InputError("siting needs a standard (in metres or minutes)")
    engine = resolve_engine(engine)
    origins = _lonlat(origins_lonlat, "origins")
    weight = np.asarray(weights, dtype=np.float64).ravel()
    if weight.size != len(origins):
        raise InputError(f"{weight.size} weights for {len(origins)} origins")
    if not np.all(np.isfinite(weight)) or (weight.size and weight.min() < 0):
        raise InputError("weights must be finite and non-negative")
    onodes, oacc = network.snap(origins[:, 0], origins[:, 1])

    covered0 = np.zeros(len(origins), bool)
    existing = _lonlat(existing_lonlat if existing_lonlat is not None else [], "existing")
    if len(existing):
        snapped = {0: network.snap(existing[:, 0], existing[:, 1])}
        d = distances_from_snapped(network, onodes, oacc, snapped, limit, engine=engine)[0]
        covered0 = d <= limit
    eligible = np.flatnonzero(~covered0 & (weight > 0) & (oacc <= limit))

    # The uncovered origins grouped by node, access legs ascending within a node.
    by_node = eligible[np.lexsort((oacc[eligible], onodes[eligible]))]
    optr = np.zeros(network.n_nodes + 1, np.int64)
    np.cumsum(np.bincount(onodes[by_node], minlength=network.n_nodes), out=optr[1:])
    acc = oacc[by_node]
    prefix = np.concatenate([[0.0], np.cumsum(weight[by_node])])

    # Only a site within the standard of some uncovered origin can gain anything.
    reach = multi_source(network, onodes[eligible], oacc[eligible], limit, engine=engine)
    if candidates is None:
        cands = np.flatnonzero(np.isfinite(reach)).astype(np.int64)
    else:
        cands = np.unique(np.asarray(candidates, dtype=np.int64).ravel())
        if cands.size and (cands.min() < 0 or cands.max() >= network.n_nodes):
            raise InputError(f"candidate nodes must be in 0..{network.n_nodes - 1}")
        cands = cands[np.isfinite(reach[cands])]

    cover = _cover_sets(network, cands, limit, optr, acc, engine)
    picks, gains, bound = _greedy(k, cover, (optr, acc, prefix), network.n_nodes)

    # The weight any candidate could reach at all: every node at its largest budget.
    n = network.n_nodes
    best_budget = np.full(n, -1.0)
    np.maximum.at(best_budget, cover[1], cover[2])
    everywhere = (np.array([0, n]), np.arange(n, dtype=np.int32), best_budget)
    coverable = float(_gain(0, *everywhere, optr, acc, prefix, np.full(n, -1.0)))
    guarantee = 1.0 - (1.0 - 1.0 / k) ** k
    upper = min(bound, coverable, gains.sum() / guarantee if gains.size else 0.0)
    nodes = cands[picks]
    return SitingResult(
        nodes=nodes,
        lon=network.lon[nodes],
        lat=network.lat[nodes],
        gains=gains,
        total_weight=float(weight.sum()),
        covered_before=float(weight[covered0].sum()),
        coverable=coverable,
        upper_bound=max(float(upper), float(gains.sum())),
        guarantee=guarantee,
        candidates=int(cands.size),
    )
