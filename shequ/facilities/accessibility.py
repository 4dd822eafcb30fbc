"""The bridge between the facility registry and the accessibility engine (``shequ.access``).

Reads buildings and facilities, runs one multi-source search per facility type, stores the
walking distance of every building to the nearest facility of each type
(:class:`BuildingAccess`) and keeps an :class:`AccessRun` row up to date for the progress
bar. The engine is plain Python; everything Django lives here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shequ.errors import Invalid
from shequ.facilities import queries
from shequ.facilities.models import AccessRun, BuildingAccess, Facility, FacilityType, RunStatus
from shequ.registry.models import AdminUnit, Building

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]

DEFAULT_SPEED = 1.2  # m/s, the engine's default walking speed
WRITE_BATCH = 2000


# -- settings ---------------------------------------------------------------------------


def network_path() -> Path:
    """``settings.ACCESS_NETWORK_FILE`` (an OSM extract or a saved network), else the
    demo's generated ``VAR_DIR/network.npz``."""
    configured = getattr(settings, "ACCESS_NETWORK_FILE", None)
    return Path(configured) if configured else default_network_path()


def default_network_path() -> Path:
    return Path(settings.VAR_DIR) / "network.npz"


def walk_speed() -> float:
    return float(getattr(settings, "ACCESS_WALK_SPEED", DEFAULT_SPEED) or DEFAULT_SPEED)


def cutoff_minutes() -> float | None:
    """Search cut-off; None searches the whole network (a building beyond the cut-off is
    stored as unreachable, so keep it well above the longest standard)."""
    value = getattr(settings, "ACCESS_CUTOFF_MINUTES", None)
    return float(value) if value else None


# -- the network ------------------------------------------------------------------------

_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def load_district_network(path: Path | None = None) -> Any:
    """The walking network of the district, read once per process and file version."""
    from shequ.access import load_network
    from shequ.access.errors import AccessError

    path = Path(path or network_path())
    if not path.exists():
        raise Invalid(
            f"找不到路网文件 {path}：请运行 manage.py load_demo_facilities 生成演示路网，"
            "或在设置 ACCESS_NETWORK_FILE 中指定 OpenStreetMap 文件。",
            code="no_network",
        )
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    with _cache_lock:
        if _cache.get("key") != key:
            try:
                network = load_network(path)
            except AccessError as exc:
                raise Invalid(f"路网文件无法读取：{exc}", code="bad_network") from exc
            _cache.clear()
            _cache.update(key=key, network=network)
        return _cache["network"]


# -- computing --------------------------------------------------------------------------


def _claim(run: AccessRun | None, network_name: str) -> AccessRun:
    """The run this computation reports to: a queued one claimed by a conditional UPDATE
    (two workers never run the same one), or a new running row."""
    now = timezone.now()
    # A worker killed mid-run leaves its row "running"; after an hour it is not coming back.
    AccessRun.objects.filter(
        status=RunStatus.RUNNING, started_at__lt=now - timedelta(hours=1)
    ).update(status=RunStatus.FAILED, finished_at=now, message="计算中断：超过1小时未完成。")
    if run is None:
        return AccessRun.objects.create(
            status=RunStatus.RUNNING, started_at=now, network=network_name, reason="直接计算"
        )
    claimed = AccessRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, network=network_name, progress=0
    )
    if not claimed:
        raise Invalid("该计算已由其他进程执行或已结束。", code="already_claimed")
    run.refresh_from_db()
    return run


def _report(run: AccessRun, percent: int, message: str, extra: Progress | None) -> None:
    percent = max(0, min(100, int(percent)))
    AccessRun.objects.filter(pk=run.pk).update(progress=percent, message=message[:300])
    run.progress, run.message = percent, message
    if extra is not None:
        extra(percent, message)


