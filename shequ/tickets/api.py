"""接诉即办 API (mounted at /api/tickets): intake, lists, detail, transitions, rates.

Residents file and follow without an account (``auth=None`` on those operations); every
other operation needs a login and sees only the user's scope. A transition that is not
allowed answers 409 with ``{"code": "transition_not_allowed", "message": …}``.
"""

from datetime import date, datetime
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from shequ.tickets import duplicates, hotspots, queries, rates, refdata, services
from shequ.tickets.models import Category, Channel, Satisfaction, Ticket, with_unit
from shequ.tickets.models import Status as TicketStatus
from shequ.tickets.workflow import RESIDENT_ACTOR, allowed_actions

router = Router(tags=["tickets"])

PAGE_SIZE = 50


# ------------------------------------------------------------------ schemas


class CategoryOut(Schema):
    code: str
    name: str
    group: str
    description: str
    extra_questions: list[dict[str, Any]]


class TicketOut(Schema):
    """A ticket as staff see it: contact masked, deadlines, where it is."""

    id: int
    number: str
    status: str
    status_label: str
    channel: str
    category: str | None = Field(None, alias="category.code")
    category_name: str | None = Field(None, alias="category.name")
    text: str
    address: str
    unit_code: str
    unit_name: str = Field(..., alias="admin_unit.name")
    assigned_unit_id: int | None
    assigned_unit_name: str | None
    lat: float | None
    lon: float | None
    contact_name: str = Field(..., alias="contact_name_mask")
    contact_phone: str = Field(..., alias="contact_phone_mask")
    created_at: datetime
    accept_due: datetime | None
    answer_due: datetime | None
    overdue: bool
    reopen_count: int
    classifier_label: str
    classifier_confidence: float | None

    @staticmethod
    def resolve_status_label(obj: Ticket) -> str:
        return str(TicketStatus(obj.status).label)  # get_status_display() rebuilds a dict per call

    @staticmethod
    def resolve_assigned_unit_name(obj: Ticket) -> str | None:
        return obj.assigned_unit.name if obj.assigned_unit_id else None

    @staticmethod
    def resolve_overdue(obj: Ticket) -> bool:
        return obj.is_overdue()


class TicketItem(Schema):
    """A list row: the same keys as :class:`TicketOut`, built from plain values."""

    id: int
    number: str
    status: str
    status_label: str
    channel: str
    category: str | None
    category_name: str | None
    text: str
    address: str
    unit_code: str
    unit_name: str
    assigned_unit_id: int | None
    assigned_unit_name: str | None
    lat: float | None
    lon: float | None
    contact_name: str
    contact_phone: str
    created_at: datetime
    accept_due: datetime | None
    answer_due: datetime | None
    overdue: bool
    reopen_count: int
    classifier_label: str
    classifier_confidence: float | None


def _item(row: dict[str, Any], labels: dict[str, str], snap: refdata.Snapshot) -> dict[str, Any]:
    """A :class:`TicketItem` from a :func:`queries.page_rows` row."""
    category = snap.categories.get(row["category_id"])
    assigned = snap.responsible_unit(row["assigned_unit_id"])
    return {
        "id": row["id"],
        "number": row["number"],
        "status": row["status"],
        "status_label": labels[row["status"]],
        "channel": row["channel"],
        "category": category.code if category else None,
        "category_name": category.name if category else None,
        "text": row["text"],
        "address": row["address"],
        "unit_code": row["unit_code"],
        "unit_name": snap.unit_name(row["admin_unit_id"]),
        "assigned_unit_id": row["assigned_unit_id"],
        "assigned_unit_name": assigned.name if assigned else None,
        "lat": row["lat"],
        "lon": row["lon"],
        "contact_name": row["contact_name_mask"],
        "contact_phone": row["contact_phone_mask"],
        "created_at": row["created_at"],
        "accept_due": row["accept_due"],
        "answer_due": row["answer_due"],
        "overdue": row["overdue"],
        "reopen_count": row["reopen_count"],
        "classifier_label": row["classifier_label"],
        "classifier_confidence": row["classifier_confidence"],
    }


class EventOut(Schema):
    at: datetime
    actor: str = Field(..., alias="actor_label")
    action: str
    from_status: str
    to_status: str
    note: str


