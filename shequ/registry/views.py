"""Registry pages: the unit tree, a unit (community) page, households, persons, search."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shequ.errors import DomainError
from shequ.registry import queries, services
from shequ.registry.models import AdminUnit, Household, Level, Person, Tag


def _breadcrumb(user, unit: AdminUnit) -> list[AdminUnit]:
    codes = [*unit.ancestors_codes(), unit.code]
    found = {u.code: u for u in AdminUnit.objects.in_scope(user).filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


@login_required
def tree(request: HttpRequest, code: str | None = None) -> HttpResponse:
    unit = None
    if code is not None:
        unit = get_object_or_404(AdminUnit.objects.in_scope(request.user), code=code)
    children = list(queries.children_in_scope(request.user, unit))
    shown = [*children, unit] if unit else children
    counts = queries.unit_counts(shown, on=timezone.localdate())
    households = None
    if unit is not None and unit.level in (Level.COMMUNITY, Level.GRID):
        page = Paginator(
            Household.objects.in_scope(request.user)
            .filter(unit__code__startswith=unit.code)
            .select_related("building", "unit")
            .order_by("number"),
            25,
        )
        households = page.get_page(request.GET.get("page"))
    return render(
        request,
        "registry/tree.html",
        {
            "unit": unit,
            "crumbs": _breadcrumb(request.user, unit) if unit else [],
            "rows": [(c, counts.get(c.code, {})) for c in children],
            "total": counts.get(unit.code, {}) if unit else None,
            "tag_columns": queries.TAG_COLUMNS,
            "households": households,
        },
    )


@login_required
def household(request: HttpRequest, pk: int) -> HttpResponse:
    h = get_object_or_404(
        Household.objects.in_scope(request.user).select_related("unit", "building"), pk=pk
    )
    return render(
        request,
        "registry/household.html",
        {
            "household": h,
            "crumbs": _breadcrumb(request.user, h.unit),
            "members": queries.household_members(h),
            "history": h.residences.select_related("person").order_by("-started_on")[:50],
        },
    )


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    p = get_object_or_404(
        Person.objects.in_scope(request.user).select_related("unit", "household"), pk=pk
    )
    return _person_page(request, p)


def _person_page(request: HttpRequest, p: Person, clear: dict | None = None) -> HttpResponse:
    response = render(
        request,
        "registry/person.html",
        {
            "person": p,
            "crumbs": _breadcrumb(request.user, p.unit),
            "age": p.age_on(timezone.localdate()),
            "tags": p.tags.order_by("-ended_on", "tag"),
            "residences": p.residences.select_related("household").order_by("-started_on"),
            "clear": clear or {},
            "tag_choices": Tag.choices,
        },
    )
    if clear:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    p = get_object_or_404(
        Person.objects.in_scope(request.user).select_related("unit", "household"), pk=pk
    )
    field = request.POST.get("field", "id_number")
    try:
        if field == "phone":
            value = services.reveal_phone(
                p, actor=request.user, reason=request.POST.get("reason", "")
            )
        else:
            value = services.reveal_id_number(
                p, actor=request.user, reason=request.POST.get("reason", "")
            )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("registry:person", pk=p.pk)
    # The clear value lives in this one response only; nothing stores it.
    return _person_page(request, p, clear={field: value})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    results = None
    if q:
        page = Paginator(queries.search_persons(request.user, q).order_by("name", "pk"), 25)
        results = page.get_page(request.GET.get("page"))
    return render(request, "registry/search.html", {"q": q, "results": results})
