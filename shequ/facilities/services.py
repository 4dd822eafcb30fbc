"""Writes to the facility registry and requests for access computations.

Each write takes ``actor`` by keyword, checks role and scope, validates, writes the audit
row in the same transaction and raises a DomainError that changes nothing. A change that
moves what people can walk to (a facility added, moved, retyped, closed or removed) asks
for a new access computation after the commit — here, not in a signal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from shequ.audit import services as audit
from shequ.audit.models import Action
from shequ.errors import Forbidden, Invalid, NotFound
from shequ.facilities.models import (
    DAY_LABELS,
    AccessRun,
    Facility,
    FacilityPhoto,
    FacilityType,
    OpeningHours,
    Room,
    RoomFunction,
    RunStatus,
)
from shequ.registry.models import AdminUnit
from shequ.registry.services import unit_in_scope

FACILITY_AUDIT_FIELDS = (
    "type",
    "name",
    "unit",
    "address",
    "lat",
    "lon",
    "floor_area",
    "activity_area",
    "office_area",
    "commercial_area",
    "staff_on_duty",
    "active",
    "note",
)
# Fields whose change moves the walking results.
ACCESS_FIELDS = frozenset({"type", "lat", "lon", "active"})
ALL_DAY_WORDS = frozenset({"全天", "24小时", "all day", "all_day", "00:00-24:00"})
CLOSED_WORDS = frozenset({"", "休息", "不开放", "闭馆", "closed", "-"})
_SPAN = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*[-–—~～－至到]\s*(\d{1,2})[:：](\d{2})\s*$")


def _require_writer(actor: Any) -> None:
    if not getattr(actor, "may_write_registry", False):
        raise Forbidden(_("您的角色不能修改设施档案。"))


# -- inputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursSpec:
    all_day: bool = False
    opens: time | None = None
    closes: time | None = None


def parse_hours(text: str | None) -> HoursSpec | None:
    """'08:30-17:30' → a span, '全天' → all day, '' or '休息' → closed (None)."""
    value = (text or "").strip()
    if value.lower() in CLOSED_WORDS:
        return None
    if value.lower() in ALL_DAY_WORDS:
        return HoursSpec(all_day=True)
    m = _SPAN.match(value)
    if not m:
        raise Invalid(f"开放时间“{value}”格式应为 08:30-17:30、全天或休息。", field="hours")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if (h1, m1) == (0, 0) and (h2, m2) == (24, 0):
        return HoursSpec(all_day=True)
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise Invalid(f"开放时间“{value}”不是有效时间。", field="hours")
    opens, closes = time(h1, m1), time(h2, m2)
    if opens >= closes:
        raise Invalid(f"开放时间“{value}”的关门时间应晚于开门时间。", field="hours")
    return HoursSpec(opens=opens, closes=closes)


def format_hours(row: OpeningHours | None) -> str:
    """The inverse of :func:`parse_hours` (for Excel export and forms)."""
    if row is None:
        return "休息"
    if row.all_day:
        return "全天"
    return f"{row.opens:%H:%M}-{row.closes:%H:%M}"


@dataclass(frozen=True)
class RoomSpec:
    name: str
    area: float | None = None
    functions: tuple[str, ...] = ()


def parse_rooms(text: str | None) -> list[RoomSpec]:
    """'议事厅:80:会议议事/学习培训；阅览室:40:图书阅览' → rooms (functions by label or code)."""
    by_label = {str(label): value for value, label in RoomFunction.choices}
    rooms = []
    for part in re.split(r"[;；\n]", text or ""):
        if not part.strip():
            continue
        bits = [b.strip() for b in re.split(r"[:：]", part)]
        name, area, funcs = bits[0], bits[1] if len(bits) > 1 else "", bits[2:] or [""]
        if not name:
            raise Invalid(f"功能室“{part.strip()}”缺少名称。", field="rooms")
        try:
            area_value = float(area) if area else None
        except ValueError:
            raise Invalid(f"功能室“{name}”的面积“{area}”不是数字。", field="rooms") from None
        codes = []
        for f in re.split(r"[/、,，]", ":".join(funcs)):
            f = f.strip()
            if not f:
                continue
            code = f if f in RoomFunction.values else by_label.get(f)
            if code is None:
                raise Invalid(f"功能室“{name}”的功能“{f}”不在功能列表中。", field="rooms")
            codes.append(code)
        rooms.append(RoomSpec(name, area_value, tuple(dict.fromkeys(codes))))
    return rooms


def format_rooms(rooms: Iterable[Room]) -> str:
    labels = dict(RoomFunction.choices)
    parts = []
    for r in rooms:
        area = f"{r.area:g}" if r.area is not None else ""
        parts.append(f"{r.name}:{area}:{'/'.join(str(labels[f]) for f in r.functions)}")
    return "；".join(parts)


@dataclass
class FacilityInput:
    type_code: str
    name: str
    unit_code: str
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    floor_area: float | None = None
    activity_area: float | None = None
    office_area: float | None = None
    commercial_area: float | None = None
    staff_on_duty: int = 0
    active: bool = True
    note: str = ""
    # None leaves hours/rooms as they are; a mapping/list replaces them.
    hours: Mapping[str, HoursSpec | None] | None = None
    rooms: Sequence[RoomSpec] | None = None


def owner_unit(code: str, *, actor: Any) -> AdminUnit:
    """The unit a facility may belong to: active and in the actor's scope, else NotFound
    (an out-of-scope code is answered like a missing one)."""
    return unit_in_scope(code, actor=actor)


def clean_facility(data: FacilityInput, *, actor: Any) -> dict[str, Any]:
    """Validate a facility's fields; returns model field values. Raises Invalid/NotFound.

    The owner unit is checked first: out of scope is NotFound whatever else is wrong.
    """
    unit = owner_unit(data.unit_code, actor=actor)
    name = (data.name or "").strip()
    if not name:
        raise Invalid(_("设施名称不能为空。"), field="name")
    if len(name) > 100:
        raise Invalid(_("设施名称过长（最多100字）。"), field="name")
    ftype = FacilityType.objects.filter(code=(data.type_code or "").strip()).first()
    if ftype is None:
        ftype = FacilityType.objects.filter(name=(data.type_code or "").strip()).first()
    if ftype is None:
        raise Invalid(_("设施类型“%(type)s”不存在。") % {"type": data.type_code}, field="type")
    if (data.lat is None) != (data.lon is None):
        raise Invalid(_("纬度和经度应同时填写或同时留空。"), field="lat")
    if data.lat is not None and not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180):
        raise Invalid(_("经纬度超出范围（纬度−90～90，经度−180～180）。"), field="lat")
    areas = {
        "floor_area": data.floor_area,
        "activity_area": data.activity_area,
        "office_area": data.office_area,
        "commercial_area": data.commercial_area,
    }
    for key, value in areas.items():
        if value is not None and value < 0:
            raise Invalid(_("面积不能为负数。"), field=key)
    parts = sum(v or 0 for k, v in areas.items() if k != "floor_area")
    if data.floor_area is not None and parts > data.floor_area + 1e-6:
        raise Invalid(
            _("活动、办公与商业面积之和（%(parts)s㎡）超过总建筑面积（%(total)s㎡）。")
            % {"parts": f"{parts:g}", "total": f"{data.floor_area:g}"},
            field="activity_area",
        )
    if data.staff_on_duty < 0:
        raise Invalid(_("值班人数不能为负数。"), field="staff_on_duty")
    return {
        "type": ftype,
        "name": name,
        "unit": unit,
        "address": (data.address or "").strip()[:200],
        "lat": data.lat,
        "lon": data.lon,
        **areas,
        "staff_on_duty": int(data.staff_on_duty),
        "active": bool(data.active),
        "note": (data.note or "").strip()[:200],
    }


def _check_unique_name(unit_id: int, name: str, exclude: int | None = None) -> None:
    others = Facility.objects.filter(unit_id=unit_id, name=name)
    if exclude:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise Invalid(_("本单位已有名为“%(name)s”的设施。") % {"name": name}, field="name")


# -- writes -----------------------------------------------------------------------------


@transaction.atomic
def create_facility(data: FacilityInput, *, actor: Any) -> Facility:
    _require_writer(actor)
    values = clean_facility(data, actor=actor)
    _check_unique_name(values["unit"].pk, values["name"])
    facility = Facility.objects.create(**values)
    if data.hours is not None:
        _write_hours(facility, data.hours)
    if data.rooms is not None:
        _write_rooms(facility, data.rooms)
    audit.record_created(facility, FACILITY_AUDIT_FIELDS, actor=actor)
    if facility.lat is not None and facility.active:
        request_access_run(actor=actor, reason=f"新增设施：{facility.name}")
    return facility


@transaction.atomic
def update_facility(facility: Facility, data: FacilityInput, *, actor: Any) -> Facility:
    _require_writer(actor)
    facility = _locked_in_scope(facility, actor)
    values = clean_facility(data, actor=actor)
    _check_unique_name(values["unit"].pk, values["name"], exclude=facility.pk)
    before = audit.snapshot(facility, FACILITY_AUDIT_FIELDS)
    for key, value in values.items():
        setattr(facility, key, value)
    changes = audit.diff(before, audit.snapshot(facility, FACILITY_AUDIT_FIELDS))
    if data.hours is not None and _write_hours(facility, data.hours):
        changes["hours"] = [None, "changed"]
    if data.rooms is not None and _write_rooms(facility, data.rooms):
        changes["rooms"] = [None, "changed"]
    if not changes:
        return facility
    facility.save()
    audit.record(Action.UPDATE, facility, actor=actor, changes=changes)
    if ACCESS_FIELDS & changes.keys():
        request_access_run(actor=actor, reason=f"修改设施：{facility.name}")
    return facility


@transaction.atomic
def set_facility_active(facility: Facility, active: bool, *, actor: Any) -> Facility:
    """Take a facility out of use (the soft delete of the pages) or back into use.

    It stays in the registry with its history; out of use it counts for no check and no
    walking time, so a located one asks for a new access computation.
    """
    _require_writer(actor)
    facility = _locked_in_scope(facility, actor)
    if facility.active == active:
        return facility
    facility.active = active
    facility.save(update_fields=["active", "updated_at"])
    audit.record(Action.UPDATE, facility, actor=actor, changes={"active": [not active, active]})
    if facility.lat is not None:
        verb = "恢复在用" if active else "停用设施"
        request_access_run(actor=actor, reason=f"{verb}：{facility.name}")
    return facility


@transaction.atomic
def delete_facility(facility: Facility, *, actor: Any) -> None:
    _require_writer(actor)
    facility = _locked_in_scope(facility, actor)
    located = facility.lat is not None and facility.active
    audit.record(
        Action.DELETE,
        facility,
        actor=actor,
        changes={k: [v, None] for k, v in audit.snapshot(facility, FACILITY_AUDIT_FIELDS).items()},
    )
    name = facility.name
    facility.delete()
    if located:
        request_access_run(actor=actor, reason=f"删除设施：{name}")


@transaction.atomic
def add_photo(facility: Facility, upload: Any, *, actor: Any, caption: str = "") -> FacilityPhoto:
    _require_writer(actor)
    facility = _locked_in_scope(facility, actor)
    content_type = getattr(upload, "content_type", "") or ""
    if content_type and not content_type.startswith("image/"):
        raise Invalid("只能上传图片文件。", field="file")
    photo = FacilityPhoto.objects.create(facility=facility, file=upload, caption=caption[:100])
    audit.record(Action.UPDATE, facility, actor=actor, changes={"photo": [None, photo.file.name]})
    return photo


def _locked_in_scope(facility: Facility, actor: Any) -> Facility:
    found = (
        Facility.objects.in_scope(actor)
        .select_for_update()
        .filter(pk=facility.pk)
        .select_related("type", "unit")
        .first()
    )
    if found is None:
        raise NotFound(_("设施不存在或不在您的管辖范围内。"))
    return found


def _write_hours(facility: Facility, hours: Mapping[str, HoursSpec | None]) -> bool:
    """Replace the opening hours; True when they changed."""
    unknown = set(hours) - set(DAY_LABELS)
    if unknown:
        raise Invalid(f"未知的开放日：{'、'.join(sorted(unknown))}。", field="hours")
    for day, spec in hours.items():
        if spec is None or spec.all_day:
            continue
        label = {"day": DAY_LABELS[day]}
        if spec.opens is None or spec.closes is None:
            raise Invalid(_("%(day)s应同时填写开门和关门时间。") % label, field=day)
        if spec.opens >= spec.closes:
            raise Invalid(_("%(day)s的关门时间应晚于开门时间。") % label, field=day)
    old = {
        h.day: HoursSpec(h.all_day, None if h.all_day else h.opens, None if h.all_day else h.closes)
        for h in facility.hours.all()
    }
    new = {day: spec for day, spec in hours.items() if spec is not None}
    if old == new:
        return False
    facility.hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(
            facility=facility,
            day=day,
            all_day=spec.all_day,
            opens=None if spec.all_day else spec.opens,
            closes=None if spec.all_day else spec.closes,
        )
        for day, spec in new.items()
    )
    return True


def _write_rooms(facility: Facility, rooms: Sequence[RoomSpec]) -> bool:
    names = [r.name for r in rooms]
    if len(set(names)) != len(names):
        raise Invalid(_("功能室名称重复。"), field="rooms")
    for r in rooms:
        if not r.name.strip():
            raise Invalid(_("功能室名称不能为空。"), field="rooms")
        if r.area is not None and r.area < 0:
            raise Invalid(_("功能室“%(name)s”的面积不能为负数。") % {"name": r.name}, field="rooms")
        if bad := [f for f in r.functions if f not in RoomFunction.values]:
            raise Invalid(
                _("功能室“%(name)s”的功能“%(function)s”不在功能列表中。")
                % {"name": r.name, "function": bad[0]},
                field="rooms",
            )
    old = [RoomSpec(r.name, r.area, tuple(r.functions)) for r in facility.rooms.order_by("name")]
    new = sorted(rooms, key=lambda r: r.name)
    if old == new:
        return False
    facility.rooms.all().delete()
    Room.objects.bulk_create(
        Room(facility=facility, name=r.name, area=r.area, functions=list(r.functions))
        for r in rooms
    )
    return True


# -- access computations ----------------------------------------------------------------


def recompute_access(*, actor: Any) -> AccessRun:
    """On demand, from the progress page or the API: the same queued run as edits use."""
    _require_writer(actor)
    return request_access_run(actor=actor, reason="手动重新计算")


def request_access_run(*, actor: Any = None, reason: str = "") -> AccessRun:
    """Ask for walking access to be recomputed in the background.

    Several edits in a row share one queued run (the run reads the facilities when it
    starts, so it sees them all). The task is enqueued after the commit, so the worker
    never reads facilities the request has not written yet.
    """
    queued = AccessRun.objects.filter(status=RunStatus.QUEUED).order_by("pk").first()
    if queued is not None:
        return queued
    run = AccessRun.objects.create(
        reason=reason[:100], requested_by=actor if getattr(actor, "pk", None) else None
    )
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from shequ.facilities.tasks import compute_access_task

    try:
        compute_access_task.enqueue(run_id)
    except Exception as exc:  # the queue is down: say so on the progress bar
        AccessRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.FAILED, message=f"无法提交后台任务：{exc}"[:300]
        )
        raise
