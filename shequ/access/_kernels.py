"""Compiled inner loops (numba). Imported only when numba is installed.

The search is Dijkstra with a bucket queue instead of a binary heap: a node with
tentative distance ``d`` waits in bucket ``floor(d / delta)``. Buckets are taken
in increasing order; inside one bucket nodes may come out of order, so a node can
be improved after it was expanded and is then expanded again (label-correcting
within a bucket, as in delta-stepping). When the last bucket is empty every
distance is exact — the order only changes how much work is done, never the
result. With many sources (hundreds of facilities) the frontier is large and a
heap pays ``log(frontier)`` cache-missing swaps per node; a bucket costs O(1).

Buckets are singly linked lists threaded through an append-only entry pool
(node, key, next). Entries are never removed: an entry whose key is larger than
the node's current distance is stale and skipped (lazy deletion). The buckets are
circular: pending keys always lie within ``max_edge`` of the current bucket, so
``nb = max_edge / delta + 2`` slots suffice.

Every kernel works in caller-owned workspaces (``dist`` all ``inf`` on entry) and
reports which nodes it touched, so a search bounded by a cut-off costs only the
nodes it reaches, not a pass over the whole network to reset ``dist``.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from llvmlite.binding import llvm_version_info
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

# LLVM names the intrinsic after its pointer type; opaque pointers since LLVM 17.
_PREFETCH = "llvm.prefetch.p0" if llvm_version_info[0] >= 17 else "llvm.prefetch.p0i8"
# How many queue entries ahead to prefetch a node's record, and its adjacency.
AHEAD_NODE = 12
AHEAD_ARCS = 6


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Hint the CPU to load ``arr[idx]`` into cache (no effect on results)."""
    if not isinstance(arr, types.Array) or not isinstance(idx, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        i = context.cast(builder, args[1], signature.args[1], types.intp)
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [i], wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _PREFETCH)
        # read, high temporal locality, data cache
        flags = [ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)]
        builder.call(fn, [builder.bitcast(ptr, i8p), *flags])
        return context.get_dummy_value()

    return types.void(arr, idx), codegen


@njit(nogil=True, cache=True)
def seed(src, src_d, limit, delta, head, dist, enode, ekey, enext, state):
    """Put the sources in their buckets (the pool must hold ``src.size`` entries).

    ``state`` (int64[4]) receives ``top, pending, current bucket, current entry``.
    """
    nb = head.size
    inv = 1.0 / delta
    top = 0
    minb = np.int64(1) << 62
    for i in range(src.size):
        s = src[i]
        d = src_d[i]
        if d < dist[s] and d <= limit:
            dist[s] = d
            b = np.int64(d * inv)
            slot = b % nb
            enode[top] = s
            ekey[top] = d
            enext[top] = head[slot]
            head[slot] = top
            top += 1
            if b < minb:
                minb = b
    state[0] = top
    state[1] = top
    state[2] = minb
    state[3] = -1


@njit(nogil=True, cache=True)
def expand(indptr, indices, weights, limit, delta, head, dist, enode, ekey, enext, state):
    """Run the search from ``state`` until no entry is pending (returns 0), or until
    the entry pool is too full to expand the next node (returns 1: grow the pool and
    call again — the search resumes where it stopped).

    Growing in here would make the pool arrays loop-variant, which costs numba
    reference counting in the hot loop; stopping and resuming costs nothing.
    """
    nb = head.size
    cap = enode.size
    inv = 1.0 / delta
    top = state[0]
    pending = state[1]
    cur = state[2]
    e = state[3]
    # Two look-ahead cursors run down the same entry list: the far one prefetches
    # the node's distance and adjacency offset, the near one its arcs. Each node
    # costs several cache misses scattered over the network; issuing them early
    # roughly halves the time of a search on a large network.
    far = near = -1
    if e >= 0:
        far = near = e
    while pending > 0:
        if e < 0:
            slot = cur % nb
            e = head[slot]
            if e < 0:
                cur += 1
                continue
            # Detach the list: entries pushed into this bucket meanwhile form a new one.
            head[slot] = -1
            far = near = e
            for _ in range(AHEAD_NODE):
                if far >= 0:
                    far = enext[far]
            for _ in range(AHEAD_ARCS):
                if near >= 0:
                    near = enext[near]
        while e >= 0:
            if far >= 0:
                x = enode[far]
                _prefetch(dist, x)
                _prefetch(indptr, x)
                far = enext[far]
            if near >= 0:
                y = indptr[enode[near]]
                _prefetch(indices, y)
                _prefetch(weights, y)
                near = enext[near]
            u = enode[e]
            if top + (indptr[u + 1] - indptr[u]) > cap:
                state[0] = top
                state[1] = pending
                state[2] = cur
                state[3] = e
                return 1
            d = ekey[e]
            e = enext[e]
            pending -= 1
            if d > dist[u]:
                continue  # stale: u was improved after this entry was made
            for a in range(indptr[u], indptr[u + 1]):
                v = indices[a]
                nd = d + weights[a]
                if nd < dist[v] and nd <= limit:
                    dist[v] = nd
                    s2 = np.int64(nd * inv) % nb
                    enode[top] = v
                    ekey[top] = nd
                    enext[top] = head[s2]
                    head[s2] = top
                    top += 1
                    pending += 1
    state[0] = top
    state[1] = 0
    state[2] = cur
    state[3] = -1
    return 0


