"""Care pages: thin views that parse, call a service or a query, and render (Chinese UI)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from shequ.accounts.models import Role
from shequ.care import clock, excel, orders, queries, rates, services
from shequ.care.forms import OrderForm, PolicyForm, ScheduleForm, VisitForm, tri
from shequ.care.models import (
    CareClass,
    CareTarget,
    OrderStatus,
    Provider,
    ServiceKind,
    ServiceOrder,
    VisitPolicy,
    VisitTask,
)
from shequ.care.policies import HEATING_MONTHS, PolicyBook, months_back, parse_month
from shequ.errors import DomainError
from shequ.registry.models import AdminUnit, Worker


def _top_unit(user: Any) -> AdminUnit:
    """The unit a page opens on: the user's scope, or the district for a superuser."""
    unit = getattr(user, "scope_unit", None)
    if unit is None and user.is_superuser:
        unit = AdminUnit.objects.order_by("code").first()
    if unit is None:
        raise Http404(_("没有管辖范围"))
    return unit


def _unit(request: HttpRequest) -> AdminUnit:
    code = request.GET.get("unit", "").strip()
    if not code:
        return _top_unit(request.user)
    return get_object_or_404(AdminUnit.objects.in_scope(request.user), code=code)


def _classes(request: HttpRequest) -> tuple[str, list[str]]:
    chosen = request.GET.get("class", CareClass.SPECIAL_ELDERLY)
    if chosen == "all":
        return chosen, list(CareClass.values)
    if chosen not in CareClass.values:
        chosen = CareClass.SPECIAL_ELDERLY
    return chosen, [chosen]


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _crumbs(user: Any, unit: AdminUnit) -> list[AdminUnit]:
    codes = [*unit.ancestors_codes(), unit.code]
    found = {u.code: u for u in AdminUnit.objects.in_scope(user).filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "role", None) == Role.GRID_WORKER:
        return redirect("care:mine")
    if orders.is_provider_user(user):
        return redirect("care:orders")
    unit = _top_unit(user)
    today = clock.today()
    by_class = dict(
        CareTarget.objects.in_scope(user)
        .active_on(today)
        .order_by()
        .values_list("care_class")
        .annotate(n=Count("pk"))
    )
    return render(
        request,
        "care/index.html",
        {
            "unit": unit,
            "table": rates.rate_table(user, unit, today.replace(day=1)),
            "counts": queries.open_task_counts(user, today),
            "by_class": [(label, by_class.get(value, 0)) for value, label in CareClass.choices],
            "today": today,
        },
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The grid worker's phone page: overdue first, then nearest first."""
    today = clock.today()
    lat, lon = _float(request.GET.get("lat")), _float(request.GET.get("lon"))
    return render(
        request,
        "care/mine.html",
        {
            "work": queries.work_list(request.user, today, lat=lat, lon=lon),
            "located": lat is not None and lon is not None,
            "today": today,
            "may_record": services.may_record_visits(request.user),
        },
    )


def _in_a_row(sentences: list[str]) -> str:
    """The sentences of one message, one after another: run together in Chinese, a space
    apart in English (the translation of the joining pattern decides)."""
    text = sentences[0]
    for sentence in sentences[1:]:
        text = pgettext("two sentences in a row", "%(first)s%(then)s") % {
            "first": text,
            "then": sentence,
        }
    return text


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


@login_required
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a visit in under a minute: one short form, common answers preselected."""
    person = queries.person_in_scope(request.user, pk)
    if person is None:
        raise Http404
    if not services.may_record_visits(request.user):
        raise PermissionDenied(_("您的角色不能记录探访。"))
    today = clock.today()
    target = CareTarget.objects.filter(person=person).active_on(today).first()
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.VisitInput(
            person_id=person.pk,
            visited_at=d["visited_at"],
            method=d["method"],
            met=d["met"],
            living=d["living"],
            health=d["health"],
            heating_ok=tri(d["heating"]),
            gas_ok=tri(d["gas"]),
            fall_risk=d["fall_risk"],
            needs=d["needs"],
            needs_note=d["needs_note"],
            risk=d["risk"],
            follow_up=d["follow_up"],
            issue=d["issue"],
        )
        try:
            outcome = services.record_visit(data, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            said = [
                (
                    _("已记录对 %(name)s 的探访。")
                    if outcome.counted
                    else _("已记录对 %(name)s 的探访（该方式按政策不计入探访率）。")
                )
                % {"name": person.name}
            ]
            if outcome.orders:
                count = len(outcome.orders)
                said.append(
                    ngettext(
                        "已生成%(count)s张居家服务工单。", "已生成%(count)s张居家服务工单。", count
                    )
                    % {"count": count}
                )
            if outcome.ticket_id:
                said.append(
                    _("已生成接诉即办工单 %(number)s。") % {"number": outcome.ticket_number}
                )
            messages.success(request, _in_a_row(said))
            return redirect(_next_url(request, reverse("care:mine")))
    last = person.care_visits.order_by("-visited_at").first()
    return render(
        request,
        "care/visit_form.html",
        {
            "person": person,
            "target": target,
            "form": form,
            "last": last,
            "age": person.age_on(today),
            "heating_season": today.month in HEATING_MONTHS,
            "next": _next_url(request, ""),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def record(request: HttpRequest, pk: int) -> HttpResponse:
    """The person's care record (电子档案): every visit, order and ticket in one timeline."""
    person = queries.person_in_scope(request.user, pk)
    if person is None:
        raise Http404
    today = clock.today()
    return render(
        request,
        "care/record.html",
        {
            "person": person,
            "age": person.age_on(today),
            "target": CareTarget.objects.filter(person=person).active_on(today).first(),
            "timeline": queries.timeline(person, request.user),
            "may_record": services.may_record_visits(request.user),
            "may_order": orders.may_order(request.user),
        },
    )


@login_required
def targets(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    chosen = request.GET.get("class", "")
    q = request.GET.get("q", "").strip()
    rows = queries.targets(
        request.user,
        care_class=chosen if chosen in CareClass.values else "",
        q=q,
        unit_code=unit.code,
        day=clock.today(),
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "care/targets.html",
        {
            "unit": unit,
            "page": page,
            "q": q,
            "chosen": chosen,
            "classes": CareClass.choices,
        },
    )


def _rate_context(request: HttpRequest) -> dict[str, Any]:
    unit = _unit(request)
    today = clock.today()
    first = parse_month(request.GET.get("month"), today)
    chosen, classes = _classes(request)
    return {"unit": unit, "first": first, "chosen": chosen, "classes": classes, "today": today}


@login_required
def rate(request: HttpRequest) -> HttpResponse:
    """Monthly visit rate per child unit, the trend, and the list of targets missed."""
    ctx = _rate_context(request)
    unit, first, classes = ctx["unit"], ctx["first"], ctx["classes"]
    missed = Paginator(rates.missed_targets(request.user, unit, first, classes=classes), 50)
    return render(
        request,
        "care/rate.html",
        {
            **ctx,
            "table": rates.rate_table(request.user, unit, first, classes=classes),
            "trend": rates.trend(
                request.user, unit, months_back(ctx["today"].replace(day=1), 12), classes=classes
            ),
            "missed": missed.get_page(request.GET.get("page")),
            "crumbs": _crumbs(request.user, unit),
            "class_choices": [("all", _("全部类别")), *CareClass.choices],
            "months": months_back(ctx["today"].replace(day=1), 12)[::-1],
            "target_rate": rates.PLAN_TARGET,
        },
    )


@login_required
def rate_export(request: HttpRequest) -> HttpResponse:
    ctx = _rate_context(request)
    content = excel.rate_workbook(request.user, ctx["unit"], ctx["first"], classes=ctx["classes"])
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    name = f"care-rate-{ctx['unit'].code}-{ctx['first']:%Y-%m}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """The supervisor's overdue list during the month, and who carries the open tasks."""
    unit = _unit(request)
    today = clock.today()
    rows = queries.overdue_tasks(request.user, today, unit_code=unit.code)
    load = (
        VisitTask.objects.in_scope(request.user)
        .open()
        .filter(target__unit__code__startswith=unit.code)
        .order_by()
        .values("assignee_id", "assignee__name", "assignee__left_on")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    return render(
        request,
        "care/overdue.html",
        {
            "unit": unit,
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "load": list(load),
            "today": today,
            # Handing over to a named colleague is a community's decision: offer its workers
            # on a community or grid page; above that, only "by grid, automatically".
            "workers": Worker.objects.in_scope(request.user)
            .active()
            .filter(unit__code__startswith=unit.code, grid_role__in=["grid_worker", "grid_leader"])
            .select_related("unit")
            .order_by("unit__code", "name")
            if len(unit.code) >= 12
            else Worker.objects.none(),
            "may_reassign": services.may_record_visits(request.user)
            and request.user.role != Role.GRID_WORKER,
        },
    )


@login_required
@require_POST
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    worker = get_object_or_404(Worker.objects.in_scope(request.user), pk=pk)
    to_id = request.POST.get("to") or None
    to = Worker.objects.in_scope(request.user).filter(pk=to_id).first() if to_id else None
    if to_id and to is None:
        raise Http404
    try:
        moved = services.reassign_open_tasks(worker, actor=request.user, to=to)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext("已移交 %(count)s 项探访任务。", "已移交 %(count)s 项探访任务。", moved)
            % {"count": moved},
        )
    return redirect("care:overdue")


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    rows = queries.orders(
        request.user,
        status=status if status in OrderStatus.values else "",
        kind=kind if kind in ServiceKind.values else "",
    )
    return render(
        request,
        "care/orders.html",
        {
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
            "status": status,
            "kind": kind,
            "statuses": OrderStatus.choices,
            "kinds": ServiceKind.choices,
            "provider_user": orders.is_provider_user(request.user),
        },
    )


@login_required
def order_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Order a home-care service for the person (a current target)."""
    person = queries.person_in_scope(request.user, pk)
    if person is None:
        raise Http404
    if not orders.may_order(request.user) or orders.is_provider_user(request.user):
        raise PermissionDenied(_("您的角色不能下达居家服务工单。"))
    target = CareTarget.objects.in_scope(request.user).open().filter(person=person).first()
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and target is not None:
        d = form.cleaned_data
        try:
            order = orders.create_order(
                orders.OrderInput(
                    target_id=target.pk,
                    kind=d["kind"],
                    provider_id=d["provider"],
                    scheduled_on=d["scheduled_on"],
                    note=d["note"],
                ),
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("已下达%(kind)s工单。") % {"kind": order.get_kind_display()}
            )
            return redirect("care:order", pk=order.pk)
    providers = Provider.objects.serving(person.unit.code) if target else Provider.objects.none()
    return render(
        request,
        "care/order_new.html",
        {
            "person": person,
            "target": target,
            "form": form,
            "providers": providers,
            "today": clock.today(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(
        ServiceOrder.objects.in_scope(request.user).select_related(
            "person", "person__household", "provider", "target__unit", "visit"
        ),
        pk=pk,
    )
    provider_user = orders.is_provider_user(request.user)
    return render(
        request,
        "care/order.html",
        {
            "order": order,
            "provider_user": provider_user,
            "staff": orders.may_order(request.user) and not provider_user,
            "providers": Provider.objects.serving(order.target.unit.code, order.kind),
            "today": clock.today(),
        },
    )


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    order = get_object_or_404(ServiceOrder.objects.in_scope(request.user), pk=pk)
    try:
        if action == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                raise DomainError(_("请选择服务商并填写预约日期。"))
            orders.schedule_order(
                order,
                actor=request.user,
                provider_id=form.cleaned_data["provider"],
                scheduled_on=form.cleaned_data["scheduled_on"],
            )
            messages.success(request, _("已安排服务。"))
        elif action == "complete":
            orders.complete_order(order, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, _("已确认服务完成。"))
        elif action == "cancel":
            orders.cancel_order(order, actor=request.user, reason=request.POST.get("note", ""))
            messages.success(request, _("已取消工单。"))
        elif action == "rate":
            orders.rate_order(
                order,
                actor=request.user,
                rating=request.POST.get("rating"),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("已记录居民评价。"))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("care:order", pk=order.pk)


@login_required
def policy_list(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    book = PolicyBook.load()
    return render(
        request,
        "care/policies.html",
        {
            "policies": VisitPolicy.objects.all(),
            "in_force": [(label, book.for_day(value, today)) for value, label in CareClass.choices],
            "may_edit": services.may_edit_policies(request.user),
            "today": today,
        },
    )


@login_required
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not services.may_edit_policies(request.user):
        raise Http404
    policy = get_object_or_404(VisitPolicy, pk=pk) if pk else None
    initial: dict[str, Any] = {
        "active": True,
        "min_visits": 1,
        "period": "month",
        "months": list(range(1, 13)),
        "methods": ["home"],
    }
    if policy:
        initial = {f: getattr(policy, f) for f in services.POLICY_AUDIT_FIELDS}
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_policy(
                services.PolicyInput(**form.cleaned_data), actor=request.user, policy=policy
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("探访政策已保存，自下一期任务起生效。"))
            return redirect("care:policies")
    return render(
        request,
        "care/policy_form.html",
        {"form": form, "policy": policy},
        status=400 if request.method == "POST" else 200,
    )
