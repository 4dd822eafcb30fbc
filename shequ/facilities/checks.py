"""The plan's standards for facilities, each rule in one place, each failure saying why.

Per facility ((十二), (十三)): resident activity area ≥ 60% of the floor area; open ≥ 8 hours
every day and all day on holidays; staff on duty in the service hall (2 in a city community,
1 in a village). Per community or village (主要指标): a comprehensive service facility
(indicators 1–2), ≥ 30 m² of it per 100 households (indicator 4), activity area ≥ 60% of it
rolled up by area (indicator 5), a government self-service terminal in every urban
community (indicator 6).

The rules take plain values (or objects with the same attributes) so they are tested
without a database; ``queries.py`` feeds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from shequ.facilities.models import DAY_LABELS, HOLIDAY

ACTIVITY_SHARE_MIN = 0.60  # (十二) 居民活动区域占…总面积的60%以上; indicator 5
MIN_DAILY_HOURS = 8.0  # (十二) 开放时间不少于每天8小时
AREA_PER_100_HOUSEHOLDS_MIN = 30.0  # indicator 4: 每百户…≥30平方米
URBAN_HALL_STAFF_MIN = 2  # (十三) 社区"一站式"服务大厅日常办公人员保持2-3人
VILLAGE_STAFF_MIN = 1  # (十三) 村党群服务中心日常坐班值班人员保持至少1人
WEEKDAYS = ("0", "1", "2", "3", "4", "5", "6")

Status = Literal["pass", "fail", "unknown"]


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one rule: ``unknown`` when the data to decide is missing."""

    code: str
    label: str
    status: Status
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def check_activity_share(floor_area: float | None, activity_area: float | None) -> Check:
    """Resident activity area ≥ 60% of the total floor area ((十二); indicator 5)."""
    code, label = "activity_share", "居民活动区域≥总面积60%"
    if not floor_area:
        return Check(code, label, "unknown", "未填写总建筑面积，无法判断。")
    if activity_area is None:
        return Check(code, label, "unknown", "未填写居民活动区域面积，无法判断。")
    share = activity_area / floor_area
    if share + 1e-9 >= ACTIVITY_SHARE_MIN:
        return Check(code, label, "pass", f"居民活动区域占{_pct(share)}。")
    return Check(
        code,
        label,
        "fail",
        f"居民活动区域{activity_area:g}㎡，仅占总面积{floor_area:g}㎡的{_pct(share)}，"
        f"低于60%（规划（十二））。",
    )


def check_opening_hours(hours: Mapping[str, Any] | Iterable[Any]) -> Check:
    """Open ≥ 8 hours every day of the week and all day on holidays ((十二)).

    ``hours`` maps a day ('0' Monday … '6' Sunday, 'holiday') to an object with
    ``all_day`` and ``hours`` (an :class:`OpeningHours`), or is an iterable of them
    (each with ``day``). A day without a row is closed.
    """
    code, label = "opening_hours", "每天开放≥8小时、节假日全天开放"
    if not isinstance(hours, Mapping):
        hours = {h.day: h for h in hours}
    if not hours:
        return Check(code, label, "unknown", "未登记开放时间，无法判断。")
    problems = []
    for day in WEEKDAYS:
        row = hours.get(day)
        if row is None:
            problems.append(f"{DAY_LABELS[day]}不开放")
        elif row.hours + 1e-9 < MIN_DAILY_HOURS:
            problems.append(f"{DAY_LABELS[day]}仅开放{row.hours:g}小时")
    holiday = hours.get(HOLIDAY)
    if holiday is None:
        problems.append("节假日不开放")
    elif not holiday.all_day:
        problems.append(f"节假日仅开放{holiday.hours:g}小时，应全天开放")
    if problems:
        return Check(code, label, "fail", "；".join(problems) + "（规划（十二））。")
    return Check(code, label, "pass")


