"""Writes of the care app: targets from the registry, visit tasks, visits, policies.

Each public write takes the acting user by keyword (``actor``; None for the scheduled job),
checks scope and rules first, and changes nothing when it raises a DomainError.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from shequ.accounts.models import Role
from shequ.audit import services as audit
from shequ.audit.models import Action
from shequ.care import clock
from shequ.care.models import (
    CareClass,
    CareTarget,
    Condition,
    EndReason,
    Met,
    Method,
    Period,
    Risk,
    ServiceKind,
    TaskStatus,
    Visit,
    VisitorRole,
    VisitPolicy,
    VisitTask,
)
from shequ.care.policies import (
    DEFAULT_POLICIES,
    ELDERLY_AGE,
    PolicyBook,
    age_on,
    classify,
    period_bounds,
    period_days,
    required_visits,
)
from shequ.errors import Conflict, Forbidden, Invalid, NotFound
from shequ.registry.models import Person, PersonStatus, PersonTag, Tag, Worker

# Roles that visit and keep the visit log (SPEC: grid workers visit, clerks keep the log).
VISIT_ROLES = frozenset({Role.GRID_WORKER, Role.CLERK, Role.STREET_OFFICER, Role.DISTRICT_ADMIN})
# Two records of one person by one visitor closer than this are the same visit.
DUPLICATE_WINDOW = timedelta(minutes=30)
# Phones' clocks drift: a visit a few minutes "in the future" is still now.
CLOCK_SKEW = timedelta(minutes=5)
CARE_TAGS = (
    Tag.EXTREME_POVERTY,
    Tag.DISABLED_CARE,
    Tag.SEVERE_DISABILITY,
    Tag.LIVING_ALONE,
    Tag.DISABLED,
    Tag.LEFT_BEHIND_CHILD,
    Tag.DIFFICULTY_CHILD,
)


def may_record_visits(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) or getattr(user, "role", None) in VISIT_ROLES)


def may_edit_policies(user: Any) -> bool:
    return bool(
        getattr(user, "is_superuser", False) or getattr(user, "role", None) == Role.DISTRICT_ADMIN
    )


# --- targets ---------------------------------------------------------------------------


@dataclass
class SyncResult:
    opened: list[int] = field(default_factory=list)
    closed: dict[str, int] = field(default_factory=dict)
    tasks_created: int = 0


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    """Id lists in slices, so no statement carries an unbounded IN list."""
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _born_by(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def desired_targets(*, on: date, prefix: str = "") -> dict[int, tuple[str, int]]:
    """{person id: (care class, unit id)} for every person who is a care target on ``on``.

    A few set queries (tagged persons, elders, one-member households), then the pure rule
    :func:`classify` in Python on the candidates only.
    """
    persons = Person.objects.active().filter(unit__code__startswith=prefix)
    tags = (
        PersonTag.objects.filter(person__in=persons, tag__in=CARE_TAGS, started_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        .values_list("person_id", "tag", "grade")
    )
    tags_of: dict[int, dict[str, int | None]] = defaultdict(dict)
    for person_id, tag, grade in tags:
        tags_of[person_id][tag] = grade
    elders = persons.filter(birth_date__lte=_born_by(on, ELDERLY_AGE))
    alone = set(
        Person.objects.active()
        .filter(household__in=elders.values("household_id"))
        .values("household_id")
        .annotate(n=Count("id"))
        .filter(n=1)
        .values_list("household_id", flat=True)
    )
    candidates = persons.filter(Q(pk__in=tags.values("person_id")) | Q(pk__in=elders.values("pk")))
    desired: dict[int, tuple[str, int]] = {}
    for pk, birth, unit_id, household_id in candidates.values_list(
        "pk", "birth_date", "unit_id", "household_id"
    ):
        care_class = classify(
            age_on(birth, on),
            tags_of.get(pk, {}),
            lives_alone=household_id is not None and household_id in alone,
        )
        if care_class:
            desired[pk] = (care_class, unit_id)
    return desired


@transaction.atomic
def sync_targets(*, on: date, actor: Any = None, prefix: str = "") -> SyncResult:
    """Open targets for persons who entered a care class, close those who left, from ``on``.

    Leaving means: moved out or died (Person.status), moved to another grid (closed here,
    reopened there: the old unit answered for the days before), tag ended, aged or graded out
    of the class. History stays: a closed target keeps its interval and end reason. New
    targets get their visit task at once.
    """
    if actor is not None and not may_edit_policies(actor):
        raise Forbidden("只有区级管理员可以同步关爱对象。")
    desired = desired_targets(on=on, prefix=prefix)
    result = SyncResult()
    open_rows = CareTarget.objects.open().filter(unit__code__startswith=prefix, started_on__lte=on)
    to_close: dict[str, list[int]] = defaultdict(list)
    keep: set[int] = set()
    for pk, person_id, care_class, unit_id, status in open_rows.values_list(
        "pk", "person_id", "care_class", "unit_id", "person__status"
    ):
        want = desired.get(person_id)
        if want == (care_class, unit_id):
            keep.add(person_id)
            continue
        if status == PersonStatus.DECEASED:
            reason = EndReason.DECEASED
        elif status == PersonStatus.MOVED_OUT:
            reason = EndReason.MOVED_OUT
        elif want is None:
            reason = EndReason.NO_LONGER
        elif want[0] != care_class:
            reason = EndReason.CLASS_CHANGED
        else:
            reason = EndReason.MOVED
        to_close[reason].append(pk)
    for reason, ids in to_close.items():
        for chunk in _chunks(ids):
            CareTarget.objects.filter(pk__in=chunk).update(ended_on=on, end_reason=reason)
            VisitTask.objects.filter(target_id__in=chunk, status=TaskStatus.OPEN).update(
                status=TaskStatus.CANCELLED, closed_at=clock.now()
            )
        result.closed[reason] = len(ids)
    # A person with an open target elsewhere (outside ``prefix``, or starting after ``on``)
    # keeps it; the unique constraint would refuse a second one anyway.
    still_open = set(CareTarget.objects.open().values_list("person_id", flat=True))
    new = [
        CareTarget(person_id=person_id, care_class=care_class, unit_id=unit_id, started_on=on)
        for person_id, (care_class, unit_id) in sorted(desired.items())
        if person_id not in keep and person_id not in still_open
    ]
    before = CareTarget.objects.aggregate(last=Max("pk"))["last"] or 0
    CareTarget.objects.bulk_create(new, batch_size=1000)
    opened = CareTarget.objects.filter(pk__gt=before)
    result.opened = list(opened.values_list("pk", flat=True)) if new else []
    if result.opened:
        result.tasks_created = generate_visit_tasks(on=on, targets=opened).created
    return result


# --- visit tasks -----------------------------------------------------------------------


@dataclass
class GenerateResult:
    created: int = 0
    missed: int = 0
    reassigned: int = 0


def _assignee_map(on: date) -> dict[tuple[int, str], int]:
    """{(unit id, grid role): worker id}: the first active worker of each role in each unit."""
    workers = (
        Worker.objects.filter(
            Q(left_on__isnull=True) | Q(left_on__gt=on), grid_role__in=VisitorRole.values
        )
        .order_by("pk")
        .values_list("pk", "unit_id", "grid_role")
    )
    found: dict[tuple[int, str], int] = {}
    for pk, unit_id, role in workers:
        found.setdefault((unit_id, role), pk)
    return found


def _assignee_for(found: dict[tuple[int, str], int], unit_id: int, role: str) -> int | None:
    """The policy's visitor in the unit, falling back to the other grid role (never nobody
    while the grid has somebody)."""
    for candidate in (role, VisitorRole.GRID_WORKER, VisitorRole.GRID_LEADER):
        if (unit_id, candidate) in found:
            return found[(unit_id, candidate)]
    return None


def generate_visit_tasks(
    *, on: date, targets: QuerySet[CareTarget] | None = None, prefix: str = ""
) -> GenerateResult:
    """Create the task of the period containing ``on`` for every target active on ``on``
    (or only for ``targets``, e.g. those a sync just opened).

    Idempotent: run it daily (``manage.py generate_visit_tasks``) and each target gets one task
    per period as its period starts, whatever the policy's period is. It also closes open
    tasks of past periods as missed and hands tasks of workers who left to their grid's
    current worker. The partial unique constraint makes two concurrent runs harmless.
    """
    result = GenerateResult()
    with transaction.atomic():
        if targets is None:
            result.missed = VisitTask.objects.filter(
                status=TaskStatus.OPEN,
                period_end__lt=on,
                target__unit__code__startswith=prefix,
            ).update(status=TaskStatus.MISSED, closed_at=clock.now())
        chosen = CareTarget.objects.active_on(on).filter(unit__code__startswith=prefix)
        if targets is not None:
            chosen = chosen.filter(pk__in=targets.values("pk"))
        rows = list(chosen.values_list("pk", "care_class", "unit_id", "started_on", "ended_on"))
        book = PolicyBook.load()
        found = _assignee_map(on)
        starts = {period_bounds(on, p)[0] for p in Period.values}
        existing = set(
            VisitTask.objects.filter(target__in=chosen, period_start__in=starts).values_list(
                "target_id", "period_start"
            )
        )
        new = []
        for pk, care_class, unit_id, started_on, ended_on in rows:
            policy = book.for_day(care_class, on)
            first, last = period_bounds(on, policy.period)
            if (pk, first) in existing:
                continue
            active_last = min(last, ended_on - timedelta(days=1)) if ended_on else last
            days = (active_last - max(first, started_on)).days + 1
            new.append(
                VisitTask(
                    target_id=pk,
                    policy_id=policy.pk,
                    period=policy.period,
                    period_start=first,
                    period_end=last,
                    required=required_visits(
                        days, policy.min_visits, period_days(policy.period, first)
                    ),
                    assignee_id=_assignee_for(found, unit_id, policy.visitor_role),
                )
            )
        VisitTask.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        result.created = len(new)
        if targets is None:
            result.reassigned = _reassign_departed(on=on, prefix=prefix, found=found, book=book)
    return result


def _reassign_departed(*, on: date, prefix: str, found: dict, book: PolicyBook) -> int:
    """Open tasks whose assignee left (or who had none) go to the grid's current visitor."""
    stale = (
        VisitTask.objects.open()
        .filter(target__unit__code__startswith=prefix)
        .filter(Q(assignee__isnull=True) | Q(assignee__left_on__lte=on))
    )
    moves: dict[int | None, list[int]] = defaultdict(list)
    for pk, unit_id, care_class, assignee_id in stale.values_list(
        "pk", "target__unit_id", "target__care_class", "assignee_id"
    ):
        role = book.for_day(care_class, on).visitor_role
        new = _assignee_for(found, unit_id, role)
        if new != assignee_id:
            moves[new].append(pk)
    for worker_id, ids in moves.items():
        for chunk in _chunks(ids):
            VisitTask.objects.filter(pk__in=chunk).update(assignee_id=worker_id)
    return sum(len(ids) for worker_id, ids in moves.items() if worker_id is not None)


