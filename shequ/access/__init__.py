"""Walking accessibility: road network from OpenStreetMap, nearest facility, isochrones,
coverage and facility siting. Plain Python (numpy, scipy, numba, shapely, pyosmium);
nothing here imports Django.

Public API (stable; the Django side uses only these names):

``load_network(path) -> Network``
    The walking network of an OSM file (``.osm``, ``.osm.bz2``, ``.osm.gz``,
    ``.osm.pbf``) or of a ``.npz`` written by ``Network.save``. Walking rules in
    :mod:`shequ.access.osm`. Raises :class:`NetworkError` on any problem.
``Network.from_edges(lon, lat, u, v, length=None, *, node_id=None, largest_component=True)``
    A network from arrays (lengths default to great-circle distances).
``Network.snap(lon, lat) -> (node_idx, access_m)``
    Nearest node of each point and the straight access leg in metres.
    ``Network.nodes_within(geojson_geometry)`` gives the nodes inside an area.
``synthetic_grid(n_nodes, seed=0, drop=0.2, origin=(lon, lat), *, spacing_m=100.0)``
    A jittered street grid with missing links, for demos and benchmarks.
``nearest_by_type(network, origins_lonlat, facilities, speed=1.2, cutoff_minutes=None)``
    ``{type: metres per origin}``, NaN when unreachable or beyond the cut-off (which
    may also be given in metres, ``cutoff_m=``).
    ``to_minutes(metres, speed)`` converts. ``distances_from_snapped`` does the same
    for origins and facilities already snapped (snap buildings once, reuse).
``isochrones(network, facilities_lonlat, minutes=(5, 10, 15), speed=1.2, *, buffer_m=25.0)``
    GeoJSON FeatureCollection of the areas within each time limit.
``coverage(metres_by_type, weights, groups, standard_m)``
    ``result[type][group][weight_name] -> Share(covered, total).share``.
``site_facilities(network, origins_lonlat, weights, k, standard_m, *, existing_lonlat=None,
candidates=None)``
    Greedy maximal covering (standard in metres, or ``standard_minutes=``); a
    :class:`SitingResult` with the sites, the gain of each, and an upper bound on
    the optimum.

Distances are metres along the network plus the straight access legs of the
origin and of the facility; minutes are metres / (speed × 60).
"""

from .coverage import Share, coverage
from .errors import AccessError, InputError, NetworkError
from .isochrone import isochrones
from .network import Network
from .osm import is_walkable, load_network, read_osm
from .search import (
    DEFAULT_SPEED_MPS,
    distances_from_snapped,
    multi_source,
    nearest_by_type,
    to_minutes,
)
from .siting import SitingResult, site_facilities
from .synthetic import synthetic_grid

__all__ = [
    "DEFAULT_SPEED_MPS",
    "AccessError",
    "InputError",
    "Network",
    "NetworkError",
    "Share",
    "SitingResult",
    "coverage",
    "distances_from_snapped",
    "is_walkable",
    "isochrones",
    "load_network",
    "multi_source",
    "nearest_by_type",
    "read_osm",
    "site_facilities",
    "synthetic_grid",
    "to_minutes",
]
