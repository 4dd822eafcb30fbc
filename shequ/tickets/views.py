"""接诉即办 pages: the resident's submission and follow-up (no account), the dispatcher's
queue, the handler's inbox, the supervisor's overdue list, ticket detail, rates, hotspots.

Views parse, call a service or a query, and render; every staff page reads through
``in_scope`` (an out-of-scope ticket is a 404) and a refused action becomes a message.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequ.errors import DomainError
from shequ.registry.models import AdminUnit, Level
from shequ.tickets import clock, deadlines, duplicates, hotspots, queries, rates, services
from shequ.tickets.forms import FilterForm, RatingForm, StaffIntakeForm, SubmitForm, extra_answers
from shequ.tickets.models import (
    Action,
    Category,
    ResponsibleUnit,
    Ticket,
    TicketPhoto,
    with_unit,
)
from shequ.tickets.workflow import RESIDENT_ACTOR, allowed_actions

PAGE_SIZE = 25


def _today() -> date:
    return timezone.localtime(clock.now()).date()


def _staff_context(request: HttpRequest) -> dict:
    return {"calendar_warning": deadlines.calendar_warning(request.user, _today())}


def _map_context() -> dict:
    return {"map_tiles": getattr(settings, "SHEQU_MAP_TILES", "")}


# ------------------------------------------------------------------ index


def index(request: HttpRequest) -> HttpResponse:
    """Residents land on submission and follow-up; staff on their working lists."""
    if not request.user.is_authenticated:
        return render(request, "tickets/public_index.html")
    user = request.user
    return render(
        request,
        "tickets/index.html",
        {
            **_staff_context(request),
            "summary": queries.summary(user),
            "inbox_count": queries.inbox(user).count() if queries.units_of(user) else None,
            "may_file": user.is_superuser or user.role in services.INTAKE_ROLES,
        },
    )


# ----------------------------------------------------------- public pages


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def submit(request: HttpRequest) -> HttpResponse:
    """The resident's mobile-friendly page: text, contact, place, up to 3 photos."""
    form = SubmitForm(request.POST or None)
    category = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        category = Category.objects.filter(code=d["category"]).first() if d["category"] else None
        data = services.IntakeInput(
            text=d["text"],
            channel="mobile" if _is_phone(request) else "web",
            category=d["category"] or None,
            name=d["name"],
            phone=d["phone"],
            address=d["address"],
            unit_code=d["unit_code"] or None,
            lat=d["lat"],
            lon=d["lon"],
            extra=extra_answers(category, request.POST),
            photos=request.FILES.getlist("photos"),
            device_token=d["device_token"],
            idempotency_key=d["idempotency_key"],
        )
        try:
            result = services.intake(data, actor=None)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if not result.created:
                messages.info(request, _("这条诉求刚刚已经提交过，以下是原诉求。"))
                return render(
                    request, "tickets/submitted.html", {"ticket": result.ticket, "follow_url": None}
                )
            return render(
                request,
                "tickets/submitted.html",
                {
                    "ticket": result.ticket,
                    "follow_url": request.build_absolute_uri(result.follow_path),
                },
            )
    return render(
        request,
        "tickets/submit.html",
        {
            "form": form,
            "category": category,
            "units_for_map": _map_units(),
            **_map_context(),
        },
    )


def _is_phone(request: HttpRequest) -> bool:
    agent = request.headers.get("User-Agent", "")
    return any(k in agent for k in ("Mobile", "Android", "iPhone", "MicroMessenger"))


def _map_units() -> list[dict]:
    """Community centres drawn on the tile-less map so a resident can find her place."""
    return [
        {"code": u.code, "name": u.name, "lat": u.centre_lat, "lon": u.centre_lon}
        for u in AdminUnit.objects.active()
        .filter(level=Level.COMMUNITY, centre_lat__isnull=False)
        .only("code", "name", "centre_lat", "centre_lon")
    ]


def questions(request: HttpRequest) -> HttpResponse:
    """The extra questions of a category (htmx partial of the submission page)."""
    category = Category.objects.active().filter(code=request.GET.get("category", "")).first()
    return render(request, "tickets/_questions.html", {"category": category})


def track(request: HttpRequest, number: str) -> HttpResponse:
    """The resident's follow-up page (tracking number + the secret in the link); rating."""
    token = request.GET.get("t") or request.POST.get("t", "")
    try:
        ticket = services.ticket_for_resident(number, token)
    except DomainError:
        raise Http404(_("没有找到这条诉求")) from None
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rate(ticket, actor=RESIDENT_ACTOR, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("感谢您的评价！"))
        return redirect(f"{reverse('tickets:track', args=[number])}?t={token}")
    source = ticket.merged_into or ticket
    response = render(
        request,
        "tickets/track.html",
        {
            "ticket": ticket,
            "source": source,
            "token": token,
            "form": form,
            "events": with_unit(source.events),
            "answers": with_unit(source.answers).prefetch_related("photos"),
        },
    )
    response["Cache-Control"] = "no-store"
    # The link carries a secret: never send it to another site (same-origin keeps the
    # Origin header that Django's CSRF check needs on the rating form).
    response["Referrer-Policy"] = "same-origin"
    return response