@transaction.atomic
def reassign_open_tasks(
    worker: Worker, *, actor: Any, to: Worker | None = None, on: date | None = None
) -> int:
    """Hand a worker's open tasks to ``to``, or to each grid's default visitor without them.

    For a grid worker who leaves (or goes on long leave): the registry records the leaving;
    this moves the work. Returns the number of tasks moved.
    """
    if not may_record_visits(actor) or getattr(actor, "role", None) == Role.GRID_WORKER:
        raise Forbidden("您的角色不能调整探访任务。")
    in_scope = Worker.objects.in_scope(actor)
    if not in_scope.filter(pk=worker.pk).exists():
        raise NotFound("社区工作者不存在或不在您的管辖范围内。")
    if to is not None:
        if not in_scope.active().filter(pk=to.pk).exists():
            raise NotFound("接手的社区工作者不存在、已离职或不在您的管辖范围内。", field="to")
        if to.pk == worker.pk:
            raise Invalid("接手人不能是原探访人。", field="to")
    on = on or clock.today()
    tasks = VisitTask.objects.open().filter(assignee=worker).in_scope(actor)
    if to is not None:
        moved = tasks.update(assignee=to)
    else:
        found = {k: v for k, v in _assignee_map(on).items() if v != worker.pk}
        book = PolicyBook.load()
        moves: dict[int | None, list[int]] = defaultdict(list)
        for pk, unit_id, care_class in tasks.values_list(
            "pk", "target__unit_id", "target__care_class"
        ):
            role = book.for_day(care_class, on).visitor_role
            moves[_assignee_for(found, unit_id, role)].append(pk)
        moved = 0
        for worker_id, ids in moves.items():
            for chunk in _chunks(ids):
                moved += VisitTask.objects.filter(pk__in=chunk).update(assignee_id=worker_id)
    audit.record(
        Action.UPDATE,
        worker,
        actor=actor,
        changes={"care_tasks": [worker.pk, to.pk if to else None]},
        summary=f"{worker.name} 的 {moved} 项探访任务已移交",
    )
    return moved


