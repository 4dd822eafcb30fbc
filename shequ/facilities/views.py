"""Facility pages: list with checks, detail, create/edit/deactivate, unit map, coverage
table, computation progress, Excel import/export. Thin: parse, ask ``queries``/``services``,
render."""

from __future__ import annotations

import io
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.accounts.scope import scope_code
from shequ.errors import DomainError, NotFound
from shequ.facilities import checks, excel, queries, reports, services
from shequ.facilities.forms import FacilityForm, RoomFormSet, room_initial
from shequ.facilities.models import Facility, FacilityType
from shequ.registry.models import AdminUnit

PAGE_SIZE = 50


def _unit_or_top(request: HttpRequest, code: str | None) -> AdminUnit:
    if code:
        return get_object_or_404(AdminUnit.objects.in_scope(request.user), code=code)
    unit = queries.top_unit(request.user)
    if unit is None:
        raise Http404(_("没有可查看的单位。"))
    return unit


def _crumbs(request: HttpRequest, unit: AdminUnit) -> list[AdminUnit]:
    codes = [*unit.ancestors_codes(), unit.code]
    found = {u.code: u for u in AdminUnit.objects.in_scope(request.user).filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def _chosen_type(request: HttpRequest, default: str = "") -> FacilityType | None:
    code = request.GET.get("type", default)
    return FacilityType.objects.filter(code=code).first() if code else None


@login_required
def index(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Facilities under a unit, filtered by type, each with its checks; unit roll-up."""
    unit = _unit_or_top(request, code)
    ftype = _chosen_type(request)
    listed = queries.facilities(
        request.user, unit_code=unit.code, type_code=ftype.code if ftype else ""
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = queries.with_checks(page.object_list)
    unit_rows = queries.unit_check_rows(request.user, unit)
    return render(
        request,
        "facilities/index.html",
        {
            "unit": unit,
            "crumbs": _crumbs(request, unit),
            "children": queries.units_under(request.user, unit).filter(parent=unit),
            "types": queries.types(),
            "chosen": ftype,
            "rows": rows,
            "page": page,
            "failing": sum(1 for _, cs in rows if any(c.failed for c in cs)),
            "unit_rows": unit_rows,
            "summary": queries.check_summary(unit_rows),
            "may_write": request.user.may_write_registry,
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    facility = get_object_or_404(
        queries.facilities(request.user).prefetch_related("rooms", "photos"), pk=pk
    )
    return render(
        request,
        "facilities/detail.html",
        {
            "facility": facility,
            "crumbs": _crumbs(request, facility.unit),
            "checks": checks.facility_checks(facility),
            "hours": reports.week_hours(facility),
            "may_write": request.user.may_write_registry,
        },
    )


def _require_writer(request: HttpRequest) -> None:
    # Readers (leaders, grid workers, department handlers) get the 404 of a missing page,
    # as on the import page; the services check the role again.
    if not request.user.may_write_registry:
        raise Http404(_("您的角色不能修改设施档案。"))


@login_required
def create(request: HttpRequest) -> HttpResponse:
    _require_writer(request)
    initial = {"unit": request.GET.get("unit", ""), "type": request.GET.get("type", "")}
    return _facility_form(request, None, initial={k: v for k, v in initial.items() if v})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_writer(request)
    facility = get_object_or_404(queries.facilities(request.user).prefetch_related("rooms"), pk=pk)
    return _facility_form(request, facility)


def _facility_form(
    request: HttpRequest, facility: Facility | None, initial: dict | None = None
) -> HttpResponse:
    """Create (``facility`` None) or edit; a service error goes back to its field, an
    out-of-scope unit or facility is a 404 and nothing is written."""
    bound = request.method == "POST"
    kwargs = {"initial": initial} if initial else {}
    form = FacilityForm(
        request.POST if bound else None, user=request.user, facility=facility, **kwargs
    )
    # Posted rooms are compared with nothing: with the initial rows, an unchanged row
    # beyond INITIAL_FORMS would count as an empty extra row and be dropped.
    rooms = (
        RoomFormSet(request.POST, prefix="rooms")
        if bound
        else RoomFormSet(prefix="rooms", initial=room_initial(facility))
    )
    rooms_error = ""
    if bound:
        try:
            # The owner unit first: out of scope is a 404 whatever else is wrong.
            if code := request.POST.get("unit", "").strip():
                services.owner_unit(code, actor=request.user)
            if form.is_valid() and rooms.is_valid():
                data = form.to_input(
                    rooms.rooms(), active=facility.active if facility is not None else True
                )
                if facility is None:
                    saved = services.create_facility(data, actor=request.user)
                    messages.success(request, _("设施已新增。"))
                else:
                    saved = services.update_facility(facility, data, actor=request.user)
                    messages.success(request, _("设施已保存。"))
                return redirect("facilities:detail", pk=saved.pk)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except DomainError as exc:
            if not form.add_service_error(exc):
                rooms_error = exc.message
    return render(
        request,
        "facilities/form.html",
        {
            "facility": facility,
            "form": form,
            "rooms": rooms,
            "rooms_error": rooms_error,
            "crumbs": _crumbs(request, facility.unit) if facility else [],
        },
        status=400 if bound else 200,
    )


@login_required
@require_POST
def set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """停用 (the soft delete) or 恢复在用, from the detail page."""
    _require_writer(request)
    facility = get_object_or_404(queries.facilities(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_facility_active(facility, active, actor=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("设施已恢复在用。") if active else _("设施已停用。"))
    return redirect("facilities:detail", pk=facility.pk)


@login_required
def unit_map(request: HttpRequest, code: str | None = None) -> HttpResponse:
    unit = _unit_or_top(request, code)
    ftype = _chosen_type(request, FacilityType.COMPREHENSIVE) or queries.types().first()
    return render(
        request,
        "facilities/map.html",
        {
            "unit": unit,
            "crumbs": _crumbs(request, unit),
            "types": queries.types(),
            "chosen": ftype,
            "tile_url": getattr(settings, "MAP_TILE_URL", "") or "",
            "tile_attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", "") or "",
            "layers_url": reverse("api:facilities_map_layers", args=[unit.code]),
            "isochrones_url": reverse("api:facilities_facility_isochrones", args=[0]).replace(
                "/0/", "/{id}/"
            ),
            "siting_url": reverse("api:facilities_siting"),
            "run": queries.current_run(),
        },
    )


@login_required
def coverage(request: HttpRequest, code: str | None = None) -> HttpResponse:
    unit = _unit_or_top(request, code)
    measure = request.GET.get("measure", "households")
    if measure not in dict(queries.MEASURES):
        measure = "households"
    kinds, rows, cov = queries.coverage_rows(
        request.user, unit, on=timezone.localdate(), measure=measure
    )
    return render(
        request,
        "facilities/coverage.html",
        {
            "unit": unit,
            "crumbs": _crumbs(request, unit),
            "types": kinds,
            "rows": rows,
            "measure": measure,
            "measures": queries.MEASURES,
            "counted_at": cov.counted_at,
            "run": queries.current_run(),
        },
    )


@login_required
def coverage_export(request: HttpRequest, code: str) -> HttpResponse:
    unit = _unit_or_top(request, code)
    buffer = io.BytesIO()
    reports.write_coverage(request.user, unit, buffer, on=timezone.localdate())
    return _xlsx(buffer.getvalue(), f"步行覆盖率_{unit.name}_{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def export(request: HttpRequest) -> HttpResponse:
    unit = _unit_or_top(request, request.GET.get("unit") or None)
    buffer = io.BytesIO()
    excel.write_facilities(request.user, buffer, unit_code=unit.code)
    return _xlsx(buffer.getvalue(), f"服务设施_{unit.name}_{timezone.localdate():%Y%m%d}.xlsx")


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    if not request.user.may_write_registry:
        raise Http404(_("您的角色不能导入设施档案。"))
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要导入的 Excel 文件。"))
        else:
            result = excel.import_facilities(upload, actor=request.user)
            if result.ok:
                messages.success(
                    request,
                    _("导入完成：新增%(created)s个，更新%(updated)s个设施。")
                    % {"created": result.created, "updated": result.updated},
                )
                return redirect("facilities:index")
    return render(request, "facilities/import.html", {"result": result})


@login_required
def runs(request: HttpRequest) -> HttpResponse:
    if scope_code(request.user) is None:
        raise Http404
    return render(
        request,
        "facilities/runs.html",
        {"run": queries.current_run(), "may_write": request.user.may_write_registry},
    )


@login_required
def run_progress(request: HttpRequest) -> HttpResponse:
    """The progress bar alone, for htmx polling (it stops polling when the run ends)."""
    if scope_code(request.user) is None:
        raise Http404
    return render(request, "facilities/_progress.html", {"run": queries.current_run()})


@login_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    try:
        services.recompute_access(actor=request.user)
        messages.success(request, _("已提交重新计算，进度见下方。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("facilities:runs")


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=excel.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
