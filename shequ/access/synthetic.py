"""Synthetic street networks: jittered grids with missing links.

Used by the benchmark and by the demo for a district that has no OSM extract
offline. A grid with a fifth of its links removed has the dead ends, detours
and uneven blocks that make shortest paths non-trivial, unlike a perfect grid.
"""

from __future__ import annotations

import math

import numpy as np

from .geo import LocalProjection
from .network import Network, hilbert_order


def synthetic_grid(
    n_nodes: int,
    seed: int = 0,
    drop: float = 0.2,
    origin: tuple[float, float] = (125.1, 42.9),
    *,
    spacing_m: float = 100.0,
    jitter: float = 0.3,
) -> Network:
    """A street grid of about ``n_nodes`` intersections centred on ``origin`` (lon, lat).

    Blocks are ``spacing_m`` wide; each node is moved by up to ``jitter`` × spacing in
    x and y; a fraction ``drop`` of the links is removed at random and only the largest
    connected component is kept (so a few nodes fewer than asked). Edge lengths are the
    great-circle distances between the jittered nodes. ``node_id`` is the row-major grid
    position of each node. Deterministic for a given seed.
    """
    if n_nodes < 4:
        raise ValueError("a grid needs at least 4 nodes")
    if not 0.0 <= drop < 1.0:
        raise ValueError("drop must be in [0, 1)")
    rng = np.random.default_rng(seed)
    rows = max(2, round(math.sqrt(n_nodes)))
    cols = math.ceil(n_nodes / rows)
    k = np.arange(n_nodes, dtype=np.int64)
    r, c = k // cols, k % cols
    x = (c - (cols - 1) / 2 + rng.uniform(-jitter, jitter, n_nodes)) * spacing_m
    y = (r - (rows - 1) / 2 + rng.uniform(-jitter, jitter, n_nodes)) * spacing_m

    right = k[(c < cols - 1) & (k + 1 < n_nodes)]
    up = k[k + cols < n_nodes]
    u = np.concatenate([right, up])
    v = np.concatenate([right + 1, up + cols])
    keep = rng.random(u.size) >= drop
    u, v = u[keep], v[keep]
    # Number the nodes along a Hilbert curve: neighbours on the ground end up
    # neighbours in memory, which makes searches markedly faster than row order.
    order = hilbert_order(x, y)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    lon, lat = LocalProjection(*origin).inverse(x[order], y[order])
    return Network.from_edges(lon, lat, rank[u], rank[v], node_id=order)
