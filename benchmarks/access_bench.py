"""Benchmark of the walking-accessibility engine (shequ.access) against baselines.

    .venv/bin/python benchmarks/access_bench.py [--quick] [--pandana-grid]

Networks: jittered street grids of 100,000 and 1,000,000 nodes with 20 % of the
links removed (largest component kept), and the real Helsinki extract. On each:
200,000 buildings (random points up to ~30 m off a random node), 10 facility types
with one facility per 2,000 nodes of each type, placed on nodes.

For each network, in a fresh process each (so peak memory is per method):
  * engine: build time, snapping the buildings, then all 10 types with a
    15-minute cut-off (1080 m at 1.2 m/s) and without, buildings pre-snapped
    (best of 3), the end-to-end ``nearest_by_type`` call, a siting run, peak RSS;
  * floor: one numpy gather-and-minimum pass over the edge arrays;
  * scipy ``csgraph.dijkstra(min_only=True, limit=…)`` from the facility nodes;
  * networkx ``multi_source_dijkstra_path_length`` (all 10 types at 100,000 nodes
    and on Helsinki; one type at 1,000,000, scaled × 10);
  * pandana, when it imports (on Helsinki; on the grids only with
    ``--pandana-grid``: its contraction-hierarchy build on a grid takes minutes).
Every solver answers the same question (same graph, sources, cut-off, buildings)
and its distances are checked against the engine's. ``--quick`` runs the 100,000-
node grid and Helsinki only.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HELSINKI = ROOT / "shequ" / "access" / "testdata" / "Helsinki.osm.pbf"
SPEED = 1.2
CUTOFF_M = 15 * 60 * SPEED
N_TYPES = 10
N_BUILDINGS = 200_000
REPEATS = 5


# -- the scenario (rebuilt identically in each process) ---------------------------------------


def build_network(kind: str):
    from shequ.access import load_network, synthetic_grid

    if kind == "helsinki":
        return load_network(HELSINKI)
    return synthetic_grid(int(kind), seed=1, drop=0.2)


def scenario(network, seed: int = 2):
    rng = np.random.default_rng(seed)
    n = network.n_nodes
    near = rng.integers(0, n, N_BUILDINGS)
    off = rng.uniform(-30, 30, (N_BUILDINGS, 2)) / 111_195.0
    buildings = np.column_stack(
        [
            network.lon[near] + off[:, 0] / np.cos(np.radians(network.lat[near])),
            network.lat[near] + off[:, 1],
        ]
    )
    per_type = max(1, n // 2000)
    facility_nodes = {f"type{t}": rng.choice(n, per_type, replace=False) for t in range(N_TYPES)}
    return buildings, facility_nodes


def best_of(fn, repeats: int = REPEATS, clock=time.perf_counter) -> float:
    best = np.inf
    for _ in range(repeats):
        t = clock()
        fn()
        best = min(best, clock() - t)
    return best


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- one task per process -----------------------------------------------------------------------


def task_engine(kind: str) -> dict:
    from shequ.access import distances_from_snapped, nearest_by_type, site_facilities

    t = time.perf_counter()
    network = build_network(kind)
    network.kdtree()
    build = time.perf_counter() - t
    buildings, fnodes = scenario(network)
    t = time.perf_counter()
    onodes, oacc = network.snap(buildings[:, 0], buildings[:, 1])
    snap = time.perf_counter() - t
    sources = {k: (v, np.zeros(v.size)) for k, v in fnodes.items()}

    t = time.perf_counter()
    distances_from_snapped(network, onodes, oacc, sources, CUTOFF_M)
    first = time.perf_counter() - t  # numba loads its compiled kernels from the cache (or compiles)
    cut = best_of(lambda: distances_from_snapped(network, onodes, oacc, sources, CUTOFF_M))
    full = best_of(lambda: distances_from_snapped(network, onodes, oacc, sources), 3)
    one_thread = best_of(
        lambda: distances_from_snapped(network, onodes, oacc, sources, threads=1), 3
    )
    # CPU time of one thread: the work done, whatever else runs on the machine.
    cpu_cut = best_of(
        lambda: distances_from_snapped(network, onodes, oacc, sources, CUTOFF_M, threads=1),
        clock=time.process_time,
    )
    cpu_full = best_of(
        lambda: distances_from_snapped(network, onodes, oacc, sources, threads=1),
        3,
        clock=time.process_time,
    )
    within = distances_from_snapped(network, onodes, oacc, sources, CUTOFF_M)
    every = distances_from_snapped(network, onodes, oacc, sources)
    checks = {t: (every[t][:2000], within[t][:2000]) for t in sources}

    lonlat = {k: np.column_stack([network.lon[v], network.lat[v]]) for k, v in fnodes.items()}
    t = time.perf_counter()
    nearest_by_type(network, buildings, lonlat, SPEED, cutoff_minutes=15)
    end_to_end = time.perf_counter() - t

    dist = np.full(network.n_nodes, 100.0)
    floor = best_of(
        lambda: np.minimum.reduceat(dist[network.indices] + network.weights, network.indptr[:-1])
    )

    rng = np.random.default_rng(3)
    n_cands = min(20_000, network.n_nodes)
    cands = rng.choice(network.n_nodes, n_cands, replace=False)
    households = rng.integers(1, 40, N_BUILDINGS)
    t = time.perf_counter()
    siting = site_facilities(
        network,
        buildings,
        households,
        10,
        CUTOFF_M,
        existing_lonlat=lonlat["type0"],
        candidates=cands,
    )
    site_time = time.perf_counter() - t
    return {
        "nodes": network.n_nodes,
        "edges": network.n_edges,
        "facilities_per_type": len(fnodes["type0"]),
        "build": build,
        "snap": snap,
        "first": first,
        "cut": cut,
        "full": full,
        "full_1thread": one_thread,
        "cpu_cut": cpu_cut,
        "cpu_full": cpu_full,
        "end_to_end": end_to_end,
        "floor": floor,
        "site_time": site_time,
        "site_cands": n_cands,
        "site_ratio": siting.ratio,
        "site_guarantee": siting.guarantee,
        "reached_cut": float(np.mean([np.isfinite(r).mean() for r in within.values()])),
        "rss": peak_rss_mb(),
        "checks": checks,
    }


def _gathered(per_node, onodes, oacc, limit):
    d = per_node[onodes] + oacc
    d[~(d <= limit)] = np.nan
    return d


def task_scipy(kind: str) -> dict:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    network = build_network(kind)
    buildings, fnodes = scenario(network)
    onodes, oacc = network.snap(buildings[:, 0], buildings[:, 1])
    n = network.n_nodes
    graph = csr_matrix(
        (network.weights.astype(np.float64), network.indices, network.indptr), (n, n)
    )
    out = {}
    for label, limit in (("cut", CUTOFF_M), ("full", np.inf)):
        t = time.perf_counter()
        for nodes in fnodes.values():
            d = dijkstra(graph, directed=True, indices=nodes, min_only=True, limit=limit)
            res = _gathered(d, onodes, oacc, limit)
        out[label] = time.perf_counter() - t
        out[f"check_{label}"] = res[:2000]
    out["rss"] = peak_rss_mb()
    out["check_type"] = list(fnodes)[-1]
    return out


def task_networkx(kind: str, n_types: int) -> dict:
    import networkx as nx

    network = build_network(kind)
    buildings, fnodes = scenario(network)
    onodes, oacc = network.snap(buildings[:, 0], buildings[:, 1])
    t = time.perf_counter()
    graph = nx.Graph()
    # The engine searches with float32 edge weights: give networkx the same numbers.
    weights = network.edge_length.astype(np.float32).tolist()
    for u, v, w in zip(network.edge_u.tolist(), network.edge_v.tolist(), weights, strict=True):
        if not graph.has_edge(u, v) or graph[u][v]["weight"] > w:
            graph.add_edge(u, v, weight=w)
    build = time.perf_counter() - t
    out = {"build": build, "types": n_types}
    for label, limit in (("cut", CUTOFF_M), ("full", None)):
        t = time.perf_counter()
        for nodes in list(fnodes.values())[:n_types]:
            lengths = nx.multi_source_dijkstra_path_length(
                graph, set(nodes.tolist()), cutoff=limit, weight="weight"
            )
            per_node = np.array([lengths.get(i, np.inf) for i in range(network.n_nodes)])
            res = _gathered(per_node, onodes, oacc, np.inf if limit is None else limit)
        out[label] = (time.perf_counter() - t) * N_TYPES / n_types
        out[f"check_{label}"] = res[:2000]
    out["check_type"] = list(fnodes)[n_types - 1]
    out["rss"] = peak_rss_mb()
    return out


def task_pandana(kind: str) -> dict:
    try:
        import pandana
        import pandas as pd
    except ImportError as exc:
        return {"skipped": f"pandana does not import ({exc})"}
    network = build_network(kind)
    buildings, fnodes = scenario(network)
    onodes, oacc = network.snap(buildings[:, 0], buildings[:, 1])
    x, y = network.xy()
    t = time.perf_counter()
    with open(os.devnull, "w") as quiet:  # pandana prints its progress to stdout
        saved = os.dup(1)
        os.dup2(quiet.fileno(), 1)
        try:
            net = pandana.Network(
                pd.Series(x),
                pd.Series(y),
                pd.Series(network.edge_u.astype(np.int64)),
                pd.Series(network.edge_v.astype(np.int64)),
                pd.DataFrame({"w": network.edge_length}),
                twoway=True,
            )
        finally:
            os.dup2(saved, 1)
    build = time.perf_counter() - t
    t = time.perf_counter()
    for name, nodes in fnodes.items():
        net.set_pois(name, CUTOFF_M, 1, pd.Series(x[nodes]), pd.Series(y[nodes]))
        d = net.nearest_pois(CUTOFF_M, name, num_pois=1)[1].to_numpy().astype(np.float64)
        d[d >= CUTOFF_M] = np.inf  # pandana reports "none within" as the search distance
        res = _gathered(d, onodes, oacc, CUTOFF_M)
    cut = time.perf_counter() - t
    return {
        "build": build,
        "cut": cut,
        "check_cut": res[:2000],
        "check_type": name,
        "rss": peak_rss_mb(),
    }


# -- running and printing ----------------------------------------------------------------------


def run(task, *args):
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(task, args)


def report(kind: str, pandana_grid: bool) -> None:
    if kind == "helsinki":
        title = "Helsinki.osm.pbf (real OSM)"
    else:
        title = f"synthetic grid, {int(kind):,} nodes asked"
    print(f"\n=== {title} ===", flush=True)
    e = run(task_engine, kind)
    checks = e["checks"]

    def say(label: str, text: str) -> None:
        print(f"{label:<9}{text}", flush=True)

    say(
        "network",
        f"{e['nodes']:,} nodes, {e['edges']:,} edges; {N_BUILDINGS:,} buildings; "
        f"{N_TYPES} types x {e['facilities_per_type']} facilities",
    )
    say(
        "engine",
        f"build {e['build']:.2f} s (incl. KD-tree); snap buildings {e['snap']:.3f} s; "
        f"first call {e['first']:.2f} s (loads the JIT cache)",
    )
    say(
        "engine",
        f"10 types, 15-min cut-off: {e['cut']:.3f} s "
        f"({e['reached_cut']:.0%} of building-type pairs within)",
    )
    say("engine", f"10 types, no cut-off: {e['full']:.3f} s (1 thread: {e['full_1thread']:.3f} s)")
    say(
        "engine",
        f"CPU time on one thread: cut-off {e['cpu_cut']:.3f} s, no cut-off {e['cpu_full']:.3f} s",
    )
    say("engine", f"nearest_by_type end to end (snap + 10 types, cut-off): {e['end_to_end']:.3f} s")
    say(
        "engine",
        f"siting k=10 among {e['site_cands']:,} candidates: {e['site_time']:.2f} s "
        f"(greedy / upper bound {e['site_ratio']:.3f}; guarantee {e['site_guarantee']:.3f})",
    )
    say("engine", f"peak RSS {e['rss']:.0f} MB")
    say(
        "floor",
        f"one numpy gather-and-minimum pass {e['floor']:.4f} s; x10 types {10 * e['floor']:.3f} s; "
        f"engine without cut-off = {e['full'] / (10 * e['floor']):.2f} x that",
    )

    s = run(task_scipy, kind)
    say(
        "scipy",
        f"dijkstra min_only: cut-off {s['cut']:.3f} s, no cut-off {s['full']:.3f} s; "
        f"engine x{s['cut'] / e['cut']:.1f} / x{s['full'] / e['full']:.1f} faster; "
        f"peak RSS {s['rss']:.0f} MB",
    )
    t = s["check_type"]
    say(
        "check",
        f"max |engine - scipy| {max_diff(checks[t][0], s['check_full']):.4f} m, "
        f"with cut-off {max_diff(checks[t][1], s['check_cut']):.4f} m",
    )

    n_types = 1 if kind != "helsinki" and int(kind) >= 1_000_000 else N_TYPES
    x = run(task_networkx, kind, n_types)
    scaled = " (1 type, x10)" if n_types == 1 else ""
    say(
        "networkx",
        f"multi_source_dijkstra_path_length{scaled}: cut-off {x['cut']:.2f} s, "
        f"no cut-off {x['full']:.2f} s (graph build {x['build']:.1f} s); "
        f"engine x{x['cut'] / e['cut']:.0f} / x{x['full'] / e['full']:.0f} faster; "
        f"peak RSS {x['rss']:.0f} MB",
    )
    t = x["check_type"]
    say(
        "check",
        f"max |engine - networkx| {max_diff(checks[t][0], x['check_full']):.4f} m, "
        f"with cut-off {max_diff(checks[t][1], x['check_cut']):.4f} m",
    )

    if kind != "helsinki" and int(kind) >= 1_000_000:
        verdict = {True: "met", False: "MISSED"}
        say(
            "targets",
            f"cut-off <= 0.1 s: {verdict[e['cut'] <= 0.1]}; no cut-off <= 1 s: "
            f"{verdict[e['full'] <= 1.0]}; >= 20x networkx: "
            f"{verdict[min(x['cut'] / e['cut'], x['full'] / e['full']) >= 20]}; "
            f"beats scipy without cut-off: {verdict[e['full'] < s['full']]}; "
            f"peak RSS < 2 GB: {verdict[e['rss'] < 2048]} (wall times, load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)",
        )

    if kind == "helsinki" or pandana_grid:
        p = run(task_pandana, kind)
        if "skipped" in p:
            say("pandana", f"skipped: {p['skipped']}")
        else:
            diff = max_diff(checks[p["check_type"]][1], p["check_cut"])
            say(
                "pandana",
                f"build {p['build']:.1f} s (contraction hierarchy); 10 types cut-off "
                f"{p['cut']:.3f} s; engine x{p['cut'] / e['cut']:.1f} faster; "
                f"max |engine - pandana| {diff:.3f} m; peak RSS {p['rss']:.0f} MB",
            )
    else:
        say(
            "pandana",
            "skipped on the grids: its contraction-hierarchy build took 259 s for the "
            "100,000-node grid when tried here (--pandana-grid runs it)",
        )


def max_diff(a, b) -> float:
    """Largest difference where both are reachable (inf if they disagree on reachability)."""
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return float("inf")
    both = np.isfinite(a)
    return float(np.max(np.abs(a[both] - b[both]))) if both.any() else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000-node grid and Helsinki only")
    parser.add_argument("--pandana-grid", action="store_true", help="also run pandana on the grids")
    args = parser.parse_args()
    import numba

    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; numpy {np.__version__}, "
        f"numba {numba.__version__}; engine: best of {REPEATS} (3 without cut-off); "
        "baselines: one run"
    )
    started = time.perf_counter()
    kinds = ["100000", "helsinki"] if args.quick else ["100000", "1000000", "helsinki"]
    for kind in kinds:
        report(kind, args.pandana_grid)
    print(f"\ntotal {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