class AnswerOut(Schema):
    text: str
    at: datetime
    unit: str | None

    @staticmethod
    def resolve_unit(obj) -> str | None:
        return obj.unit.name if obj.unit_id else None


class RatingOut(Schema):
    round: int
    satisfaction: str
    solved: bool
    comment: str
    at: datetime


class TicketDetail(TicketOut):
    extra: dict[str, Any]
    merged_into: str | None = Field(None, alias="merged_into.number")
    events: list[EventOut]
    answers: list[AnswerOut]
    ratings: list[RatingOut]
    actions: list[str]

    @staticmethod
    def resolve_events(obj: Ticket) -> list:
        return list(obj.events.all())

    @staticmethod
    def resolve_answers(obj: Ticket) -> list:
        return list(with_unit(obj.answers))

    @staticmethod
    def resolve_ratings(obj: Ticket) -> list:
        return list(obj.ratings.all())

    @staticmethod
    def resolve_actions(obj: Ticket, context) -> list[str]:
        return [str(a) for a in allowed_actions(obj, context["request"].user)]


class TicketPage(Schema):
    items: list[TicketItem]
    page: int
    page_size: int
    has_next: bool


class IntakeIn(Schema):
    text: str
    category: str | None = None
    name: str = ""
    phone: str = ""
    address: str = ""
    unit_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    extra: dict[str, Any] = {}
    device_token: str = ""
    idempotency_key: str = ""


class PublicIntakeIn(IntakeIn):
    channel: str = Channel.MOBILE


class StaffIntakeIn(IntakeIn):
    channel: str = Channel.WINDOW
    building_id: int | None = None


class Receipt(Schema):
    number: str
    status: str
    created: bool
    follow_url: str | None = None


class DispatchIn(Schema):
    unit_id: int | None = None
    category: str | None = None
    reason: str = ""


class NoteIn(Schema):
    note: str = ""


class ReasonIn(Schema):
    reason: str


class AnswerIn(Schema):
    text: str


class RatingIn(Schema):
    satisfaction: Satisfaction
    solved: bool
    comment: str = ""


class MergeIn(Schema):
    into: int


class ResidentRatingIn(RatingIn):
    token: str


class ResidentView(Schema):
    """What the resident sees through the follow-up link: no staff names, no contacts."""

    number: str
    status: str
    status_label: str
    category_name: str | None = Field(None, alias="category.name")
    text: str
    created_at: datetime
    answer_due: datetime | None
    assigned_unit_name: str | None
    answers: list[AnswerOut]
    may_rate: bool

    @staticmethod
    def resolve_status_label(obj: Ticket) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_assigned_unit_name(obj: Ticket) -> str | None:
        return obj.assigned_unit.name if obj.assigned_unit_id else None

    @staticmethod
    def resolve_answers(obj: Ticket) -> list:
        source = obj.merged_into or obj  # a merged report shows the surviving ticket's answer
        return list(with_unit(source.answers))

    @staticmethod
    def resolve_may_rate(obj: Ticket) -> bool:
        return obj.status == "resolved"


class RateRow(Schema):
    rank: int | None
    unit_id: int
    unit: str
    kind: str
    dispatched: int
    responded: int
    rated: int
    solved: int
    satisfied: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    score: float | None


class HotspotOut(Schema):
    unit_code: str
    unit_name: str
    category: str
    week: date
    count: int
    baseline_mean: float
    baseline_sd: float
    tickets: list[str]


class DuplicateOut(Schema):
    id: int
    number: str
    status: str
    text: str
    created_at: datetime
    reason: str
    distance_m: float | None


class TicketQuery(Schema):
    status: str | None = None
    category: str | None = None
    unit: int | None = None
    area: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    overdue: bool | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(PAGE_SIZE, ge=1, le=200)


# -------------------------------------------------------------- public intake


def _intake_input(payload: IntakeIn, request: HttpRequest, **extra: Any) -> services.IntakeInput:
    data = payload.dict()
    data.update(extra)
    key = request.headers.get("Idempotency-Key", "")
    if key and not data.get("idempotency_key"):
        data["idempotency_key"] = key
    return services.IntakeInput(**data)


@router.get("/categories", response=list[CategoryOut], auth=None, summary="诉求类别目录")
def list_categories(request: HttpRequest):
    return Category.objects.active()


