"""Care API (/api/care): targets, tasks, visits, the rate, home-care orders, policies.

Every read goes through ``in_scope``; every write through a service; errors are the API
root's JSON (DomainError → its status, out of scope → 404).
"""

from datetime import date, datetime
from typing import Annotated

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from shequ.care import clock, orders, queries, rates, services
from shequ.care.models import (
    CareClass,
    CareTarget,
    ServiceOrder,
    Visit,
    VisitPolicy,
    VisitTask,
)
from shequ.care.policies import parse_month
from shequ.errors import NotFound
from shequ.pagination import Page
from shequ.registry.models import AdminUnit, Worker

router = Router(tags=["care"])


# --- targets and tasks -----------------------------------------------------------------


class TargetOut(Schema):
    id: int
    person_id: int
    person_name: str = Field(..., alias="person.name")
    care_class: str
    unit_code: str = Field(..., alias="unit.code")
    started_on: date
    ended_on: date | None
    end_reason: str


class TargetFilter(FilterSchema):
    care_class: str | None = None
    unit: Annotated[str | None, FilterLookup("unit__code__startswith")] = None
    person: Annotated[int | None, FilterLookup("person_id")] = None
    open: Annotated[bool | None, FilterLookup("ended_on__isnull")] = None


@router.get("/targets", response=list[TargetOut], summary="关爱对象列表")
@paginate(Page)
def list_targets(request: HttpRequest, filters: Query[TargetFilter]):
    targets = CareTarget.objects.in_scope(request.user).select_related("person", "unit")
    return filters.filter(targets).order_by("unit__code", "person__name", "pk")


@router.get("/targets/{target_id}", response=TargetOut, summary="单个关爱对象")
def get_target(request: HttpRequest, target_id: int):
    return get_object_or_404(
        CareTarget.objects.in_scope(request.user).select_related("person", "unit"), pk=target_id
    )


class TaskOut(Schema):
    id: int
    target_id: int
    person_id: int = Field(..., alias="target.person_id")
    person_name: str = Field(..., alias="target.person.name")
    care_class: str = Field(..., alias="target.care_class")
    period: str
    period_start: date
    period_end: date
    required: int
    assignee_id: int | None
    status: str


class TaskFilter(FilterSchema):
    status: str | None = None
    period_start: date | None = None
    unit: Annotated[str | None, FilterLookup("target__unit__code__startswith")] = None
    assignee: Annotated[int | None, FilterLookup("assignee_id")] = None


@router.get("/tasks", response=list[TaskOut], summary="探访任务")
@paginate(Page)
def list_tasks(request: HttpRequest, filters: Query[TaskFilter]):
    tasks = VisitTask.objects.in_scope(request.user).select_related("target__person")
    return filters.filter(tasks).order_by("period_start", "pk")


class WorkItemOut(Schema):
    task_id: int
    person_id: int
    person_name: str
    care_class: str
    address: str
    period_end: date
    last_visit_on: date | None
    km: float | None
    overdue: bool


def _work_item(task: VisitTask, overdue: bool) -> dict:
    person = task.target.person
    return {
        "task_id": task.pk,
        "person_id": person.pk,
        "person_name": person.name,
        "care_class": task.target.care_class,
        "address": person.household.address if person.household else "",
        "period_end": task.period_end,
        "last_visit_on": task.last_visit_on,
        "km": round(task.km, 3) if task.km is not None else None,
        "overdue": overdue,
    }


@router.get("/mine", response=list[WorkItemOut], summary="我的探访：逾期在前，由近及远")
def my_work(request: HttpRequest, lat: float | None = None, lon: float | None = None):
    work = queries.work_list(request.user, clock.today(), lat=lat, lon=lon)
    return [_work_item(t, True) for t in work.overdue] + [
        _work_item(t, False) for t in work.pending
    ]


class OverdueOut(Schema):
    task_id: int = Field(..., alias="pk")
    person_id: int = Field(..., alias="target.person_id")
    person_name: str = Field(..., alias="target.person.name")
    care_class: str = Field(..., alias="target.care_class")
    unit_code: str = Field(..., alias="target.unit.code")
    period_end: date
    last_visit_on: date | None
    assignee_id: int | None


@router.get("/overdue", response=list[OverdueOut], summary="逾期未访（督办）")
@paginate(Page)
def list_overdue(request: HttpRequest, unit: str = ""):
    return queries.overdue_tasks(request.user, clock.today(), unit_code=unit)


# --- visits ----------------------------------------------------------------------------


class VisitIn(Schema):
    person_id: int
    visited_at: datetime | None = None
    method: str = "home"
    met: str = "self"
    living: str = "good"
    health: str = "good"
    heating_ok: bool | None = None
    gas_ok: bool | None = None
    fall_risk: bool = False
    needs: list[str] = []
    needs_note: str = ""
    risk: str = "low"
    follow_up: str = ""
    visitor_id: int | None = None
    issue: str = ""
    order_needs: bool = True