def compute_access(
    network: Any,
    *,
    run: AccessRun | None = None,
    progress: Progress | None = None,
    speed: float | None = None,
    cutoff: float | None = None,
    network_name: str = "",
) -> AccessRun:
    """Walking distance from every located building to the nearest active facility of each
    type, stored in :class:`BuildingAccess` (metres null = unreachable).

    One multi-source search per type (the engine's ``nearest_by_type``); results are
    written per type in one transaction each, so a reader sees old or new figures for a
    type, never half. ``progress(percent, message)`` is called after each step besides
    the run row's own update. Returns the finished run; on error the run is marked failed
    and the error raised.
    """
    from shequ.access import nearest_by_type

    speed = speed or walk_speed()
    cutoff = cutoff if cutoff is not None else cutoff_minutes()
    run = _claim(run, network_name)
    try:
        buildings = list(
            Building.objects.filter(lat__isnull=False, lon__isnull=False)
            .order_by("pk")
            .values_list("pk", "lon", "lat")
        )
        ids = np.array([b[0] for b in buildings], dtype=np.int64)
        origins = np.array([(b[1], b[2]) for b in buildings], dtype=np.float64).reshape(-1, 2)
        types = list(FacilityType.objects.order_by("order", "code"))
        sites: dict[int, list[tuple[float, float]]] = {t.pk: [] for t in types}
        for type_id, lon, lat in (
            Facility.objects.active().located().values_list("type_id", "lon", "lat")
        ):
            sites[type_id].append((lon, lat))
        AccessRun.objects.filter(pk=run.pk).update(
            buildings=len(ids), facilities=sum(len(v) for v in sites.values())
        )
        _report(run, 1, f"共{len(ids)}栋楼、{len(types)}类设施，开始计算。", progress)
        # One call, one multi-source search per type inside (the engine runs them in
        # parallel threads); the slow part is writing, so progress follows the writes.
        found = (
            nearest_by_type(
                network,
                origins,
                {t.pk: np.array(sites[t.pk], dtype=np.float64).reshape(-1, 2) for t in types},
                speed=speed,
                cutoff_minutes=cutoff,
            )
            if len(ids)
            else {}
        )
        _report(run, 10, "步行距离已算出，正在保存。", progress)
        for i, ftype in enumerate(types, start=1):
            metres = found.get(ftype.pk, np.full(len(ids), np.nan))
            _store(ftype, ids, np.asarray(metres, dtype=np.float64), speed)
            _report(run, 10 + 88 * i // len(types), f"已保存：{ftype.name}", progress)
        _report(run, 99, "正在统计覆盖率。", progress)
        today = timezone.localdate()
        counted = _count_coverage(today)
        # Done and its figures in one transaction: a page never sees this run finished
        # without its figures (it would count them again). Counting stays outside, so
        # the write lock is held for the inserts only.
        with transaction.atomic():
            AccessRun.objects.filter(pk=run.pk).update(
                status=RunStatus.DONE, finished_at=timezone.now()
            )
            if counted is not None:
                queries.save_coverage(counted, on=today, run_id=run.pk)
        _report(run, 100, f"完成：{len(ids)}栋楼 × {len(types)}类设施。", progress)
        run.status = RunStatus.DONE
        return run
    except Exception as exc:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        AccessRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            message=f"计算失败：{message}"[:300],
        )
        run.status = RunStatus.FAILED
        raise


def _count_coverage(on: Any) -> queries.Coverage | None:
    """The coverage figures of the whole tree after the run; None when counting fails (the
    walking times are stored all the same, and the pages count the figures themselves)."""
    try:
        return queries.count_tree_coverage(on=on)
    except Exception:
        logger.exception("counting coverage after an access run failed")
        return None


