"""The ticket catalogue in memory: categories with their deadline classes, routing rules,
responsible units and admin units, read on every intake and every list row.

Each process keeps one :class:`Snapshot` and, before using it, reads one counter row
(:class:`~shequ.tickets.models.CatalogueVersion`), once per request (a request that changes
the catalogue reads it again; outside requests, every time). Saving or deleting any row the snapshot
holds raises the counter in the same transaction (the signal receivers below), so every
process sees a change as soon as it commits, not at the next restart. Rows created in bulk
(the demo's grids) raise nothing: a code or id missing from the snapshot is looked up in the
database, never refused.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.signals import request_finished, request_started
from django.db import connection
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from shequ.accounts.models import Department
from shequ.registry.models import AdminUnit
from shequ.tickets.models import (
    CatalogueVersion,
    Category,
    DeadlineClass,
    ResponsibleUnit,
    RoutingRule,
)


@dataclass
class Snapshot:
    version: int
    categories: dict[int, Category] = field(default_factory=dict)  # every category, by id
    by_code: dict[str, Category] = field(default_factory=dict)  # active ones
    ids: dict[str, int] = field(default_factory=dict)  # every category's id, by code
    by_name: dict[str, Category] = field(default_factory=dict)  # active ones
    # category id → [(unit prefix, responsible unit)], longest prefix first
    rules: dict[int, list[tuple[str, ResponsibleUnit]]] = field(default_factory=dict)
    responsible: dict[int, ResponsibleUnit] = field(default_factory=dict)
    for_admin_unit: dict[int, ResponsibleUnit] = field(default_factory=dict)
    units: dict[str, AdminUnit] = field(default_factory=dict)  # active admin units by code
    unit_names: dict[int, str] = field(default_factory=dict)  # every admin unit, by id
    roots: list[str] = field(default_factory=list)  # codes of the units without a parent

    def active_unit(self, code: str) -> AdminUnit | None:
        """The active admin unit of ``code`` (without its boundary), or None."""
        unit = self.units.get(code)
        if unit is None:
            unit = AdminUnit.objects.active().defer("boundary").filter(code=code).first()
        return unit

    def category_id(self, code: str) -> int | None:
        """The id of the category ``code``, active or not, or None."""
        pk = self.ids.get(code)
        if pk is None:
            pk = Category.objects.filter(code=code).values_list("pk", flat=True).first()
        return pk

    def unit_name(self, pk: int | None) -> str | None:
        if pk is None:
            return None
        name = self.unit_names.get(pk)
        if name is None:
            name = AdminUnit.objects.filter(pk=pk).values_list("name", flat=True).first()
        return name

    def responsible_unit(self, pk: int | None) -> ResponsibleUnit | None:
        if pk is None:
            return None
        unit = self.responsible.get(pk)
        if unit is None:
            unit = _responsible_units().filter(pk=pk).first()
        return unit


_lock = threading.Lock()
_current: Snapshot | None = None
# Per thread: whether a request is being served, and the snapshot it has checked.
_request = threading.local()


def snapshot() -> Snapshot:
    """The catalogue as committed now: this process's copy if the counter has not moved."""
    global _current
    checked = getattr(_request, "checked", None)
    if checked is not None:
        return checked
    version = _version()
    held = _current
    if held is None or held.version != version:
        with _lock:
            if _current is None or _current.version != version:
                _current = _load(version)
            held = _current
    if getattr(_request, "active", False):
        _request.checked = held
    return held


class Stale(Exception):
    """The counter moved since the copy a request assumed (see :func:`assume`)."""


def assume() -> int | None:
    """For a request about to make a statement anyway: take this process's copy as the
    request's without reading the counter, and return its version, which the caller must
    compare with the counter in that statement (:data:`VERSION_SQL`), raising
    :class:`Stale` and starting again after :func:`recheck` if it moved. Returns None
    (nothing to compare) when the request has checked already, outside a request, or
    before the first copy; those read the counter as :func:`snapshot` always does."""
    if getattr(_request, "checked", None) is not None or not getattr(_request, "active", False):
        return None
    held = _current
    if held is None:
        return None
    _request.checked = held
    return held.version


def confirm(assumed: int, counter: int | None) -> None:
    """Raise :class:`Stale` if the ``counter`` read by the caller's statement (NULL before
    the first change) is not the version the request ``assumed``."""
    if (counter or 0) != assumed:
        raise Stale


def recheck() -> None:
    """After :class:`Stale`: the request's next :func:`snapshot` reads the counter."""
    _request.checked = None


# The counter, as a subquery of a caller's own statement (NULL before the first change).
VERSION_SQL = "(SELECT n FROM tickets_catalogueversion WHERE id = 1)"


def forget() -> None:
    """Drop this process's copy (tests that rewrite tables behind the ORM's back)."""
    global _current
    _current = None
    _request.checked = None


def bump(**_: object) -> None:
    """Raise the counter (a signal receiver: saved or deleted catalogue rows)."""
    _request.checked = None
    if not CatalogueVersion.objects.filter(pk=1).update(n=F("n") + 1):
        CatalogueVersion.objects.get_or_create(pk=1, defaults={"n": 1})


def _request_started(**_: object) -> None:
    _request.active = True
    _request.checked = None


def _request_finished(**_: object) -> None:
    _request.active = False
    _request.checked = None


def _version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + VERSION_SQL)
        return cursor.fetchone()[0] or 0


def _responsible_units():
    return ResponsibleUnit.objects.select_related("department", "admin_unit").defer(
        "admin_unit__boundary"
    )


def _load(version: int) -> Snapshot:
    snap = Snapshot(version)
    categories = Category.objects.select_related(
        "deadline_class", "default_unit__department", "default_unit__admin_unit"
    ).defer("default_unit__admin_unit__boundary")
    for category in categories:
        snap.categories[category.pk] = category
        snap.ids[category.code] = category.pk
        if category.active:
            snap.by_code[category.code] = category
            snap.by_name[category.name] = category
    for unit in _responsible_units():
        snap.responsible[unit.pk] = unit
        if unit.admin_unit_id:
            snap.for_admin_unit[unit.admin_unit_id] = unit
    rules: defaultdict[int, list[tuple[str, ResponsibleUnit]]] = defaultdict(list)
    for rule in RoutingRule.objects.only("category_id", "unit_prefix", "responsible_unit_id"):
        target = snap.responsible.get(rule.responsible_unit_id)
        if target is not None:
            rules[rule.category_id].append((rule.unit_prefix, target))
    snap.rules = {k: sorted(v, key=lambda r: -len(r[0])) for k, v in rules.items()}
    for unit in AdminUnit.objects.defer("boundary").order_by("code"):
        snap.unit_names[unit.pk] = unit.name
        if unit.parent_id is None:
            snap.roots.append(unit.code)
        if unit.active:
            snap.units[unit.code] = unit
    return snap


def connect_signals() -> None:
    request_started.connect(_request_started, dispatch_uid="tickets.refdata.request_started")
    request_finished.connect(_request_finished, dispatch_uid="tickets.refdata.request_finished")
    for model in (Category, DeadlineClass, RoutingRule, ResponsibleUnit, Department, AdminUnit):
        uid = f"tickets.refdata.{model.__name__}"
        post_save.connect(bump, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(bump, sender=model, dispatch_uid=uid + ".delete")