# --- visits ----------------------------------------------------------------------------


@dataclass
class VisitInput:
    person_id: int
    visited_at: datetime | None = None
    method: str = Method.HOME
    met: str = Met.SELF
    living: str = Condition.GOOD
    health: str = Condition.GOOD
    heating_ok: bool | None = None
    gas_ok: bool | None = None
    fall_risk: bool = False
    needs: list[str] = field(default_factory=list)
    needs_note: str = ""
    risk: str = Risk.LOW
    follow_up: str = ""
    visitor_id: int | None = None
    # A problem that needs action by a department or the community: becomes a 接诉即办 ticket.
    issue: str = ""
    # Found service needs (助餐 …) become home-care orders for the community to schedule.
    order_needs: bool = True


@dataclass
class VisitOutcome:
    visit: Visit
    counted: bool
    task: VisitTask | None = None
    ticket_id: int | None = None
    ticket_number: str = ""
    orders: list[Any] = field(default_factory=list)


def _choice(value: str, choices: type, label: str, name: str) -> str:
    if value not in choices.values:
        raise Invalid(f"{label}不正确。", field=name)
    return value


def _visitor(data: VisitInput, person: Person, *, actor: Any) -> Worker | None:
    if data.visitor_id is not None:
        visitor = Worker.objects.in_scope(actor).active().filter(pk=data.visitor_id).first()
        if visitor is None:
            raise NotFound("探访人不存在、已离职或不在您的管辖范围内。", field="visitor")
    else:
        visitor = (
            Worker.objects.active().filter(user=actor).select_related("unit").first()
            if getattr(actor, "pk", None)
            else None
        )
    if visitor is not None and not person.unit.code.startswith(visitor.unit.code[:12]):
        # A worker visits in their own community (a grid worker may stand in for a neighbour
        # grid of the same community, never another community).
        raise Forbidden(f"{visitor.name} 不负责 {person.unit.name} 的探访。", field="visitor")
    return visitor