# -------------------------------------------------------------- staff lists


LISTS = {
    "queue": (
        gettext_lazy("派单队列"),
        queries.dispatch_queue,
        gettext_lazy("待派单、被退回和督办中的诉求，按受理时间排序。"),
    ),
    "inbox": (
        gettext_lazy("承办收件箱"),
        queries.inbox,
        gettext_lazy("派给本单位、尚未答复的诉求。"),
    ),
    "overdue": (
        gettext_lazy("超期督办"),
        queries.overdue_list,
        gettext_lazy("已超过签收或办结时限，以及督办中的诉求。"),
    ),
    "all": (gettext_lazy("全部诉求"), queries.visible, gettext_lazy("管辖范围内的全部诉求。")),
}


@login_required
def ticket_list(request: HttpRequest, kind: str) -> HttpResponse:
    title, source, help_text = LISTS[kind]
    form = FilterForm(request.GET or None)
    qs = form.to_filter().apply(source(request.user))
    order = {"queue": "accept_due", "overdue": "due_at"}.get(kind, "-created_at")
    page = Paginator(qs.order_by(order, "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "tickets/list.html",
        {
            **_staff_context(request),
            "kind": kind,
            "title": title,
            "help_text": help_text,
            "form": form,
            "page": page,
            "now": clock.now(),
            "query": params.urlencode(),
        },
    )


# ------------------------------------------------------------------ detail


def _visible_ticket(request: HttpRequest, pk: int) -> Ticket:
    return get_object_or_404(
        with_unit(queries.visible(request.user), "first_accepted_unit").select_related(
            "merged_into", "building"
        ),
        pk=pk,
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket(request, pk)
    actions = allowed_actions(ticket, request.user)
    may_dispatch = Action.DISPATCH in actions or Action.CLOSE in actions
    return render(
        request,
        "tickets/detail.html",
        {
            **_staff_context(request),
            **_map_context(),
            "ticket": ticket,
            "actions": [str(a) for a in actions],
            "events": with_unit(ticket.events),
            "answers": with_unit(ticket.answers).prefetch_related("photos"),
            "ratings": ticket.ratings.all(),
            "photos": ticket.photos.filter(answer__isnull=True),
            "merged": ticket.merged.all(),
            "duplicates": duplicates.possible_duplicates(ticket, user=request.user)
            if may_dispatch
            else [],
            "units": _dispatch_units(ticket) if Action.DISPATCH in actions else [],
            "suggested": _suggested(ticket) if Action.DISPATCH in actions else None,
            "categories": Category.objects.active(),
            "now": clock.now(),
        },
    )


def _dispatch_units(ticket: Ticket) -> list[ResponsibleUnit]:
    """Departments, and the streets and communities around the ticket, to dispatch to."""
    from shequ.tickets.routing import unit_for_admin

    around = (
        AdminUnit.objects.active()
        .defer("boundary")
        .filter(code__in=[ticket.unit_code[:n] for n in (9, 12) if len(ticket.unit_code) >= n])
    )
    for unit in around:
        unit_for_admin(unit)
    return list(
        with_unit(ResponsibleUnit.objects, "").filter(
            Q(department__isnull=False) | Q(admin_unit__in=around)
        )
    )


def _suggested(ticket: Ticket) -> ResponsibleUnit | None:
    from shequ.tickets.routing import route

    return route(ticket.category, ticket.admin_unit)


ACTIONS = {
    "dispatch": lambda t, u, p, f: services.dispatch(
        t,
        actor=u,
        unit=int(p["unit"]) if p.get("unit", "").isdigit() else None,
        category=p.get("category") or None,
        reason=p.get("note", ""),
    ),
    "accept": lambda t, u, p, f: services.accept(t, actor=u, note=p.get("note", "")),
    "return": lambda t, u, p, f: services.return_ticket(t, actor=u, reason=p.get("note", "")),
    "resolve": lambda t, u, p, f: services.resolve(
        t, actor=u, text=p.get("text", ""), photos=f.getlist("photos")
    ),
    "close": lambda t, u, p, f: services.close(t, actor=u, note=p.get("note", "")),
    "escalate": lambda t, u, p, f: services.escalate(t, actor=u, note=p.get("note", "")),
    "reopen": lambda t, u, p, f: services.reopen(t, actor=u, note=p.get("note", "")),
    "rate": lambda t, u, p, f: services.rate(
        t,
        actor=u,
        satisfaction=p.get("satisfaction", ""),
        solved=p.get("solved") == "yes",
        comment=p.get("comment", ""),
    ),
}

DONE = {
    "dispatch": gettext_lazy("已派单。"),
    "accept": gettext_lazy("已签收。"),
    "return": gettext_lazy("已退回派单员。"),
    "resolve": gettext_lazy("已答复，等待居民评价。"),
    "close": gettext_lazy("已办结。"),
    "escalate": gettext_lazy("已督办。"),
    "reopen": gettext_lazy("已重办。"),
    "rate": gettext_lazy("已记录回访评价。"),
    "merge": gettext_lazy("已合并。"),
}


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Perform one action from the detail page; a refusal is a message, nothing changes."""
    ticket = _visible_ticket(request, pk)
    try:
        if action == "merge":
            into = _visible_ticket(request, int(request.POST.get("into", "0") or 0))
            services.merge(ticket, into, actor=request.user, note=request.POST.get("note", ""))
        elif action in ACTIONS:
            ACTIONS[action](ticket, request.user, request.POST, request.FILES)
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, DONE[action])
        if not Ticket.objects.in_scope(request.user).filter(pk=pk).exists():
            return redirect("tickets:inbox")  # returned: no longer this unit's ticket
    return redirect("tickets:detail", pk=pk)


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident's contact in clear, for a call back; the read is logged."""
    ticket = _visible_ticket(request, pk)
    try:
        contact = services.reveal_contact(
            ticket, actor=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("tickets:detail", pk=pk)
    response = render(request, "tickets/contact.html", {"ticket": ticket, "contact": contact})
    response["Cache-Control"] = "no-store"
    return response


def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A photo, to staff who can see its ticket, or to the resident holding the link of the
    ticket (or of a report merged into it): ``?n=<number>&t=<secret>``."""
    item = get_object_or_404(TicketPhoto.objects.select_related("ticket"), pk=pk)
    allowed = Ticket.objects.in_scope(request.user).filter(pk=item.ticket_id).exists()
    if not allowed and request.GET.get("t"):
        try:
            own = services.ticket_for_resident(request.GET.get("n", ""), request.GET["t"])
        except DomainError:
            own = None
        allowed = own is not None and item.ticket_id in (own.pk, own.merged_into_id)
    if not allowed:
        raise Http404
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------- staff intake


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """A clerk (window, hotline), officer or grid worker (patrol) files a request."""
    form = StaffIntakeForm(request.POST or None, user=request.user)
    category = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        category = Category.objects.filter(code=d["category"]).first() if d["category"] else None
        data = services.IntakeInput(
            text=d["text"],
            channel=d["channel"],
            category=d["category"] or None,
            name=d["name"],
            phone=d["phone"],
            address=d["address"],
            unit_code=d["unit_code"] or None,
            lat=d["lat"],
            lon=d["lon"],
            extra=extra_answers(category, request.POST),
            photos=request.FILES.getlist("photos"),
            idempotency_key=d["idempotency_key"],
        )
        try:
            result = services.intake(data, actor=request.user)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("已受理，编号 %(number)s。") % {"number": result.ticket.number}
                if result.created
                else _("这条诉求刚刚已受理过，以下是原诉求。"),
            )
            return redirect("tickets:detail", pk=result.ticket.pk)
    return render(
        request,
        "tickets/submit.html",
        {
            **_staff_context(request),
            **_map_context(),
            "form": form,
            "category": category,
            "staff": True,
            "units_for_map": _map_units(),
        },
    )


# ------------------------------------------------------------- rates, hotspots


@login_required
def rates_page(request: HttpRequest) -> HttpResponse:
    month = _month(request.GET.get("month"))
    kind = request.GET.get("kind") or None
    if kind not in rates.KINDS:
        kind = None
    rows = rates.monthly_rates(month, user=request.user, kind=kind)
    if request.GET.get("export") == "xlsx":
        response = HttpResponse(
            rates.export_xlsx(rows, month),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="rates-{month:%Y-%m}.xlsx"'
        return response
    return render(
        request,
        "tickets/rates.html",
        {
            **_staff_context(request),
            "rows": rows,
            "month": month,
            "kind": kind,
            "kinds": rates.KINDS.items(),
            "weights": rates.WEIGHTS,
        },
    )


def _month(value: str | None) -> date:
    try:
        return datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return _today().replace(day=1)


@login_required
def hotspots_page(request: HttpRequest) -> HttpResponse:
    try:
        weeks = max(1, min(int(request.GET.get("weeks", 4)), 26))
    except ValueError:
        weeks = 4
    return render(
        request,
        "tickets/hotspots.html",
        {
            **_staff_context(request),
            "weeks": weeks,
            "found": hotspots.hotspots(request.user, weeks=weeks),
            "rule": {
                "min": hotspots.MIN_COUNT,
                "sigma": hotspots.SIGMA,
                "baseline": hotspots.BASELINE_WEEKS,
            },
        },
    )
