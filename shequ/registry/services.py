"""Writes to the registry. Each takes ``actor`` by keyword, checks scope and rules, writes
the audit row in the same transaction, and raises a DomainError that changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from shequ.audit import services as audit
from shequ.audit.models import Action
from shequ.core.idcard import cross_check
from shequ.errors import Conflict, Forbidden, Invalid, NotFound
from shequ.registry.models import (
    AdminUnit,
    Building,
    Household,
    Person,
    PersonStatus,
    PersonTag,
    Residence,
    Tag,
    Worker,
)
from shequ.registry.pii import (
    check_id_number,
    cipher,
    normalise_phone,
    protect_id_number,
    protect_phone,
)

PERSON_AUDIT_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "id_number_mask",
    "phone_mask",
    "unit",
    "household",
    "relation",
    "status",
)


def _require_writer(actor: Any) -> None:
    if not getattr(actor, "may_write_registry", False):
        raise Forbidden("您的角色不能修改居民档案。")


def unit_in_scope(code: str, *, actor: Any) -> AdminUnit:
    """The active unit with this code if the actor may see it; 404-like error otherwise."""
    unit = AdminUnit.objects.in_scope(actor).active().filter(code=str(code).strip()).first()
    if unit is None:
        raise NotFound(f"区划代码 {code} 不存在或不在您的管辖范围内。", field="unit")
    return unit


@dataclass
class PersonInput:
    name: str
    id_number: str
    unit_code: str
    phone: str = ""
    sex: str | None = None
    birth_date: date | None = None
    household_number: str | None = None
    relation: str = ""


def clean_person(data: PersonInput, *, actor: Any) -> dict[str, Any]:
    """Validate a person's fields; returns model field values. Raises Invalid/NotFound."""
    name = (data.name or "").strip()
    if not name:
        raise Invalid("姓名不能为空。", field="name")
    if len(name) > 50:
        raise Invalid("姓名过长。", field="name")
    number = check_id_number(data.id_number)
    problems = cross_check(number, birth_date=data.birth_date, sex=data.sex)
    if problems:
        raise Invalid("；".join(problems), code="id_mismatch", field="id_number")
    unit = unit_in_scope(data.unit_code, actor=actor)
    household = None
    if data.household_number:
        household = (
            Household.objects.in_scope(actor).filter(number=data.household_number.strip()).first()
        )
        if household is None:
            raise NotFound(
                f"户编号 {data.household_number} 不存在或不在您的管辖范围内。", field="household"
            )
    pid = protect_id_number(number)
    phone = protect_phone(normalise_phone(data.phone))
    return {
        "name": name,
        "sex": number.sex,
        "birth_date": number.birth_date,
        "id_number_enc": pid.enc,
        "id_number_hash": pid.hash,
        "id_number_mask": pid.mask,
        "phone_enc": phone.enc,
        "phone_hash": phone.hash,
        "phone_mask": phone.mask,
        "unit": unit,
        "household": household,
        "relation": data.relation.strip(),
    }


@transaction.atomic
def create_person(data: PersonInput, *, actor: Any, on: date | None = None) -> Person:
    _require_writer(actor)
    values = clean_person(data, actor=actor)
    if Person.objects.filter(id_number_hash=values["id_number_hash"]).exists():
        # Say so without telling an out-of-scope clerk where the person is registered.
        raise Conflict(
            "该身份证号已登记，不能重复登记。", code="duplicate_person", field="id_number"
        )
    person = Person.objects.create(**values)
    if person.household_id:
        Residence.objects.create(
            person=person, household=person.household, started_on=on or timezone.localdate()
        )
    audit.record_created(person, PERSON_AUDIT_FIELDS, actor=actor)
    return person


@transaction.atomic
def update_person(person: Person, *, actor: Any, **changes: Any) -> Person:
    """Change plain fields (name, phone, relation, status); ID numbers are never edited."""
    _require_writer(actor)
    person = Person.objects.in_scope(actor).select_for_update().filter(pk=person.pk).first()
    if person is None:
        raise NotFound("居民不存在或不在您的管辖范围内。")
    before = audit.snapshot(person, PERSON_AUDIT_FIELDS)
    for key, value in changes.items():
        if key == "phone":
            phone = protect_phone(normalise_phone(value))
            person.phone_enc, person.phone_hash, person.phone_mask = (
                phone.enc,
                phone.hash,
                phone.mask,
            )
        elif key == "name":
            if not str(value).strip():
                raise Invalid("姓名不能为空。", field="name")
            person.name = str(value).strip()
        elif key in ("relation", "status"):
            if key == "status" and value not in PersonStatus.values:
                raise Invalid("状态不正确。", field="status")
            setattr(person, key, value)
        else:
            raise Invalid(f"字段 {key} 不能修改。", field=key)
    after = audit.snapshot(person, PERSON_AUDIT_FIELDS)
    changed = audit.diff(before, after)
    if not changed:
        return person
    person.save()
    audit.record(Action.UPDATE, person, actor=actor, changes=changed)
    return person