@router.post(
    "/public",
    response={200: Receipt, 201: Receipt},
    auth=None,
    summary="居民提交诉求（无需登录；重复提交返回原诉求）",
)
def public_intake(request: HttpRequest, payload: PublicIntakeIn):
    result = services.intake(_intake_input(payload, request), actor=None)
    body = {
        "number": result.ticket.number,
        "status": result.ticket.status,
        "created": result.created,
        "follow_url": request.build_absolute_uri(result.follow_path)
        if result.follow_path
        else None,
    }
    return Status(201 if result.created else 200, body)


@router.get("/track/{number}", response=ResidentView, auth=None, summary="居民查询办理进度")
def track(request: HttpRequest, number: str, token: str):
    return services.ticket_for_resident(number, token)


@router.post("/track/{number}/rate", response=ResidentView, auth=None, summary="居民评价")
def resident_rate(request: HttpRequest, number: str, payload: ResidentRatingIn):
    ticket = services.ticket_for_resident(number, payload.token)
    services.rate(
        ticket,
        actor=RESIDENT_ACTOR,
        satisfaction=payload.satisfaction,
        solved=payload.solved,
        comment=payload.comment,
    )
    return services.ticket_for_resident(number, payload.token)


# ---------------------------------------------------------------- staff reads


@router.get("/rates", response=list[RateRow], summary="“三率”排名（按月）")
def monthly_rates(request: HttpRequest, month: str, kind: str | None = None):
    rows = rates.monthly_rates(_month(month), user=request.user, kind=kind)
    return [
        RateRow(
            rank=r.rank,
            unit_id=r.unit.pk,
            unit=r.unit.name,
            kind=r.unit.kind,
            dispatched=r.dispatched,
            responded=r.responded,
            rated=r.rated,
            solved=r.solved,
            satisfied=r.satisfied,
            response_rate=r.response_rate,
            resolution_rate=r.resolution_rate,
            satisfaction_rate=r.satisfaction_rate,
            score=r.score,
        )
        for r in rows
    ]


@router.get("/rates.xlsx", summary="“三率”排名 Excel")
def monthly_rates_xlsx(request: HttpRequest, month: str, kind: str | None = None):
    m = _month(month)
    body = rates.export_xlsx(rates.monthly_rates(m, user=request.user, kind=kind), m)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="rates-{m:%Y-%m}.xlsx"'
    return response


def _month(value: str) -> date:
    from shequ.errors import Invalid

    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise Invalid("月份格式应为 YYYY-MM。", field="month") from None


@router.get("/hotspots", response=list[HotspotOut], summary="未诉先办：网格热点")
def list_hotspots(request: HttpRequest, weeks: int = 4):
    found = hotspots.hotspots(request.user, weeks=max(1, min(weeks, 26)))
    return [
        HotspotOut(
            unit_code=h.unit_code,
            unit_name=h.unit_name,
            category=h.category.code,
            week=h.week,
            count=h.count,
            baseline_mean=h.baseline_mean,
            baseline_sd=h.baseline_sd,
            tickets=[t.number for t in h.tickets],
        )
        for h in found
    ]


@router.get("", response=TicketPage, summary="诉求列表（筛选、分页，每页50条）")
def list_tickets(request: HttpRequest, filters: Query[TicketQuery]):
    qs = Ticket.objects.in_scope(request.user)
    f = queries.TicketFilter(
        status=filters.status,
        category=filters.category,
        unit=filters.unit,
        area=filters.area,
        created_from=filters.created_from,
        created_to=filters.created_to,
        overdue=filters.overdue,
    )
    qs = f.apply(qs).order_by(*f.ordering)
    start = (filters.page - 1) * filters.page_size
    # One row more than the page tells whether there is a next page without counting a
    # million rows on every request.
    rows = queries.page_rows(qs, start, start + filters.page_size + 1)
    labels = {value: str(label) for value, label in TicketStatus.choices}
    snap = refdata.snapshot()
    body = {
        "items": [_item(row, labels, snap) for row in rows[: filters.page_size]],
        "page": filters.page,
        "page_size": filters.page_size,
        "has_next": len(rows) > filters.page_size,
    }
    # The rows are plain values already in TicketItem's shape (a test holds them to it):
    # encoding them directly saves re-validating 50 rows field by field on every request.
    return HttpResponse(orjson.dumps(body), content_type="application/json")


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return get_object_or_404(
        queries.visible(request.user).select_related("merged_into"), pk=ticket_id
    )