class VisitOut(Schema):
    id: int
    target_id: int
    person_id: int
    visited_at: datetime
    visited_on: date
    visitor_id: int | None
    method: str
    met: str
    living: str
    health: str
    heating_ok: bool | None
    gas_ok: bool | None
    fall_risk: bool
    needs: list[str]
    needs_note: str
    risk: str
    follow_up: str
    ticket_id: int | None


class VisitCreated(Schema):
    visit: VisitOut
    counted: bool
    task_status: str | None
    ticket_id: int | None
    order_ids: list[int]


class VisitFilter(FilterSchema):
    person: Annotated[int | None, FilterLookup("person_id")] = None
    target: Annotated[int | None, FilterLookup("target_id")] = None
    since: Annotated[date | None, FilterLookup("visited_on__gte")] = None
    until: Annotated[date | None, FilterLookup("visited_on__lte")] = None


@router.post("/visits", response={201: VisitCreated}, summary="记录探访")
def create_visit(request: HttpRequest, payload: VisitIn):
    outcome = services.record_visit(services.VisitInput(**payload.dict()), actor=request.user)
    return Status(
        201,
        {
            "visit": outcome.visit,
            "counted": outcome.counted,
            "task_status": outcome.task.status if outcome.task else None,
            "ticket_id": outcome.ticket_id,
            "order_ids": [o.pk for o in outcome.orders],
        },
    )


@router.get("/visits", response=list[VisitOut], summary="探访记录")
@paginate(Page)
def list_visits(request: HttpRequest, filters: Query[VisitFilter]):
    return filters.filter(Visit.objects.in_scope(request.user)).order_by("-visited_at", "-pk")


class TimelineOut(Schema):
    at: datetime
    kind: str
    title: str
    detail: str
    url: str


@router.get(
    "/persons/{person_id}/record",
    response=list[TimelineOut],
    summary="电子档案：探访、服务与工单时间线",
)
def person_record(request: HttpRequest, person_id: int):
    person = queries.person_in_scope(request.user, person_id)
    if person is None:
        raise NotFound("居民不存在或不在您的管辖范围内。")
    return queries.timeline(person, request.user)


# --- the rate --------------------------------------------------------------------------


class RateRowOut(Schema):
    code: str
    name: str
    targets: int
    met: int
    missed: int
    rate: float | None


class RateOut(Schema):
    month: str
    unit: RateRowOut
    rows: list[RateRowOut]
    plan_target: float


class MissedOut(Schema):
    target_id: int = Field(..., alias="pk")
    person_id: int
    person_name: str = Field(..., alias="person.name")
    unit_code: str = Field(..., alias="unit.code")
    care_class: str
    days: int
    required: int
    visit_days: int


def _rate_args(request: HttpRequest, month: str, unit: str, care_class: str):
    today = clock.today()
    if unit:
        scope = get_object_or_404(AdminUnit.objects.in_scope(request.user), code=unit)
    else:
        scope = getattr(request.user, "scope_unit", None) or (
            AdminUnit.objects.order_by("code").first() if request.user.is_superuser else None
        )
        if scope is None:
            raise NotFound("没有管辖范围。")
    classes = (
        list(CareClass.values)
        if care_class == "all"
        else [care_class if care_class in CareClass.values else CareClass.SPECIAL_ELDERLY]
    )
    return scope, parse_month(month, today), classes


def _row(row: rates.RateRow) -> dict:
    return {
        "code": row.code,
        "name": row.name,
        "targets": row.targets,
        "met": row.met,
        "missed": row.missed,
        "rate": row.rate,
    }


@router.get("/rate", response=RateOut, summary="月探访率（按下级单位）")
def monthly_rate(
    request: HttpRequest,
    month: str = "",
    unit: str = "",
    care_class: str = CareClass.SPECIAL_ELDERLY,
):
    scope, first, classes = _rate_args(request, month, unit, care_class)
    table = rates.rate_table(request.user, scope, first, classes=classes)
    return {
        "month": f"{first:%Y-%m}",
        "unit": _row(table.total),
        "rows": [_row(r) for r in table.rows],
        "plan_target": rates.PLAN_TARGET,
    }


@router.get("/rate/missed", response=list[MissedOut], summary="月探访未达标名单")
@paginate(Page)
def missed(
    request: HttpRequest,
    month: str = "",
    unit: str = "",
    care_class: str = CareClass.SPECIAL_ELDERLY,
):
    scope, first, classes = _rate_args(request, month, unit, care_class)
    return rates.missed_targets(request.user, scope, first, classes=classes)


# --- home-care orders ------------------------------------------------------------------


class OrderOut(Schema):
    id: int
    target_id: int
    person_id: int
    person_name: str = Field(..., alias="person.name")
    kind: str
    provider_id: int | None
    scheduled_on: date | None
    status: str
    note: str
    visit_id: int | None
    ordered_at: datetime
    completed_at: datetime | None
    rating: int | None


