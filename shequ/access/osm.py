"""Read a walking network from an OpenStreetMap file (.osm, .osm.bz2, .osm.gz, .osm.pbf).

Which ways are walkable (:func:`is_walkable`):

* ``highway`` is one of :data:`WALKABLE_HIGHWAYS` — footway, path, steps, pedestrian,
  cycleway, track, living_street, residential, service, unclassified, tertiary,
  secondary, primary and their ``_link`` roads, road, bridleway, corridor, crossing,
  elevator, and the non-standard ``trail`` (seen in real data, a path by meaning).
  Everything else is left out, notably motorway, trunk and their links (even with
  ``foot=yes``: walkers are expected on the separately mapped sidewalk), construction,
  proposed, abandoned, raceway, bus_guideway, busway and platform;
* not ``area=yes`` (the outline of a square is not a street: its edges would let a
  walker go round it but not across it, so leaving it out is the lesser error);
* not ``foot=no``, ``foot=private`` or ``foot=use_sidepath``;
* not ``access=no`` or ``access=private`` — unless ``foot`` is ``yes``, ``designated``
  or ``permissive``, which says walkers in particular may use it.

One-way streets are two-way for walkers. The network keeps the nodes where a way
ends or where walkable ways meet (a node shared by two ways, or used twice by one),
plus the middle node of a closed way so that a loop is not lost; the OSM nodes in
between become the edge's geometry and its length is measured along them
(haversine). Way nodes missing from the file (clipped extracts) split the way
there. Only the largest connected component is kept. Nodes are numbered along a
Hilbert curve for memory locality; ``Network.node_id`` holds the OSM ids.

Any problem — missing or unreadable file, malformed data, no walkable way — raises
:class:`NetworkError`; nothing partial is returned.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .errors import NetworkError
from .geo import LocalProjection, haversine_m
from .network import EdgeGeometry, Network, hilbert_order

WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "steps",
        "pedestrian",
        "cycleway",
        "track",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "road",
        "bridleway",
        "corridor",
        "crossing",
        "elevator",
        "trail",
    }
)
FOOT_FORBIDDEN = frozenset({"no", "private", "use_sidepath"})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive"})
ACCESS_FORBIDDEN = frozenset({"no", "private"})
OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf")


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Whether a way with these tags is part of the walking network (rule in the module doc)."""
    if tags.get("highway") not in WALKABLE_HIGHWAYS:
        return False
    if tags.get("area") == "yes":
        return False
    foot = tags.get("foot")
    if foot in FOOT_FORBIDDEN:
        return False
    return not (tags.get("access") in ACCESS_FORBIDDEN and foot not in FOOT_ALLOWED)


def _collect_ways(path: str):
    """Walkable way pieces as flat arrays: node refs, lon, lat and piece offsets."""
    import osmium  # imported here so that the rest of the engine works without it

    refs = array("q")
    lons = array("d")
    lats = array("d")
    starts = array("q", [0])

    class Handler(osmium.SimpleHandler):
        def way(self, w) -> None:
            tags = w.tags
            if "highway" not in tags or not is_walkable(tags):
                return
            run = 0
            for nd in w.nodes:
                loc = nd.location
                if loc.valid():
                    refs.append(nd.ref)
                    lons.append(loc.lon)
                    lats.append(loc.lat)
                    run += 1
                    continue
                # A node outside the extract: end the piece here.
                _close_piece(run)
                run = 0
            _close_piece(run)

    def _close_piece(run: int) -> None:
        if run >= 2:
            starts.append(len(refs))
        elif run == 1:  # a lone node is no edge
            refs.pop()
            lons.pop()
            lats.pop()

    Handler().apply_file(path, locations=True)
    return (
        np.frombuffer(refs, dtype=np.int64).copy(),
        np.frombuffer(lons, dtype=np.float64).copy(),
        np.frombuffer(lats, dtype=np.float64).copy(),
        np.frombuffer(starts, dtype=np.int64).copy(),
    )


def read_osm(path: str | os.PathLike) -> Network:
    """Build the walking network of an OSM file (rules in the module docstring)."""
    path = Path(path)
    name = path.name.lower()
    if not path.is_file():
        raise NetworkError(f"{path}: no such file")
    if not name.endswith(OSM_SUFFIXES):
        raise NetworkError(
            f"{path}: not an OSM file name (expected one of {', '.join(OSM_SUFFIXES)})"
        )
    try:
        refs, lon, lat, starts = _collect_ways(str(path))
    except NetworkError:
        raise
    except Exception as exc:  # osmium reports malformed input as RuntimeError and kin
        raise NetworkError(f"{path}: cannot read OSM data ({exc})") from exc
    if starts.size < 2:
        raise NetworkError(f"{path}: no walkable ways found")
    return _build(refs, lon, lat, starts, str(path))


def _build(refs, lon, lat, starts, source: str) -> Network:
    n_pieces = starts.size - 1
    lengths = np.diff(starts)
    piece_of = np.repeat(np.arange(n_pieces), lengths)
    first, last = starts[:-1], starts[1:] - 1

    uniq, inv = np.unique(refs, return_inverse=True)
    keep = np.bincount(inv, minlength=uniq.size) >= 2  # shared by ways, or used twice
    keep[inv[first]] = True
    keep[inv[last]] = True
    closed = refs[first] == refs[last]
    keep[inv[first[closed] + lengths[closed] // 2]] = True
    keep_pos = keep[inv]

    step = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    step[last[:-1]] = 0.0  # no step from the end of one piece to the start of the next
    along = np.concatenate([[0.0], np.cumsum(step)])

    pos = np.flatnonzero(keep_pos)
    same_piece = piece_of[pos[:-1]] == piece_of[pos[1:]]
    a, b = pos[:-1][same_piece], pos[1:][same_piece]
    length = along[b] - along[a]

    node_lon = np.empty(uniq.size)
    node_lat = np.empty(uniq.size)
    node_lon[inv] = lon
    node_lat[inv] = lat
    kept = np.flatnonzero(keep)
    x, y = LocalProjection.around(node_lon[kept], node_lat[kept]).forward(
        node_lon[kept], node_lat[kept]
    )
    kept = kept[hilbert_order(x, y)]
    rank = np.full(uniq.size, -1, np.int64)
    rank[kept] = np.arange(kept.size)
    try:
        return Network.from_edges(
            node_lon[kept],
            node_lat[kept],
            rank[inv[a]],
            rank[inv[b]],
            length,
            node_id=uniq[kept],
            geometry=EdgeGeometry(a, b, lon, lat),
        )
    except NetworkError as exc:
        raise NetworkError(f"{source}: {exc}") from exc


def load_network(path: str | os.PathLike) -> Network:
    """The walking network in ``path``: an OSM file, or a ``.npz`` written by ``Network.save``."""
    if str(path).lower().endswith(".npz"):
        if not Path(path).is_file():
            raise NetworkError(f"{path}: no such file")
        return Network.load(path)
    return read_osm(path)