def clean_visit(data: VisitInput, *, actor: Any) -> dict[str, Any]:
    """Check a visit; returns the model values. Raises a DomainError, writing nothing."""
    if not may_record_visits(actor):
        raise Forbidden("您的角色不能记录探访。")
    person = Person.objects.in_scope(actor).select_related("unit").filter(pk=data.person_id).first()
    if person is None:
        raise NotFound("居民不存在或不在您的管辖范围内。", field="person")
    visited_at = data.visited_at or clock.now()
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    if visited_at > clock.now() + CLOCK_SKEW:
        raise Invalid("探访时间不能晚于当前时间。", code="future_visit", field="visited_at")
    day = timezone.localdate(visited_at)
    target = CareTarget.objects.filter(person=person).active_on(day).first()
    if target is None:
        raise Invalid(
            f"{person.name} 在 {day:%Y-%m-%d} 不是关爱对象，不能记录探访。",
            code="not_a_target",
            field="person",
        )
    needs = list(dict.fromkeys(data.needs or []))
    unknown = [n for n in needs if n not in ServiceKind.values]
    if unknown:
        raise Invalid(f"未知的需求：{'、'.join(unknown)}", field="needs")
    for name, label, limit in (
        ("needs_note", "需求说明", 500),
        ("follow_up", "后续跟进", 500),
        ("issue", "问题描述", 1990),
    ):
        if len(getattr(data, name) or "") > limit:
            raise Invalid(f"{label}过长（最多{limit}字）。", field=name)
    return {
        "person": person,
        "target": target,
        "visited_at": visited_at,
        "visited_on": day,
        "visitor": _visitor(data, person, actor=actor),
        "method": _choice(data.method, Method, "探访方式", "method"),
        "met": _choice(data.met, Met, "见到的人", "met"),
        "living": _choice(data.living, Condition, "居住状况", "living"),
        "health": _choice(data.health, Condition, "健康状况", "health"),
        "risk": _choice(data.risk, Risk, "风险等级", "risk"),
        "heating_ok": data.heating_ok,
        "gas_ok": data.gas_ok,
        "fall_risk": bool(data.fall_risk),
        "needs": needs,
        "needs_note": (data.needs_note or "").strip(),
        "follow_up": (data.follow_up or "").strip(),
    }


