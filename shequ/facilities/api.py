"""Facilities API: types, facilities and their checks, coverage, map layers, isochrones,
siting suggestions and the access computation — every read through ``in_scope``.

Out of scope answers 404 like a missing record; errors are JSON (``shequ/api.py``).
"""

from datetime import datetime
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from shequ.accounts.scope import scope_code
from shequ.errors import Invalid
from shequ.facilities import accessibility, checks, geo, queries, services
from shequ.facilities.models import AccessRun, Facility, FacilityType
from shequ.pagination import Page
from shequ.registry.models import AdminUnit

router = Router(tags=["facilities"])


class TypeOut(Schema):
    code: str
    name: str
    standard_minutes: int
    held_to_standard: bool
    plan_section: str


class CheckOut(Schema):
    code: str
    label: str
    status: str
    reason: str


class HoursOut(Schema):
    day: str
    all_day: bool
    opens: str | None
    closes: str | None


class RoomOut(Schema):
    name: str
    area: float | None
    functions: list[str]


class FacilityOut(Schema):
    id: int
    name: str
    type: str = Field(..., alias="type.code")
    type_name: str = Field(..., alias="type.name")
    unit_code: str = Field(..., alias="unit.code")
    unit_name: str = Field(..., alias="unit.name")
    address: str
    lat: float | None
    lon: float | None
    floor_area: float | None
    activity_area: float | None
    office_area: float | None
    commercial_area: float | None
    staff_on_duty: int
    active: bool
    checks: list[CheckOut]

    @staticmethod
    def resolve_checks(obj: Facility) -> list[checks.Check]:
        return checks.facility_checks(obj)


class FacilityDetailOut(FacilityOut):
    note: str
    hours: list[HoursOut]
    rooms: list[RoomOut]

    @staticmethod
    def resolve_hours(obj: Facility) -> list[dict[str, Any]]:
        return [
            {
                "day": h.day,
                "all_day": h.all_day,
                "opens": None if h.all_day else f"{h.opens:%H:%M}",
                "closes": None if h.all_day else f"{h.closes:%H:%M}",
            }
            for h in obj.hours.all()
        ]

    @staticmethod
    def resolve_rooms(obj: Facility) -> list[dict[str, Any]]:
        return [{"name": r.name, "area": r.area, "functions": r.functions} for r in obj.rooms.all()]


class FacilityFilter(FilterSchema):
    unit: Annotated[str | None, FilterLookup("unit__code__startswith")] = None
    type: Annotated[str | None, FilterLookup("type__code")] = None
    active: bool | None = None


class UnitChecksOut(Schema):
    code: str
    name: str
    checks: list[CheckOut]


class CoverageUnitOut(Schema):
    code: str
    name: str
    level: str
    total: dict[str, int]
    unlocated_households: int
    shares: dict[str, dict[str, float | None]]  # type code → measure → share


class CoverageOut(Schema):
    unit: str
    measures: list[str]
    units: list[CoverageUnitOut]


class RunOut(Schema):
    id: int
    status: str
    progress: int
    message: str
    reason: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    buildings: int
    facilities: int


def _unit(request: HttpRequest, code: str) -> AdminUnit:
    return get_object_or_404(AdminUnit.objects.in_scope(request.user), code=code)


def _require_scope(request: HttpRequest) -> None:
    # Runs are district-wide and hold no personal data, but a user without a scope
    # (a department handler) has no business with facilities at all.
    if scope_code(request.user) is None:
        raise Http404


def _type(code: str) -> FacilityType:
    ftype = FacilityType.objects.filter(code=code).first()
    if ftype is None:
        raise Invalid(f"设施类型“{code}”不存在。", field="type")
    return ftype


@router.get(
    "/types",
    response=list[TypeOut],
    summary="设施类型与步行时间标准",
    url_name="facilities_list_types",
)
def list_types(request: HttpRequest):
    return queries.types()


@router.get(
    "/facilities",
    response=list[FacilityOut],
    summary="设施列表（含达标检查）",
    url_name="facilities_list_facilities",
)
@paginate(Page)
def list_facilities(request: HttpRequest, filters: Query[FacilityFilter]):
    return filters.filter(queries.facilities(request.user))


