"""The rules of care: who is a target, which policy applies when, and how many visits are due.

Plain functions over plain values (dates, tag sets), so the rules are tested on their own.
The plan behind them: 专栏2 item 2 (特殊困难老年人: 失能、重残、特困、高龄、独居; monthly visit
rate 100%), item 3 (留守儿童、困境儿童), item 4 (重度残疾人).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from shequ.care.models import CareClass, Method, Period, VisitorRole, VisitPolicy
from shequ.registry.models import Tag

# 特困、失能、重残、独居: with any of these a person of 60+ is a special-difficulty elder.
SPECIAL_TAGS = frozenset(
    {Tag.EXTREME_POVERTY, Tag.DISABLED_CARE, Tag.SEVERE_DISABILITY, Tag.LIVING_ALONE}
)
ELDERLY_AGE = 60
OLD_AGE = 80  # 高龄
LEFT_BEHIND_MAX_AGE = 16  # 农村留守儿童: under 16 (国发〔2016〕13号)
CHILD_MAX_AGE = 18  # 困境儿童: under 18
# Liaoyuan's heating season runs from mid-October to mid-April: ask about heating then.
HEATING_MONTHS = frozenset({10, 11, 12, 1, 2, 3, 4})


def is_severely_disabled(tags: Mapping[str, int | None]) -> bool:
    """重残: the 重残 tag, or a disability of grade 1 or 2 (一、二级残疾)."""
    if Tag.SEVERE_DISABILITY in tags:
        return True
    grade = tags.get(Tag.DISABLED)
    return Tag.DISABLED in tags and grade is not None and grade <= 2


def classify(age: int, tags: Mapping[str, int | None], *, lives_alone: bool) -> str | None:
    """The care class of a person, or None; classes are exclusive, in precedence order.

    ``tags`` maps each open tag to its grade (None when ungraded). ``lives_alone`` says the
    person is the only member of their household in the registry, whatever the tags say.
    """
    severe = is_severely_disabled(tags)
    if age >= OLD_AGE or (age >= ELDERLY_AGE and (severe or SPECIAL_TAGS & tags.keys())):
        return CareClass.SPECIAL_ELDERLY
    if severe:
        return CareClass.SEVERE_DISABILITY
    if age >= ELDERLY_AGE and lives_alone:
        # Alone by the household registry but not (yet) tagged 独居 by the community.
        return CareClass.ELDERLY_ALONE
    if age < CHILD_MAX_AGE and Tag.DIFFICULTY_CHILD in tags:
        return CareClass.DIFFICULTY_CHILD
    if age < LEFT_BEHIND_MAX_AGE and Tag.LEFT_BEHIND_CHILD in tags:
        return CareClass.LEFT_BEHIND_CHILD
    return None


def age_on(birth: date, day: date) -> int:
    years = day.year - birth.year
    return years - 1 if (day.month, day.day) < (birth.month, birth.day) else years


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day of ``day``'s calendar month."""
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def period_bounds(day: date, period: str) -> tuple[date, date]:
    """The period containing ``day``: its calendar month, or its Monday-to-Sunday week."""
    if period == Period.WEEK:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    return month_bounds(day)


def period_days(period: str, first: date) -> int:
    """Length in days of the period starting ``first``: 7 for a week, the month's days."""
    return 7 if period == Period.WEEK else calendar.monthrange(first.year, first.month)[1]


def required_visits(active_days: int, min_visits: int, length: int) -> int:
    """Visits due in ``active_days`` of a period of ``length`` days: prorated, at least one.

    ``max(1, ⌊active_days × min_visits / length⌋)``: a full month of a monthly policy asks
    ``min_visits``; a target that arrives on the 25th still owes one visit that month.
    """
    return max(1, (active_days * min_visits) // length)


def parse_month(text: str | None, default: date) -> date:
    """'2026-03' → date(2026, 3, 1); anything unparsable gives ``default``'s month."""
    try:
        year, month = (int(part) for part in (text or "").split("-", 1))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return default.replace(day=1)


def months_back(first: date, count: int) -> list[date]:
    """The first days of ``count`` months ending with ``first``'s month, oldest first."""
    out = []
    year, month = first.year, first.month
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


ALL_MONTHS = list(range(1, 13))
WINTER_MONTHS = [11, 12, 1, 2, 3]


@dataclass(frozen=True)
class DefaultPolicy:
    care_class: str
    name: str
    months: list[int]
    period: str
    min_visits: int
    methods: list[str]
    active: bool = True


# The plan asks at least one visit a month for special-difficulty elderly (专栏2 item 2); the
# winter weekly policy exists but is off until the district switches it on.
DEFAULT_POLICIES = [
    DefaultPolicy(
        CareClass.SPECIAL_ELDERLY, "每月入户探访", ALL_MONTHS, Period.MONTH, 1, [Method.HOME]
    ),
    DefaultPolicy(
        CareClass.SPECIAL_ELDERLY,
        "冬季每周探访",
        WINTER_MONTHS,
        Period.WEEK,
        1,
        [Method.HOME, Method.PHONE, Method.VIDEO],
        active=False,
    ),
    DefaultPolicy(
        CareClass.SEVERE_DISABILITY,
        "每月探访",
        ALL_MONTHS,
        Period.MONTH,
        1,
        [Method.HOME, Method.VIDEO],
    ),
    DefaultPolicy(
        CareClass.ELDERLY_ALONE,
        "每月探访",
        ALL_MONTHS,
        Period.MONTH,
        1,
        [Method.HOME, Method.PHONE, Method.VIDEO],
    ),
    DefaultPolicy(
        CareClass.DIFFICULTY_CHILD,
        "每月探访",
        ALL_MONTHS,
        Period.MONTH,
        1,
        [Method.HOME, Method.VIDEO],
    ),
    DefaultPolicy(
        CareClass.LEFT_BEHIND_CHILD,
        "每月探访",
        ALL_MONTHS,
        Period.MONTH,
        1,
        [Method.HOME, Method.PHONE, Method.VIDEO],
    ),
]


def fallback_policy(care_class: str) -> VisitPolicy:
    """The policy used when the district has none active for a class: monthly, in person."""
    return VisitPolicy(
        care_class=care_class,
        name="默认：每月入户探访",
        months=ALL_MONTHS,
        period=Period.MONTH,
        min_visits=1,
        methods=[Method.HOME],
        visitor_role=VisitorRole.GRID_WORKER,
    )


class PolicyBook:
    """The active policies, loaded once, answering "which policy for this class on this day".

    The shortest season covering the day's month wins, then the newest policy; a class with
    no policy gets :func:`fallback_policy`, so no target is ever without a rule.
    """

    def __init__(self, policies: Iterable[VisitPolicy]):
        self._by_class: dict[str, list[VisitPolicy]] = {}
        for policy in policies:
            self._by_class.setdefault(policy.care_class, []).append(policy)
        for rows in self._by_class.values():
            rows.sort(key=lambda p: (len(p.months or ALL_MONTHS), -(p.pk or 0)))

    @classmethod
    def load(cls) -> PolicyBook:
        return cls(VisitPolicy.objects.active())

    def for_day(self, care_class: str, day: date) -> VisitPolicy:
        for policy in self._by_class.get(care_class, []):
            if day.month in (policy.months or ALL_MONTHS):
                return policy
        return fallback_policy(care_class)