@router.get("/{int:ticket_id}", response=TicketDetail, summary="诉求详情（含流转记录）")
def get_ticket(request: HttpRequest, ticket_id: int):
    return _ticket(request, ticket_id)


@router.get("/{int:ticket_id}/duplicates", response=list[DuplicateOut], summary="疑似重复诉求")
def list_duplicates(request: HttpRequest, ticket_id: int):
    found = duplicates.possible_duplicates(_ticket(request, ticket_id), user=request.user)
    return [
        DuplicateOut(
            id=d.ticket.pk,
            number=d.ticket.number,
            status=d.ticket.status,
            text=d.ticket.text,
            created_at=d.ticket.created_at,
            reason=d.reason,
            distance_m=d.distance_m,
        )
        for d in found
    ]


# ---------------------------------------------------------------- staff writes


@router.post("", response={200: TicketOut, 201: TicketOut}, summary="工作人员代录诉求")
def staff_intake(request: HttpRequest, payload: StaffIntakeIn):
    result = services.intake(_intake_input(payload, request), actor=request.user)
    return Status(201 if result.created else 200, _reload(result.ticket))


def _reload(ticket: Ticket) -> Ticket:
    return Ticket.objects.for_list().select_related("merged_into").get(pk=ticket.pk)


@router.post("/{int:ticket_id}/dispatch", response=TicketDetail, summary="派单（可改派并说明理由）")
def dispatch(request: HttpRequest, ticket_id: int, payload: DispatchIn):
    t = services.dispatch(
        _ticket(request, ticket_id),
        actor=request.user,
        unit=payload.unit_id,
        category=payload.category,
        reason=payload.reason,
    )
    return _reload(t)


@router.post("/{int:ticket_id}/accept", response=TicketDetail, summary="签收")
def accept(request: HttpRequest, ticket_id: int, payload: NoteIn):
    return _reload(
        services.accept(_ticket(request, ticket_id), actor=request.user, note=payload.note)
    )


@router.post("/{int:ticket_id}/return", response=TicketDetail, summary="退单（须说明理由）")
def return_ticket(request: HttpRequest, ticket_id: int, payload: ReasonIn):
    return _reload(
        services.return_ticket(
            _ticket(request, ticket_id), actor=request.user, reason=payload.reason
        )
    )


@router.post("/{int:ticket_id}/resolve", response=TicketDetail, summary="答复")
def resolve(request: HttpRequest, ticket_id: int, payload: AnswerIn):
    return _reload(
        services.resolve(_ticket(request, ticket_id), actor=request.user, text=payload.text)
    )


@router.post("/{int:ticket_id}/rate", response=TicketDetail, summary="回访评价（工作人员代录）")
def rate(request: HttpRequest, ticket_id: int, payload: RatingIn):
    return _reload(
        services.rate(
            _ticket(request, ticket_id),
            actor=request.user,
            satisfaction=payload.satisfaction,
            solved=payload.solved,
            comment=payload.comment,
        )
    )


@router.post("/{int:ticket_id}/close", response=TicketDetail, summary="办结/作废")
def close(request: HttpRequest, ticket_id: int, payload: NoteIn):
    return _reload(
        services.close(_ticket(request, ticket_id), actor=request.user, note=payload.note)
    )


@router.post("/{int:ticket_id}/escalate", response=TicketDetail, summary="督办")
def escalate(request: HttpRequest, ticket_id: int, payload: NoteIn):
    return _reload(
        services.escalate(_ticket(request, ticket_id), actor=request.user, note=payload.note)
    )


@router.post("/{int:ticket_id}/reopen", response=TicketDetail, summary="重办")
def reopen(request: HttpRequest, ticket_id: int, payload: NoteIn):
    return _reload(
        services.reopen(_ticket(request, ticket_id), actor=request.user, note=payload.note)
    )


@router.post("/{int:ticket_id}/merge", response=TicketDetail, summary="合并到另一诉求")
def merge(request: HttpRequest, ticket_id: int, payload: MergeIn):
    into = _ticket(request, payload.into)
    return _reload(services.merge(_ticket(request, ticket_id), into, actor=request.user))
