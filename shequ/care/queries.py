"""Reads of the care app, each limited to the user's scope through ``in_scope``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import F, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from shequ.care import tickets_link
from shequ.care.models import CareTarget, ServiceOrder, TaskStatus, Visit, VisitTask
from shequ.care.policies import month_bounds
from shequ.registry.models import Person

# A grid has a few dozen targets; a street officer opening the phone page gets the nearest
# 200 of each list rather than thousands of cards.
WORK_LIST_LIMIT = 200
TASK_RELATED = ("target__person__household__building", "target__unit", "assignee")


def _last_visit(day: date) -> Subquery:
    return Subquery(
        Visit.objects.filter(person_id=OuterRef("person_id"), visited_on__lte=day)
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )


def nearest_first(
    tasks: QuerySet[VisitTask], lat: float | None, lon: float | None
) -> QuerySet[VisitTask]:
    """Order by distance from (lat, lon) when given, else by building and room.

    Squared equirectangular distance in SQL: exact enough for ranking doors in one grid.
    Tasks of persons without a located building come last.
    """
    building = "target__person__household__building"
    if lat is None or lon is None:
        return tasks.order_by(
            f"{building}__address",
            f"{building}__number",
            "target__person__household__room",
            "target__person__name",
            "pk",
        )
    k = math.cos(math.radians(lat))
    far = Value(1e9, output_field=FloatField())
    dist = Coalesce(
        (F(f"{building}__lat") - Value(lat)) * (F(f"{building}__lat") - Value(lat))
        + (F(f"{building}__lon") - Value(lon))
        * (F(f"{building}__lon") - Value(lon))
        * Value(k * k),
        far,
        output_field=FloatField(),
    )
    return tasks.annotate(dist2=dist).order_by("dist2", "target__person__name", "pk")


def distance_km(
    lat: float | None, lon: float | None, b_lat: float | None, b_lon: float | None
) -> float | None:
    if None in (lat, lon, b_lat, b_lon):
        return None
    dy = math.radians(b_lat - lat)
    dx = math.radians(b_lon - lon) * math.cos(math.radians((lat + b_lat) / 2))
    return 6371.0 * math.hypot(dx, dy)


@dataclass
class WorkList:
    overdue: list[VisitTask]
    pending: list[VisitTask]
    today: list[Visit]
    month_done: int
    month_visits: int
    truncated: bool = False


def work_list(
    user: Any, day: date, *, lat: float | None = None, lon: float | None = None
) -> WorkList:
    """The grid worker's phone page: overdue first, then this period's open tasks nearest
    first, then today's visits; a fixed handful of queries whatever the grid's size."""
    tasks = VisitTask.objects.in_scope(user).select_related(*TASK_RELATED)
    overdue_qs = tasks.overdue(day)
    overdue = list(nearest_first(overdue_qs, lat, lon)[: WORK_LIST_LIMIT + 1])
    pending = list(
        nearest_first(
            tasks.open().current(day).exclude(pk__in=overdue_qs.values("pk")).with_last_visit(day),
            lat,
            lon,
        )[: WORK_LIST_LIMIT + 1]
    )
    truncated = len(overdue) > WORK_LIST_LIMIT or len(pending) > WORK_LIST_LIMIT
    overdue, pending = overdue[:WORK_LIST_LIMIT], pending[:WORK_LIST_LIMIT]
    first, last = month_bounds(day)
    visits = Visit.objects.in_scope(user)
    for task in (*overdue, *pending):
        b = task.target.person.household.building if task.target.person.household else None
        task.km = distance_km(lat, lon, b.lat, b.lon) if b else None
    return WorkList(
        overdue=overdue,
        pending=pending,
        today=list(
            visits.filter(visited_on=day)
            .select_related("person", "visitor")
            .order_by("-visited_at")
        ),
        month_done=tasks.filter(
            status=TaskStatus.DONE, period_start__lte=last, period_end__gte=first
        ).count(),
        month_visits=visits.filter(visited_on__range=(first, last)).count(),
        truncated=truncated,
    )


def targets(
    user: Any, *, care_class: str = "", q: str = "", unit_code: str = "", day: date
) -> QuerySet[CareTarget]:
    """Current targets in scope, with the date of each one's last visit."""
    qs = CareTarget.objects.in_scope(user).active_on(day)
    if care_class:
        qs = qs.filter(care_class=care_class)
    if unit_code:
        qs = qs.filter(unit__code__startswith=unit_code)
    if q:
        qs = qs.filter(person__name__contains=q.strip())
    return (
        qs.select_related("person", "unit", "person__household")
        .annotate(last_visit_on=_last_visit(day))
        .order_by("unit__code", "person__name", "pk")
    )