@njit(nogil=True, cache=True)
def gather_and_reset(dist, touched, top, onodes, oacc, order, limit, out):
    """``out[order[i]] = dist[onodes[i]] + oacc[i]`` (NaN if unreached or beyond ``limit``),
    then reset ``dist``. On large networks origins come sorted by node so that ``dist``
    is read forwards."""
    for i in range(onodes.size):
        d = dist[onodes[i]] + oacc[i]
        out[order[i]] = d if d <= limit and d < np.inf else np.nan
    for i in range(top):
        dist[touched[i]] = np.inf


@njit(nogil=True, cache=True)
def reset(dist, touched, top):
    for i in range(top):
        dist[touched[i]] = np.inf


@njit(nogil=True, cache=True)
def cover_sets(
    indptr, indices, weights, cands, limit, delta, head, dist, enode, ekey, enext, optr, oacc
):
    """For each candidate node, the nodes with coverable origins within ``limit`` of it.

    One bounded single-source search per candidate. ``optr`` groups the origins by
    node (CSR) with ``oacc`` their access legs sorted within each node. A node ``j``
    reached at ``d`` is listed with its budget ``limit - d``: the origins there with an
    access leg up to the budget are covered. Nodes where no origin fits are left out.
    Returns the CSR ``(cptr, node, budget)`` and the entry pool (grown if needed).
    """
    cptr = np.zeros(cands.size + 1, np.int64)
    out_node = np.empty(max(16, cands.size * 4), np.int32)
    out_budget = np.empty(out_node.size, np.float64)
    n_out = 0
    src_d = np.zeros(1, np.float64)
    src = np.zeros(1, np.int64)
    state = np.zeros(4, np.int64)
    for c in range(cands.size):
        src[0] = cands[c]
        seed(src, src_d, limit, delta, head, dist, enode, ekey, enext, state)
        while expand(indptr, indices, weights, limit, delta, head, dist, enode, ekey, enext, state):
            top = state[0]
            k = enode.size * 2
            n1 = np.empty(k, np.int32)
            n1[:top] = enode[:top]
            n2 = np.empty(k, np.float64)
            n2[:top] = ekey[:top]
            n3 = np.empty(k, np.int32)
            n3[:top] = enext[:top]
            enode, ekey, enext = n1, n2, n3
        top = state[0]
        for t in range(top):
            u = enode[t]
            d = dist[u]
            if d == np.inf:
                continue  # a repeat: already handled and reset
            dist[u] = np.inf
            if optr[u] == optr[u + 1] or oacc[optr[u]] > limit - d:
                continue  # no origin here, or none close enough to its node
            if n_out == out_node.size:
                grown_node = np.empty(out_node.size * 2, np.int32)
                grown_node[:n_out] = out_node[:n_out]
                out_node = grown_node
                grown_budget = np.empty(out_node.size, np.float64)
                grown_budget[:n_out] = out_budget[:n_out]
                out_budget = grown_budget
            out_node[n_out] = u
            out_budget[n_out] = limit - d
            n_out += 1
        cptr[c + 1] = n_out
    return cptr, out_node[:n_out].copy(), out_budget[:n_out].copy(), enode, ekey, enext