def _check_duplicate(values: dict[str, Any], *, actor: Any) -> None:
    at = values["visited_at"]
    same = Visit.objects.filter(
        person=values["person"],
        visited_at__gt=at - DUPLICATE_WINDOW,
        visited_at__lt=at + DUPLICATE_WINDOW,
    )
    if values["visitor"] is not None:
        same = same.filter(visitor=values["visitor"])
    else:
        same = same.filter(visitor__isnull=True, recorded_by=actor)
    earlier = same.order_by("visited_at").first()
    if earlier is not None:
        when = timezone.localtime(earlier.visited_at)
        raise Conflict(
            f"重复的探访记录：{values['person'].name} 已于 {when:%m月%d日 %H:%M} "
            "由同一探访人记录，请勿重复提交。",
            code="duplicate_visit",
        )


def _complete_task(visit: Visit, book: PolicyBook) -> tuple[VisitTask | None, bool]:
    """Close the task of the visit's period once its required visits are reached.

    Counted visits are distinct days with a visit by a method the policy counts; a late entry
    for a closed-as-missed period still completes it.
    """
    task = (
        VisitTask.objects.select_for_update()
        .filter(
            target=visit.target,
            period_start__lte=visit.visited_on,
            period_end__gte=visit.visited_on,
            status__in=[TaskStatus.OPEN, TaskStatus.MISSED],
        )
        .order_by("-period_start")
        .first()
    )
    policy = (task.policy if task and task.policy_id else None) or book.for_day(
        visit.target.care_class, visit.visited_on
    )
    counted = policy.counts(visit.method)
    if task is None or not counted:
        return task, counted
    first = max(task.period_start, visit.target.started_on)
    days = (
        Visit.objects.filter(
            person=visit.person,
            visited_on__gte=first,
            visited_on__lte=task.period_end,
            method__in=policy.counted_methods,
        )
        .values("visited_on")
        .distinct()
        .count()
    )
    if days >= task.required:
        task.status, task.closed_at = TaskStatus.DONE, clock.now()
        task.save(update_fields=["status", "closed_at"])
    return task, counted


@transaction.atomic
def record_visit(data: VisitInput, *, actor: Any) -> VisitOutcome:
    """Record a visit; complete its task; turn an issue into a ticket and needs into orders.

    Rejected with a clear message and nothing written: a visit in the future, of a person
    outside the actor's scope (or a visitor of another community), of a person who is not a
    care target on that day, and a duplicate (same person, same visitor, within 30 minutes).
    """
    values = clean_visit(data, actor=actor)
    # Lock the target so two submissions of one visit cannot both pass the duplicate check.
    CareTarget.objects.select_for_update().filter(pk=values["target"].pk).first()
    _check_duplicate(values, actor=actor)
    visit = Visit.objects.create(
        recorded_by=actor if getattr(actor, "pk", None) else None, **values
    )
    audit.record_created(
        visit, ("person", "target", "visited_at", "method", "visitor", "risk"), actor=actor
    )
    task, counted = _complete_task(visit, PolicyBook.load())
    outcome = VisitOutcome(visit=visit, counted=counted, task=task)
    if data.order_needs and visit.needs:
        from shequ.care import orders

        outcome.orders = [
            orders.create_order(
                orders.OrderInput(
                    target_id=visit.target_id, kind=kind, note=visit.needs_note, visit_id=visit.pk
                ),
                actor=actor,
            )
            for kind in visit.needs
        ]
    issue = (data.issue or "").strip()
    if issue:
        from shequ.care import tickets_link

        outcome.ticket_id, outcome.ticket_number = tickets_link.open_ticket_for_visit(
            visit, issue, actor=actor
        )
        visit.ticket_id = outcome.ticket_id
        visit.save(update_fields=["ticket"])
    return outcome