@transaction.atomic
def move_person(
    person: Person,
    household: Household,
    *,
    actor: Any,
    on: date | None = None,
    relation: str = "",
) -> Person:
    """Move a person to another household, closing the current stay (history is kept)."""
    _require_writer(actor)
    on = on or timezone.localdate()
    person = Person.objects.in_scope(actor).select_for_update().filter(pk=person.pk).first()
    target = Household.objects.in_scope(actor).filter(pk=household.pk).first()
    if person is None or target is None:
        raise NotFound("居民或户不存在或不在您的管辖范围内。")
    if person.household_id == target.pk:
        return person
    current = Residence.objects.filter(person=person, ended_on__isnull=True).first()
    if current is not None:
        if on < current.started_on:
            raise Invalid("迁出日期早于迁入日期。", field="on")
        current.ended_on = on
        current.save(update_fields=["ended_on"])
    Residence.objects.create(person=person, household=target, started_on=on)
    before = audit.snapshot(person, PERSON_AUDIT_FIELDS)
    person.household, person.unit, person.relation = target, target.unit, relation
    person.save(update_fields=["household", "unit", "relation", "updated_at"])
    audit.record(
        Action.UPDATE,
        person,
        actor=actor,
        changes=audit.diff(before, audit.snapshot(person, PERSON_AUDIT_FIELDS)),
        summary=f"{person.name} 迁入 {target.number}",
    )
    return person


@transaction.atomic
def tag_person(
    person: Person, tag: str, *, actor: Any, on: date | None = None, grade: int | None = None
) -> PersonTag:
    _require_writer(actor)
    if tag not in Tag.values:
        raise Invalid(f"未知的标签：{tag}", field="tag")
    if grade is not None and not 1 <= grade <= 4:
        raise Invalid("残疾等级应为1–4级。", field="grade")
    if not Person.objects.in_scope(actor).filter(pk=person.pk).exists():
        raise NotFound("居民不存在或不在您的管辖范围内。")
    if PersonTag.objects.filter(person=person, tag=tag, ended_on__isnull=True).exists():
        raise Conflict("该居民已有此标签。", field="tag")
    row = PersonTag.objects.create(
        person=person, tag=tag, grade=grade, started_on=on or timezone.localdate()
    )
    audit.record(Action.UPDATE, person, actor=actor, changes={"tag": [None, str(row)]})
    return row


@transaction.atomic
def untag_person(person: Person, tag: str, *, actor: Any, on: date | None = None) -> None:
    """End a tag from ``on``; the row stays so care history can tell when it ended."""
    _require_writer(actor)
    row = (
        PersonTag.objects.filter(person__in=Person.objects.in_scope(actor))
        .filter(person=person, tag=tag, ended_on__isnull=True)
        .first()
    )
    if row is None:
        raise NotFound("该居民没有此标签。")
    row.ended_on = on or timezone.localdate()
    row.save(update_fields=["ended_on"])
    audit.record(Action.UPDATE, person, actor=actor, changes={"tag": [str(row), None]})


def reveal_id_number(person: Person, *, actor: Any, reason: str) -> str:
    """The clear ID number, for a role that may read it, with a reason; logged every time."""
    return _reveal(person, "id_number", actor=actor, reason=reason)


def reveal_phone(person: Person, *, actor: Any, reason: str) -> str:
    return _reveal(person, "phone", actor=actor, reason=reason)


@transaction.atomic
def _reveal(person: Person, field: str, *, actor: Any, reason: str) -> str:
    if not getattr(actor, "may_read_clear_pii", False):
        raise Forbidden("您的角色不能查看完整号码。")
    if not Person.objects.in_scope(actor).filter(pk=person.pk).exists():
        raise NotFound("居民不存在或不在您的管辖范围内。")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise Invalid("查看完整号码须填写事由。", field="reason")
    token = person.id_number_enc if field == "id_number" else person.phone_enc
    audit.record_clear_read(person, field, actor=actor, reason=reason)
    return cipher().decrypt(token) if token else ""


@transaction.atomic
def create_household(
    *,
    actor: Any,
    number: str,
    unit_code: str,
    address: str = "",
    building: Building | None = None,
    room: str = "",
) -> Household:
    _require_writer(actor)
    unit = unit_in_scope(unit_code, actor=actor)
    number = (number or "").strip()
    if not number:
        raise Invalid("户编号不能为空。", field="number")
    if Household.objects.filter(number=number).exists():
        raise Conflict(f"户编号 {number} 已存在。", field="number")
    household = Household.objects.create(
        number=number, unit=unit, address=address, building=building, room=room
    )
    audit.record_created(household, ("number", "unit", "address", "room"), actor=actor)
    return household


@transaction.atomic
def create_worker(
    *, actor: Any, name: str, unit_code: str, phone: str = "", **fields: Any
) -> Worker:
    _require_writer(actor)
    unit = unit_in_scope(unit_code, actor=actor)
    level = int(fields.get("level", 1))
    if not 1 <= level <= 18:
        raise Invalid("等级应为1–18。", field="level")
    p = protect_phone(normalise_phone(phone))
    worker = Worker.objects.create(
        name=name.strip(), unit=unit, phone_enc=p.enc, phone_mask=p.mask, **fields
    )
    audit.record_created(worker, ("name", "unit", "post", "level", "grid_role"), actor=actor)
    return worker