class OrderIn(Schema):
    target_id: int
    kind: str
    provider_id: int | None = None
    scheduled_on: date | None = None
    note: str = ""


class ScheduleIn(Schema):
    provider_id: int
    scheduled_on: date


class NoteIn(Schema):
    note: str = ""


class RatingIn(Schema):
    rating: int
    note: str = ""


class OrderFilter(FilterSchema):
    status: str | None = None
    kind: str | None = None
    provider: Annotated[int | None, FilterLookup("provider_id")] = None
    person: Annotated[int | None, FilterLookup("person_id")] = None


def _order(request: HttpRequest, order_id: int) -> ServiceOrder:
    return get_object_or_404(ServiceOrder.objects.in_scope(request.user), pk=order_id)


def _order_out(order: ServiceOrder) -> ServiceOrder:
    return ServiceOrder.objects.select_related("person").get(pk=order.pk)


@router.get("/orders", response=list[OrderOut], summary="居家服务工单（服务商只见本单位）")
@paginate(Page)
def list_orders(request: HttpRequest, filters: Query[OrderFilter]):
    qs = ServiceOrder.objects.in_scope(request.user).select_related("person")
    return filters.filter(qs).order_by("-ordered_at", "-pk")


@router.get("/orders/{order_id}", response=OrderOut, summary="单个居家服务工单")
def get_order(request: HttpRequest, order_id: int):
    return _order_out(_order(request, order_id))


@router.post("/orders", response={201: OrderOut}, summary="下达居家服务工单")
def create_order(request: HttpRequest, payload: OrderIn):
    order = orders.create_order(orders.OrderInput(**payload.dict()), actor=request.user)
    return Status(201, _order_out(order))


@router.post("/orders/{order_id}/schedule", response=OrderOut, summary="安排服务商与日期")
def schedule_order(request: HttpRequest, order_id: int, payload: ScheduleIn):
    order = orders.schedule_order(
        _order(request, order_id),
        actor=request.user,
        provider_id=payload.provider_id,
        scheduled_on=payload.scheduled_on,
    )
    return _order_out(order)


@router.post("/orders/{order_id}/complete", response=OrderOut, summary="确认服务完成")
def complete_order(request: HttpRequest, order_id: int, payload: NoteIn):
    return _order_out(
        orders.complete_order(_order(request, order_id), actor=request.user, note=payload.note)
    )


@router.post("/orders/{order_id}/cancel", response=OrderOut, summary="取消工单")
def cancel_order(request: HttpRequest, order_id: int, payload: NoteIn):
    return _order_out(
        orders.cancel_order(_order(request, order_id), actor=request.user, reason=payload.note)
    )


@router.post("/orders/{order_id}/rate", response=OrderOut, summary="记录居民评价")
def rate_order(request: HttpRequest, order_id: int, payload: RatingIn):
    return _order_out(
        orders.rate_order(
            _order(request, order_id), actor=request.user, rating=payload.rating, note=payload.note
        )
    )


# --- policies and reassignment ---------------------------------------------------------


class PolicyIO(Schema):
    care_class: str
    name: str
    months: list[int]
    period: str = "month"
    min_visits: int = 1
    methods: list[str] = ["home"]
    visitor_role: str = "grid_worker"
    active: bool = True


class PolicyOut(PolicyIO):
    id: int


@router.get("/policies", response=list[PolicyOut], summary="探访政策")
def list_policies(request: HttpRequest):
    return VisitPolicy.objects.all()


@router.post("/policies", response={201: PolicyOut}, summary="新增探访政策（区级）")
def create_policy(request: HttpRequest, payload: PolicyIO):
    return Status(
        201, services.save_policy(services.PolicyInput(**payload.dict()), actor=request.user)
    )


@router.put("/policies/{policy_id}", response=PolicyOut, summary="修改探访政策（区级）")
def update_policy(request: HttpRequest, policy_id: int, payload: PolicyIO):
    policy = get_object_or_404(VisitPolicy, pk=policy_id)
    return services.save_policy(
        services.PolicyInput(**payload.dict()), actor=request.user, policy=policy
    )


class ReassignIn(Schema):
    to_worker_id: int | None = None


class ReassignOut(Schema):
    moved: int


@router.post(
    "/workers/{worker_id}/reassign", response=ReassignOut, summary="移交探访任务（网格员离岗）"
)
def reassign(request: HttpRequest, worker_id: int, payload: ReassignIn):
    workers = Worker.objects.in_scope(request.user)
    worker = get_object_or_404(workers, pk=worker_id)
    to = None
    if payload.to_worker_id is not None:
        to = get_object_or_404(workers, pk=payload.to_worker_id)
    return {"moved": services.reassign_open_tasks(worker, actor=request.user, to=to)}
