"""Command line: ``python -m shequ.access {nearest,isochrone,info} ...``.

Exit status 0 on success, 1 on bad input (missing or malformed file — the message
on stderr says which and why), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import AccessError, InputError
from .geojson import read_points, write_json
from .isochrone import isochrones
from .osm import load_network
from .search import DEFAULT_SPEED_MPS, nearest_by_type

CSV_HEADER = ("origin_id", "type", "metres", "minutes")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _minutes_list(text: str) -> list[float]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("minutes must be like 5,10,15")
    return [_positive(part) for part in parts]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m shequ.access",
        description="Walking accessibility on an OpenStreetMap road network.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    near = sub.add_parser(
        "nearest", help="distance and time from each origin to the nearest facility of each type"
    )
    near.add_argument("network", help="OSM file (.osm, .osm.bz2, .osm.pbf) or saved .npz")
    near.add_argument("--facilities", required=True, help="GeoJSON points with a 'type' property")
    near.add_argument("--origins", required=True, help="GeoJSON points with an 'id' property")
    near.add_argument("--speed", type=_positive, default=DEFAULT_SPEED_MPS, help="m/s (1.2)")
    near.add_argument("--cutoff-minutes", type=_positive, help="farther counts as unreachable")
    near.add_argument("--out", required=True, help="CSV: origin_id,type,metres,minutes")

    iso = sub.add_parser("isochrone", help="areas within some minutes of the facilities")
    iso.add_argument("network", help="OSM file (.osm, .osm.bz2, .osm.pbf) or saved .npz")
    iso.add_argument("--facilities", required=True, help="GeoJSON points with a 'type' property")
    iso.add_argument("--type", help="only facilities of this type (default: each type)")
    iso.add_argument("--minutes", type=_minutes_list, default=[5.0, 10.0, 15.0])
    iso.add_argument("--speed", type=_positive, default=DEFAULT_SPEED_MPS, help="m/s (1.2)")
    iso.add_argument("--buffer-m", type=_positive, default=25.0, help="street buffer (25)")
    iso.add_argument("--out", required=True, help="GeoJSON FeatureCollection of polygons")

    info = sub.add_parser("info", help="size of the walking network of a file")
    info.add_argument("network")
    return p


def _group_by_type(types: list[str], coords: np.ndarray) -> dict[str, np.ndarray]:
    labels = np.asarray(types, dtype=object)
    return {t: coords[labels == t] for t in sorted(set(types))}


def _nearest(args: argparse.Namespace) -> None:
    ftypes, fcoords = read_points(args.facilities, "type")
    ids, ocoords = read_points(args.origins, "id")
    network = load_network(args.network)
    by_type = _group_by_type(ftypes, fcoords)
    metres = nearest_by_type(
        network, ocoords, by_type, speed=args.speed, cutoff_minutes=args.cutoff_minutes
    )
    out = Path(args.out)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for i, origin_id in enumerate(ids):
            for t in by_type:
                d = metres[t][i]
                if np.isnan(d):
                    writer.writerow([origin_id, t, "", ""])
                else:
                    writer.writerow([origin_id, t, f"{d:.1f}", f"{d / (args.speed * 60):.2f}"])
    os.replace(tmp, out)


def _isochrone(args: argparse.Namespace) -> None:
    ftypes, fcoords = read_points(args.facilities, "type")
    by_type = _group_by_type(ftypes, fcoords)
    if args.type is not None:
        if args.type not in by_type:
            known = ", ".join(by_type) or "none"
            raise InputError(
                f"{args.facilities}: no facility of type {args.type!r} (types: {known})"
            )
        by_type = {args.type: by_type[args.type]}
    if not by_type:
        raise InputError(f"{args.facilities}: no facilities")
    network = load_network(args.network)
    features = []
    for t, coords in by_type.items():
        fc = isochrones(
            network,
            coords,
            args.minutes,
            args.speed,
            buffer_m=args.buffer_m,
            properties={"type": t},
        )
        features.extend(fc["features"])
    write_json(args.out, {"type": "FeatureCollection", "features": features})


def _info(args: argparse.Namespace) -> None:
    network = load_network(args.network)
    print(
        f"{args.network}: {network.n_nodes} nodes, {network.n_edges} edges, "
        f"{network.edge_length.sum() / 1000:.1f} km of walkable ways"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        {"nearest": _nearest, "isochrone": _isochrone, "info": _info}[args.command](args)
    except AccessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. the output folder does not exist
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
