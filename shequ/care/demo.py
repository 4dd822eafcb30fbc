"""Demo care data on top of the demo registry: a year of targets, tasks, visits and orders.

Deterministic: the same registry, seed and ``today`` give the same rows. Rows are written in
bulk (the demo is a loader, not a user); targets and tasks still go through the services, so
the demo exercises the same sync and generation code as production.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from shequ.care import clock, services
from shequ.care.models import (
    CareTarget,
    Condition,
    Met,
    Method,
    OrderStatus,
    Provider,
    Risk,
    ServiceKind,
    ServiceOrder,
    TaskStatus,
    Visit,
    VisitPolicy,
    VisitTask,
)
from shequ.care.policies import HEATING_MONTHS, PolicyBook, months_back
from shequ.registry.models import AdminUnit, Level, Worker

PROVIDERS = [
    # (name, kinds, phone): the plan's 公建民营 chains and a hospital's home-visit team.
    ("西安区颐康居家养老服务中心", ["meal", "clean", "bath"], "0437-3201101"),
    ("福寿老年助餐点", ["meal"], "0437-3201102"),
    ("安馨家政助洁队", ["clean", "mobility"], "0437-3201103"),
    ("区医院家庭医生团队", ["medical", "mobility"], "0437-3201104"),
]
NEED_NOTES = {
    ServiceKind.MEAL: "独自做饭困难，希望送餐",
    ServiceKind.BATH: "行动不便，需要助浴",
    ServiceKind.CLEAN: "居室卫生较差，需要保洁",
    ServiceKind.MEDICAL: "慢性病需定期陪同就医",
    ServiceKind.MOBILITY: "需要轮椅和出行协助",
}
FOLLOW_UPS = ["已提醒按时服药", "已联系子女", "下次重点查看取暖", "已登记需求，社区跟进", ""]


def _aware(day: date, minute_of_day: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60)))


def _diligence(rng: random.Random, grid_ids: list[int]) -> dict[int, float]:
    """How reliably each grid visits: half perfect, a third good, the rest lagging, so the
    rate page shows green communities next to red ones."""
    out = {}
    for grid_id in grid_ids:
        roll = rng.random()
        out[grid_id] = (
            1.0
            if roll < 0.5
            else rng.uniform(0.93, 0.99)
            if roll < 0.85
            else rng.uniform(0.6, 0.85)
        )
    return out


def _providers(rng: random.Random, district: AdminUnit, password: str | None) -> list[Provider]:
    from shequ.accounts.models import Role, User

    made = []
    for i, (name, kinds, phone) in enumerate(PROVIDERS, start=1):
        provider, _ = Provider.objects.get_or_create(
            name=name, defaults={"kinds": kinds, "area": district, "phone": phone}
        )
        if password:
            user, created = User.objects.get_or_create(
                username=f"provider{i}", defaults={"role": Role.LEADER, "first_name": name[:30]}
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            provider.users.add(user)
        made.append(provider)
    return made


def _simulate_visits(
    rng: random.Random,
    tasks: list[tuple],
    *,
    diligence: dict[int, float],
    workers: dict[int, int | None],
    book: PolicyBook,
    window: tuple[date, date],
    boost: float,
) -> tuple[list[Visit], list[int]]:
    """Visits in ``window`` for open tasks, and the ids of the tasks they complete.

    A task is visited in the window with its grid's diligence times the share of its
    remaining period the window covers, so a period still running is partly done.
    """
    visits: list[Visit] = []
    done: list[int] = []
    for task_id, target_id, person_id, care_class, unit_id, start, end, assignee, t_start in tasks:
        p = min(1.0, diligence.get(unit_id, 0.95) + boost)
        first = max(start, t_start, window[0])
        last = min(end, window[1])
        if last < first:
            continue
        share = ((last - first).days + 1) / ((end - first).days + 1)
        if rng.random() >= p * share:
            continue
        day = first + timedelta(days=rng.randrange((last - first).days + 1))
        method = Method.HOME
        if p < 1.0 and rng.random() < 0.08:
            method = rng.choice([Method.PHONE, Method.PHONE, Method.VIDEO])
        needs = [rng.choice(list(ServiceKind.values))] if rng.random() < 0.05 else []
        risky = rng.random()
        visits.append(
            Visit(
                target_id=target_id,
                person_id=person_id,
                visitor_id=assignee,
                recorded_by_id=workers.get(assignee) if assignee else None,
                method=method,
                visited_on=day,
                visited_at=_aware(day, rng.randrange(8 * 60 + 30, 17 * 60 + 30)),
                met=Met.SELF if risky < 0.9 else Met.FAMILY,
                living=Condition.GOOD if risky < 0.8 else Condition.FAIR,
                health=Condition.GOOD
                if risky < 0.6
                else Condition.FAIR
                if risky < 0.93
                else Condition.POOR,
                heating_ok=(risky < 0.97) if day.month in HEATING_MONTHS else None,
                gas_ok=risky < 0.98,
                fall_risk=risky > 0.9,
                needs=needs,
                needs_note=NEED_NOTES[needs[0]] if needs else "",
                risk=Risk.LOW if risky < 0.9 else Risk.MEDIUM if risky < 0.98 else Risk.HIGH,
                follow_up=rng.choice(FOLLOW_UPS) if risky > 0.7 else "",
            )
        )
        if book.for_day(care_class, day).counts(method):
            done.append(task_id)
    return visits, done


def _orders(rng: random.Random, providers: list[Provider], today: date) -> int:
    """A home-care order for each visit that found a need; older ones are done and rated."""
    rows = []
    found = (
        Visit.objects.exclude(needs=[])
        .order_by("pk")
        .values_list(
            "pk", "target_id", "person_id", "needs", "needs_note", "visited_at", "recorded_by_id"
        )
    )
    for pk, target_id, person_id, needs, note, at, user_id in found:
        kind = needs[0]
        able = [p for p in providers if kind in p.kinds]
        provider = rng.choice(able) if able else None
        day = timezone.localdate(at)
        scheduled = day + timedelta(days=rng.randrange(1, 6))
        age = (today - day).days
        if provider is None or (age < 3 and rng.random() < 0.6):
            status = OrderStatus.REQUESTED
        elif scheduled >= today:
            status = OrderStatus.SCHEDULED
        else:
            status = OrderStatus.CANCELLED if rng.random() < 0.05 else OrderStatus.DONE
        done = status == OrderStatus.DONE
        rating = rng.choices([5, 4, 3, 2], weights=[60, 30, 8, 2])[0] if done else None
        rows.append(
            ServiceOrder(
                target_id=target_id,
                person_id=person_id,
                kind=kind,
                visit_id=pk,
                note=note,
                provider=provider if status != OrderStatus.REQUESTED else None,
                scheduled_on=scheduled if status != OrderStatus.REQUESTED else None,
                status=status,
                ordered_by_id=user_id,
                ordered_at=at,
                completed_at=_aware(scheduled, 11 * 60) if done else None,
                completion_note="服务已完成" if done else "",
                rating=rating,
                rating_note="服务周到" if rating == 5 else "",
                rated_at=_aware(scheduled, 16 * 60) if done else None,
            )
        )
    ServiceOrder.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@transaction.atomic
def generate_demo_care(
    seed: int, *, today: date, provider_password: str | None = "demo12345"
) -> dict[str, Any]:
    """Build a year of care data on the demo registry already in the database.

    For each half-month from 12 months before ``today`` up to ``today``: sync targets from
    the registry (so 80th birthdays and tag changes arrive mid-year), generate that period's
    visit tasks, and simulate the grid workers' visits with realistic gaps (half the grids
    perfect, some lagging, a few phone calls that do not count for home-visit policies), so
    the rate page shows green and red communities. Also: the default policies (the winter
    weekly policy left off), four home-care providers (with logins ``provider1``…``provider4``
    when ``provider_password`` is given) and an order for each visit that found a need.

    Deterministic for a given registry, ``seed`` and ``today``. Refuses to run twice: call
    it on a registry without care data (``manage.py load_demo_care --reset`` clears it).
    Returns counts: targets, open_targets, visits, tasks, tasks_done, orders, providers.
    """
    if CareTarget.objects.exists():
        raise RuntimeError("关爱演示数据已存在：请先清除（load_demo_care --reset）。")
    rng = random.Random(f"care-{seed}")
    services.ensure_default_policies()
    book = PolicyBook(VisitPolicy.objects.active())
    district = AdminUnit.objects.filter(level=Level.DISTRICT).order_by("code").first()
    if district is None:
        raise RuntimeError("没有区划数据：请先运行 load_demo。")
    grid_ids = list(
        AdminUnit.objects.filter(level__in=[Level.GRID, Level.COMMUNITY])
        .order_by("code")
        .values_list("pk", flat=True)
    )
    diligence = _diligence(rng, grid_ids)
    workers = dict(Worker.objects.values_list("pk", "user_id"))
    months = months_back(today.replace(day=1), 13)
    steps = sorted({d for m in months for d in (m, m.replace(day=15)) if d <= today} | {today})
    visits_total = 0
    with clock.frozen(_aware(steps[0], 7 * 60)) as move:
        for i, day in enumerate(steps):
            move(_aware(day, 7 * 60))
            services.sync_targets(on=day)
            services.generate_visit_tasks(on=day)
            # Visits happen until the next step, and never today or later.
            until = steps[i + 1] - timedelta(days=1) if i + 1 < len(steps) else today
            window = (day, min(until, today - timedelta(days=1)))
            # The district pushes: later months are visited more reliably than earlier ones.
            boost = 0.04 * i / max(1, len(steps) - 1)
            tasks = list(
                VisitTask.objects.filter(status=TaskStatus.OPEN, period_start__lte=day)
                .order_by("pk")
                .values_list(
                    "pk",
                    "target_id",
                    "target__person_id",
                    "target__care_class",
                    "target__unit_id",
                    "period_start",
                    "period_end",
                    "assignee_id",
                    "target__started_on",
                )
            )
            visits, done = _simulate_visits(
                rng,
                tasks,
                diligence=diligence,
                workers=workers,
                book=book,
                window=window,
                boost=boost,
            )
            Visit.objects.bulk_create(visits, batch_size=2000)
            for i0 in range(0, len(done), 500):
                VisitTask.objects.filter(pk__in=done[i0 : i0 + 500]).update(
                    status=TaskStatus.DONE, closed_at=_aware(window[1], 18 * 60)
                )
            visits_total += len(visits)
    providers = _providers(rng, district, provider_password)
    orders = _orders(rng, providers, today)
    return {
        "targets": CareTarget.objects.count(),
        "open_targets": CareTarget.objects.open().count(),
        "visits": visits_total,
        "tasks": VisitTask.objects.count(),
        "tasks_done": VisitTask.objects.filter(status=TaskStatus.DONE).count(),
        "orders": orders,
        "providers": len(providers),
    }