# --- policies --------------------------------------------------------------------------


@dataclass
class PolicyInput:
    care_class: str
    name: str
    months: list[int]
    period: str = Period.MONTH
    min_visits: int = 1
    methods: list[str] = field(default_factory=lambda: [Method.HOME])
    visitor_role: str = VisitorRole.GRID_WORKER
    active: bool = True


POLICY_AUDIT_FIELDS = (
    "care_class",
    "name",
    "months",
    "period",
    "min_visits",
    "methods",
    "visitor_role",
    "active",
)


def clean_policy(data: PolicyInput, *, exclude_pk: int | None = None) -> dict[str, Any]:
    _choice(data.care_class, CareClass, "关爱类别", "care_class")
    _choice(data.period, Period, "周期", "period")
    _choice(data.visitor_role, VisitorRole, "探访人", "visitor_role")
    name = (data.name or "").strip()
    if not name or len(name) > 60:
        raise Invalid("请填写政策名称（最多60字）。", field="name")
    try:
        months = sorted({int(m) for m in data.months})
    except (TypeError, ValueError):
        raise Invalid("月份应为1–12。", field="months") from None
    if not months or any(not 1 <= m <= 12 for m in months):
        raise Invalid("请选择适用月份（1–12）。", field="months")
    if not 1 <= int(data.min_visits) <= (7 if data.period == Period.WEEK else 31):
        raise Invalid("每周期最少探访次数超出范围。", field="min_visits")
    methods = [m for m in Method.values if m in set(data.methods) | {Method.HOME}]
    if len(methods) != len(set(data.methods) | {Method.HOME}):
        raise Invalid("探访方式不正确。", field="methods")
    if data.active:
        # Equal-length seasons sharing a month would leave "which policy?" to chance.
        clash = [
            p
            for p in VisitPolicy.objects.active()
            .filter(care_class=data.care_class)
            .exclude(pk=exclude_pk)
            if len(p.months) == len(months) and set(p.months) & set(months)
        ]
        if clash:
            raise Conflict(
                f"与已启用的政策“{clash[0].name}”适用月份重叠，请先停用其中一项。", field="months"
            )
    return {
        "care_class": data.care_class,
        "name": name,
        "months": months,
        "period": data.period,
        "min_visits": int(data.min_visits),
        "methods": methods,
        "visitor_role": data.visitor_role,
        "active": bool(data.active),
    }


@transaction.atomic
def save_policy(data: PolicyInput, *, actor: Any, policy: VisitPolicy | None = None) -> VisitPolicy:
    """Create or change a visit policy (district only); it applies from the next task."""
    if not may_edit_policies(actor):
        raise Forbidden("只有区级管理员可以修改探访政策。")
    values = clean_policy(data, exclude_pk=policy.pk if policy else None)
    if policy is None:
        policy = VisitPolicy.objects.create(updated_by=actor, **values)
        audit.record_created(policy, POLICY_AUDIT_FIELDS, actor=actor)
        return policy
    policy = VisitPolicy.objects.select_for_update().get(pk=policy.pk)
    before = audit.snapshot(policy, POLICY_AUDIT_FIELDS)
    for key, value in values.items():
        setattr(policy, key, value)
    changed = audit.diff(before, audit.snapshot(policy, POLICY_AUDIT_FIELDS))
    if changed:
        policy.updated_by = actor
        policy.save()
        audit.record(Action.UPDATE, policy, actor=actor, changes=changed)
    return policy


def ensure_default_policies() -> int:
    """Create the default policies for classes that have none; returns how many."""
    have = set(VisitPolicy.objects.values_list("care_class", flat=True))
    rows = [
        VisitPolicy(
            care_class=d.care_class,
            name=d.name,
            months=d.months,
            period=d.period,
            min_visits=d.min_visits,
            methods=d.methods,
            active=d.active,
        )
        for d in DEFAULT_POLICIES
        if d.care_class not in have
    ]
    VisitPolicy.objects.bulk_create(rows)
    return len(rows)