@router.get(
    "/facilities/{facility_id}",
    response=FacilityDetailOut,
    summary="单个设施",
    url_name="facilities_get_facility",
)
def get_facility(request: HttpRequest, facility_id: int):
    qs = queries.facilities(request.user).prefetch_related("rooms")
    return get_object_or_404(qs, pk=facility_id)


@router.get(
    "/facilities/{facility_id}/checks",
    response=list[CheckOut],
    summary="设施的规划标准检查",
    url_name="facilities_facility_checks",
)
def facility_checks(request: HttpRequest, facility_id: int):
    facility = get_object_or_404(queries.facilities(request.user), pk=facility_id)
    return checks.facility_checks(facility)


@router.get(
    "/facilities/{facility_id}/isochrones",
    summary="设施的步行等时圈（GeoJSON）",
    url_name="facilities_facility_isochrones",
)
def facility_isochrones(request: HttpRequest, facility_id: int, minutes: str = "5,10,15"):
    facility = get_object_or_404(queries.facilities(request.user), pk=facility_id)
    try:
        steps = sorted({float(m) for m in minutes.split(",") if m.strip()})
    except ValueError:
        raise Invalid("minutes 应为逗号分隔的分钟数，如 5,10,15。", field="minutes") from None
    if not steps or steps[0] <= 0 or steps[-1] > 60 or len(steps) > 6:
        raise Invalid("minutes 应为1–6个 0–60 之间的分钟数。", field="minutes")
    return accessibility.facility_isochrones(facility, steps)


@router.get(
    "/units/{code}/checks",
    response=list[UnitChecksOut],
    summary="社区/村的指标检查",
    url_name="facilities_unit_checks",
)
def unit_checks(request: HttpRequest, code: str):
    unit = _unit(request, code)
    return [
        {"code": r.unit.code, "name": r.unit.name, "checks": r.checks}
        for r in queries.unit_check_rows(request.user, unit)
    ]


@router.get(
    "/coverage",
    response=CoverageOut,
    summary="步行标准内的覆盖率（按单位和类型）",
    url_name="facilities_coverage",
)
def coverage(request: HttpRequest, unit: str):
    root = _unit(request, unit)
    kinds, rows, cov = queries.coverage_rows(request.user, root, on=timezone.localdate())
    measures = [m for m, _ in queries.MEASURES]
    return {
        "unit": root.code,
        "measures": measures,
        "units": [
            {
                "code": r.unit.code,
                "name": r.unit.name,
                "level": r.unit.level,
                "total": {m: cov.total.get(r.unit.code, {}).get(m, 0) for m in measures},
                "unlocated_households": r.unlocated,
                "shares": {
                    t.code: {m: cov.share(r.unit.code, t.pk, m) for m in measures} for t in kinds
                },
            }
            for r in rows
        ],
    }


@router.get(
    "/map/{code}",
    summary="单位地图图层（GeoJSON）：边界、楼栋、设施",
    url_name="facilities_map_layers",
)
def map_layers(request: HttpRequest, code: str, type: str = FacilityType.COMPREHENSIVE):
    unit = _unit(request, code)
    return geo.map_layers(request.user, unit, _type(type))


@router.get("/siting", summary="选址建议：新增设施覆盖最多未覆盖户", url_name="facilities_siting")
def siting(request: HttpRequest, unit: str, type: str, k: int = 3):
    if not 1 <= k <= 20:
        raise Invalid("k 应为 1–20。", field="k")
    root = _unit(request, unit)
    return accessibility.suggest_sites(request.user, root, _type(type), k=k)


@router.get(
    "/runs/current",
    response={200: RunOut, 204: None},
    summary="当前或最近一次可达性计算",
    url_name="facilities_current_run",
)
def current_run(request: HttpRequest):
    _require_scope(request)
    run = queries.current_run()
    if run is None:
        return Status(204, None)
    return run


@router.post(
    "/runs",
    response={202: RunOut},
    summary="重新计算步行可达性（后台）",
    url_name="facilities_start_run",
)
def start_run(request: HttpRequest):
    _require_scope(request)
    run = services.recompute_access(actor=request.user)
    return Status(202, AccessRun.objects.get(pk=run.pk))