def overdue_tasks(user: Any, day: date, *, unit_code: str = "") -> QuerySet[VisitTask]:
    """The supervisor's list: open tasks overdue on ``day``, longest-unvisited first."""
    qs = VisitTask.objects.in_scope(user).overdue(day)
    if unit_code:
        qs = qs.filter(target__unit__code__startswith=unit_code)
    return qs.select_related(*TASK_RELATED).order_by(
        F("last_visit_on").asc(nulls_first=True), "target__unit__code", "pk"
    )


def person_in_scope(user: Any, pk: int) -> Person | None:
    return (
        Person.objects.in_scope(user)
        .select_related("unit", "household__building")
        .filter(pk=pk)
        .first()
    )


@dataclass
class TimelineItem:
    at: datetime
    kind: str  # visit, order, ticket, target
    title: str
    detail: str = ""
    url: str = ""
    alert: bool = False


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def timeline(person: Person, user: Any) -> list[TimelineItem]:
    """The person's care record (电子档案, 专栏2 item 2): target intervals, every visit, every
    home-care order and every ticket opened from a visit (those ``user`` may see), newest
    first."""
    items: list[TimelineItem] = []
    for t in person.care_targets.select_related("unit").order_by("started_on"):
        items.append(
            TimelineItem(
                _midnight(t.started_on),
                "target",
                f"纳入关爱对象：{t.get_care_class_display()}",
                t.unit.name,
            )
        )
        if t.ended_on:
            items.append(
                TimelineItem(
                    _midnight(t.ended_on),
                    "target",
                    f"退出关爱对象：{t.get_end_reason_display()}",
                    t.get_care_class_display(),
                )
            )
    for v in person.care_visits.select_related("visitor").order_by("-visited_at"):
        found = "、".join(v.need_labels)
        detail = (
            f"见到{v.get_met_display()} · 居住{v.get_living_display()} · "
            f"健康{v.get_health_display()} · 风险{v.get_risk_display()}"
            + (f" · 需求：{found}" if found else "")
            + (f" · {v.follow_up}" if v.follow_up else "")
        )
        who = v.visitor.name if v.visitor else ""
        items.append(
            TimelineItem(
                v.visited_at,
                "visit",
                f"{v.get_method_display()}探访 {who}".strip(),
                detail,
                alert=v.risk == "high",
            )
        )
    for o in person.care_orders.select_related("provider").order_by("-ordered_at"):
        rating = f" · 评价{o.rating}星" if o.rating else ""
        items.append(
            TimelineItem(
                o.ordered_at,
                "order",
                f"{o.get_kind_display()}：{o.get_status_display()}",
                f"{o.provider.name if o.provider else '待安排服务商'}"
                f"{' · ' + str(o.scheduled_on) if o.scheduled_on else ''}{rating}",
                url=f"/care/orders/{o.pk}/",
            )
        )
    for t in tickets_link.tickets_for_person(person, user):
        items.append(TimelineItem(t.at, "ticket", t.title, t.detail, url=t.url))
    return sorted(items, key=lambda i: i.at, reverse=True)


def orders(user: Any, *, status: str = "", kind: str = "") -> QuerySet[ServiceOrder]:
    qs = ServiceOrder.objects.in_scope(user)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("person", "person__household", "provider", "target__unit")


def open_task_counts(user: Any, day: date) -> dict[str, int]:
    tasks = VisitTask.objects.in_scope(user).open()
    return {
        "open": tasks.current(day).count(),
        "overdue": tasks.overdue(day).count(),
        "unassigned": tasks.filter(
            Q(assignee__isnull=True) | Q(assignee__left_on__lte=day)
        ).count(),
    }