def check_staff(staff_on_duty: int, *, is_village: bool) -> Check:
    """Staff on duty in the service hall: 2 in a city community, 1 in a village ((十三))."""
    need = VILLAGE_STAFF_MIN if is_village else URBAN_HALL_STAFF_MIN
    code, label = "staff", f"日常值班人员≥{need}人"
    if staff_on_duty >= need:
        return Check(code, label, "pass")
    where = "村党群服务中心" if is_village else "社区一站式服务大厅"
    return Check(
        code,
        label,
        "fail",
        f"值班人员{staff_on_duty}人，{where}应至少{need}人（规划（十三））。",
    )


def facility_checks(facility: Any, *, is_village: bool | None = None) -> list[Check]:
    """The checks of one facility; none for types the plan sets no standard for.

    Reads ``facility.hours.all()`` (prefetch it on lists) and ``facility.type``.
    """
    if not facility.type.held_to_standard:
        return []
    if is_village is None:
        is_village = bool(getattr(facility.unit, "is_village", False))
    return [
        check_activity_share(facility.floor_area, facility.activity_area),
        check_opening_hours(list(facility.hours.all())),
        check_staff(facility.staff_on_duty, is_village=is_village),
    ]


@dataclass(frozen=True, slots=True)
class UnitFacts:
    """What the unit rules need about one community or village."""

    is_urban: bool
    is_village: bool
    households: int
    comprehensive_count: int
    comprehensive_area: float  # sum of floor areas (unknown areas count 0)
    comprehensive_activity_area: float
    self_service_count: int


def check_has_comprehensive(facts: UnitFacts) -> Check:
    """Every community and village has a comprehensive service facility (indicators 1–2)."""
    code, label = "has_comprehensive", "设有社区综合服务设施"
    if facts.comprehensive_count:
        return Check(code, label, "pass")
    kind = "村" if facts.is_village else "社区"
    return Check(code, label, "fail", f"本{kind}没有登记在用的社区综合服务设施（指标1–2）。")


def check_area_per_households(facts: UnitFacts) -> Check:
    """≥ 30 m² of comprehensive facility floor area per 100 households (indicator 4)."""
    code, label = "area_per_100_households", "每百户综合服务设施面积≥30㎡"
    if facts.households <= 0:
        return Check(code, label, "unknown", "未登记户数，无法计算每百户面积。")
    per_100 = facts.comprehensive_area / (facts.households / 100)
    if per_100 + 1e-9 >= AREA_PER_100_HOUSEHOLDS_MIN:
        return Check(code, label, "pass", f"每百户{per_100:.1f}㎡。")
    need = AREA_PER_100_HOUSEHOLDS_MIN * facts.households / 100
    return Check(
        code,
        label,
        "fail",
        f"综合服务设施共{facts.comprehensive_area:g}㎡，{facts.households}户，"
        f"每百户仅{per_100:.1f}㎡，低于30㎡（指标4），至少需{need:.0f}㎡。",
    )


def check_unit_activity_share(facts: UnitFacts) -> Check:
    """Activity area ≥ 60% of the comprehensive facilities' area, rolled up (indicator 5)."""
    if not facts.comprehensive_count:
        return Check(
            "unit_activity_share", "居民活动区域≥总面积60%", "unknown", "没有综合服务设施。"
        )
    check = check_activity_share(facts.comprehensive_area, facts.comprehensive_activity_area)
    return Check("unit_activity_share", check.label, check.status, check.reason)


def check_self_service(facts: UnitFacts) -> Check | None:
    """Every urban community has a government self-service terminal (indicator 6).

    ``None`` for villages: the indicator counts urban communities only.
    """
    if not facts.is_urban or facts.is_village:
        return None
    code, label = "self_service", "设有政务自助服务终端"
    if facts.self_service_count:
        return Check(code, label, "pass")
    return Check(code, label, "fail", "本社区没有在用的政务通用自助服务终端（指标6）。")


def unit_checks(facts: UnitFacts) -> list[Check]:
    checks = [
        check_has_comprehensive(facts),
        check_area_per_households(facts),
        check_unit_activity_share(facts),
        check_self_service(facts),
    ]
    return [c for c in checks if c is not None]