def _store(ftype: FacilityType, ids: np.ndarray, metres: np.ndarray, speed: float) -> None:
    """Replace the results of one type. A plain ``executemany`` rather than bulk_create:
    a district has hundreds of thousands of (building, type) rows and building model
    instances for them costs ten times the insert itself."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    minutes = metres / speed / 60.0
    rows = [
        (
            b,
            ftype.pk,
            None if m != m else round(m, 1),  # NaN (unreachable) → NULL
            None if t != t else round(t, 2),
            now,
        )
        for b, m, t in zip(ids.tolist(), metres.tolist(), minutes.tolist(), strict=True)
    ]
    table = connection.ops.quote_name(BuildingAccess._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(BuildingAccess._meta.get_field(f).column)
        for f in ("building", "type", "metres", "minutes", "computed_at")
    )
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)"
    with transaction.atomic(), connection.cursor() as cursor:
        BuildingAccess.objects.filter(type=ftype).delete()
        for i in range(0, len(rows), WRITE_BATCH):
            cursor.executemany(sql, rows[i : i + WRITE_BATCH])


def run_queued(run_id: int) -> AccessRun:
    """Run a queued computation on the configured network (what the background task does).

    A missing or unreadable network marks the run failed with the reason.
    """
    run = AccessRun.objects.get(pk=run_id)
    try:
        network = load_district_network()
    except Invalid as exc:
        AccessRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), message=exc.message[:300]
        )
        raise
    return compute_access(network, run=run, network_name=network_path().name)


# -- isochrones and siting --------------------------------------------------------------


def facility_isochrones(facility: Facility, minutes: list[float]) -> dict[str, Any]:
    """GeoJSON polygons of the area within each of ``minutes`` walk of the facility."""
    from shequ.access import isochrones
    from shequ.access.errors import AccessError

    if facility.lat is None:
        raise Invalid("该设施没有坐标，无法计算等时圈。", code="not_located")
    network = load_district_network()
    try:
        return isochrones(
            network,
            np.array([[facility.lon, facility.lat]]),
            minutes=minutes,
            speed=walk_speed(),
            properties={"facility": facility.pk, "name": facility.name},
        )
    except AccessError as exc:
        raise Invalid(f"等时圈无法计算：{exc}") from exc


SITE_MARGIN_DEG = 0.0005  # about 50 m: candidate sites may sit just outside the buildings


def suggest_sites(user: Any, unit: AdminUnit, ftype: FacilityType, *, k: int) -> dict[str, Any]:
    """Where ``k`` new facilities of ``ftype`` would cover the most households of ``unit``
    now beyond the type's standard (greedy maximal covering, with its proven bound).

    Demand is the located buildings of the unit (in the user's scope) whose stored walk
    to the type exceeds the standard or is unreachable, weighted by their households;
    candidate sites are the network nodes within the unit's buildings' extent.
    """
    from shequ.access import site_facilities
    from shequ.access.errors import AccessError

    buildings = queries.buildings_with_access(user, unit, ftype)
    if buildings and not any(b["computed"] for b in buildings):
        raise Invalid("尚未计算步行可达性，请先在“计算进度”页重新计算。", code="not_computed")
    demand = [
        b
        for b in buildings
        if b["n_households"] and (b["minutes"] is None or b["minutes"] > ftype.standard_minutes)
    ]
    uncovered = sum(b["n_households"] for b in demand)
    base = {
        "unit": unit.code,
        "type": ftype.code,
        "standard_minutes": ftype.standard_minutes,
        "k": k,
        "uncovered_households": uncovered,
        "sites": [],
        "covered_households": 0,
        "upper_bound": 0,
        "ratio": None,
        "guarantee": round(1 - (1 - 1 / k) ** k, 3),
    }
    if not demand:
        return {**base, "message": f"{unit.name}的住户都在{ftype.standard_minutes}分钟步行范围内。"}
    network = load_district_network()
    lon = np.array([b["lon"] for b in buildings])
    lat = np.array([b["lat"] for b in buildings])
    inside = np.flatnonzero(
        (network.lon >= lon.min() - SITE_MARGIN_DEG)
        & (network.lon <= lon.max() + SITE_MARGIN_DEG)
        & (network.lat >= lat.min() - SITE_MARGIN_DEG)
        & (network.lat <= lat.max() + SITE_MARGIN_DEG)
    )
    try:
        result = site_facilities(
            network,
            np.array([[b["lon"], b["lat"]] for b in demand]),
            np.array([b["n_households"] for b in demand], dtype=np.float64),
            k,
            standard_minutes=ftype.standard_minutes,
            speed=walk_speed(),
            candidates=inside,
        )
    except AccessError as exc:
        raise Invalid(f"选址无法计算：{exc}") from exc
    sites = [
        {"lon": round(float(x), 6), "lat": round(float(y), 6), "households": round(float(g))}
        for x, y, g in zip(result.lon, result.lat, result.gains, strict=True)
    ]
    gained = round(float(result.gained))
    bound = round(float(result.upper_bound))
    head = f"建议新增{len(sites)}处{ftype.name}，可新覆盖{gained}户"
    if not sites:
        message = f"在{unit.name}范围内找不到能覆盖未覆盖住户的选址。"
    elif gained >= uncovered:
        message = f"{head}，即{ftype.standard_minutes}分钟外的住户全部得到覆盖。"
    else:
        message = (
            f"{head}（{ftype.standard_minutes}分钟外共{uncovered}户）；任何{k}处选址"
            f"最多能新覆盖{bound}户，本方案至少达到最优的{result.ratio:.0%}。"
        )
    return {
        **base,
        "sites": sites,
        "covered_households": gained,
        "upper_bound": bound,
        "ratio": round(result.ratio, 3),
        "message": message,
    }
