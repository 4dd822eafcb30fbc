"""Storing a :class:`DemoPlan`: bulk inserts in one transaction, then the demo log-ins.

Rows are built in memory and inserted in batches: ``bulk_create`` for the small tables
(SQLite returns the new keys), plain ``executemany`` for households, persons, residences and
tags (see :func:`_insert`); the new keys are read back by the unique household number and ID
hash. Nothing is one query per row. ID and phone numbers are encrypted here, with the
configured field key.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, ProtectedError, Q
from django.utils import timezone

from shequ.accounts.departments import PLAN_DEPARTMENTS
from shequ.accounts.models import Department, Role, User
from shequ.audit import services as audit
from shequ.audit.models import Action
from shequ.core.crypto import ensure_key_file
from shequ.core.masking import mask_id_number, mask_phone
from shequ.registry.demo.plan import DemoPlan
from shequ.registry.demo.staff import VOLUNTEER_ROLES
from shequ.registry.divisions import DEFAULT_ROOT, Division, ensure_divisions
from shequ.registry.models import (
    AdminUnit,
    Building,
    BuildingUnit,
    Certificate,
    Household,
    Level,
    Person,
    PersonStatus,
    PersonTag,
    Residence,
    Training,
    Worker,
)
from shequ.registry.pii import cipher

BATCH = 1000
DEMO_PASSWORD = "demo12345"
# Marks the users the demo made, so --reset never deletes a real account of the same name.
DEMO_EMAIL_DOMAIN = "demo.invalid"

T = TypeVar("T")


class DemoError(Exception):
    """The demo cannot be written or reset here; nothing was changed."""


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    description: str


DEMO_USERS = (
    DemoUser("admin", Role.DISTRICT_ADMIN, "区级管理员（超级用户），范围 西安区"),
    DemoUser("jiedao", Role.STREET_OFFICER, "街道干部，范围 第一个街道（太安街道）"),
    DemoUser("shegong", Role.CLERK, "全科社工，范围 第一个社区（泰安社区）"),
    DemoUser("wangge", Role.GRID_WORKER, "网格员，范围 泰安社区第一网格（已关联社区工作者）"),
    DemoUser("zhujian", Role.DEPARTMENT_HANDLER, "部门承办人，区住建局"),
    DemoUser("lingdao", Role.LEADER, "领导（只读），范围 西安区"),
)


@dataclass
class WriteResult:
    units: int = 0
    grids: int = 0
    buildings: int = 0
    households: int = 0
    persons: int = 0
    tags: int = 0
    workers: int = 0
    volunteers: int = 0  # of the workers: building and unit leaders
    users: list[str] = field(default_factory=list)
    skipped_users: list[str] = field(default_factory=list)
    seconds: float = 0.0


def ensure_field_key() -> None:
    """The field key must exist before anything is encrypted: create the key file if the
    environment gives no key (``make demo`` relies on this; the file lives in var/)."""
    if not settings.FIELD_KEY:
        ensure_key_file(settings.FIELD_KEY_FILE)


def demo_present(root: str = DEFAULT_ROOT) -> bool:
    """True if the district already has the demo (or any households: never mix them)."""
    return (
        AdminUnit.objects.filter(
            code__startswith=root, level=Level.GRID, geometry_generated=True
        ).exists()
        or Household.objects.filter(unit__code__startswith=root).exists()
    )


def _batches(items: list[T], size: int = BATCH) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def write(plan: DemoPlan) -> WriteResult:
    """Store ``plan``; the caller checks :func:`demo_present` first."""
    started = time.monotonic()
    result = WriteResult()
    ensure_divisions(
        [
            Division(u.code, u.name, u.level, u.parent_code)
            for u in plan.units
            if u.level != Level.GRID
        ],
        plan.root,
    )
    units = _write_units(plan, result)
    building_ids, stairwell_ids = _write_buildings(plan, units, result)
    household_ids = _write_households(plan, units, building_ids, stairwell_ids, result)
    _write_persons(plan, units, household_ids, result)
    workers = _write_workers(plan, units, result)
    _write_users(plan, units, workers, result)
    audit.record(
        Action.IMPORT,
        units[plan.root],
        actor=None,
        summary=f"生成演示数据（seed={plan.seed}，scale={plan.scale}，截至 {plan.as_of}）",
        changes={
            "households": [None, result.households],
            "persons": [None, result.persons],
            "workers": [None, result.workers],
        },
    )
    result.seconds = time.monotonic() - started
    return result


def _write_units(plan: DemoPlan, result: WriteResult) -> dict[str, AdminUnit]:
    """Geometry and counts of the real units; the generated grids are created."""
    existing = {u.code: u for u in AdminUnit.objects.filter(code__startswith=plan.root)}
    changed, grids = [], []
    for up in plan.units:
        unit = existing.get(up.code)
        if unit is None:
            unit = AdminUnit(
                code=up.code,
                name=up.name,
                level=up.level,
                is_urban=up.is_urban,
                parent=existing.get(up.parent_code or ""),
            )
            grids.append(unit)
            existing[up.code] = unit
        else:
            changed.append(unit)
        unit.households, unit.population = up.households, up.population
        if unit.boundary is None or unit.geometry_generated:
            # a surveyed boundary (import_boundaries) is kept; only the missing is drawn
            unit.centre_lat, unit.centre_lon = up.centre
            unit.boundary, unit.geometry_generated = up.boundary, True
    AdminUnit.objects.bulk_update(
        changed,
        ["households", "population", "centre_lat", "centre_lon", "boundary", "geometry_generated"],
        batch_size=BATCH,
    )
    AdminUnit.objects.bulk_create(grids, batch_size=BATCH)
    result.units, result.grids = len(changed), len(grids)
    return existing


def _write_buildings(
    plan: DemoPlan, units: dict[str, AdminUnit], result: WriteResult
) -> tuple[list[int], dict[tuple[int, str], int]]:
    rows = [
        Building(
            unit=units[b.unit_code],
            number=b.number,
            address=b.address,
            floors=b.floors,
            lat=b.lat,
            lon=b.lon,
            floor_area=b.floor_area,
        )
        for b in plan.buildings
    ]
    Building.objects.bulk_create(rows, batch_size=BATCH)
    ids = [b.pk for b in rows]
    stairwells = [
        BuildingUnit(building_id=ids[i], number=s)
        for i, b in enumerate(plan.buildings)
        for s in b.stairwells
    ]
    BuildingUnit.objects.bulk_create(stairwells, batch_size=BATCH)
    result.buildings = len(rows)
    return ids, {(s.building_id, s.number): s.pk for s in stairwells}


def _insert(model: type[Model], columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Plain ``INSERT … VALUES`` with ``executemany``, for the big tables.

    ``bulk_create`` spends most of its time preparing each value of each object (measured:
    ~85 % of writing the demo); these rows are already database-ready (dates adapted by
    ``connection.ops``), so the demo writes them directly. Portable: table and column names come
    from the model and the placeholders are Django's.
    """
    qn = connection.ops.quote_name
    names = ", ".join(qn(model._meta.get_field(c).column) for c in columns)
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({names}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for batch in _batches(rows, 5000):
            cursor.executemany(sql, batch)


def _write_households(
    plan: DemoPlan,
    units: dict[str, AdminUnit],
    building_ids: list[int],
    stairwell_ids: dict[tuple[int, str], int],
    result: WriteResult,
) -> list[int]:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = []
    for h in plan.households:
        building = building_ids[h.building] if h.building is not None else None
        stairwell = stairwell_ids.get((building, h.stairwell or ""))
        rows.append((h.number, units[h.unit_code].pk, building, stairwell, h.room, h.address, now))
    columns = ("number", "unit", "building", "building_unit", "room", "address", "created_at")
    _insert(Household, columns, rows)
    ids = dict(
        Household.objects.filter(unit__code__startswith=plan.root).values_list("number", "id")
    )
    result.households = len(rows)
    return [ids[h.number] for h in plan.households]


def _write_persons(
    plan: DemoPlan, units: dict[str, AdminUnit], household_ids: list[int], result: WriteResult
) -> None:
    c = cipher()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    day = connection.ops.adapt_datefield_value
    rows, hashes = [], []
    for p in plan.persons:
        household = plan.households[p.household]
        id_hash = c.blind_index(p.id_number)
        hashes.append(id_hash)
        phone = (
            (c.encrypt(p.phone), c.blind_index(p.phone), mask_phone(p.phone))
            if p.phone
            else ("", "", "")
        )
        rows.append(
            (
                p.name,
                p.sex,
                day(p.birth_date),
                c.encrypt(p.id_number),
                id_hash,
                mask_id_number(p.id_number),
                *phone,
                units[household.unit_code].pk,
                household_ids[p.household],
                p.relation,
                PersonStatus.ACTIVE,
                now,
                now,
            )
        )
    _insert(Person, PERSON_COLUMNS, rows)
    ids = dict(
        Person.objects.filter(unit__code__startswith=plan.root).values_list("id_number_hash", "id")
    )
    residences, tags = [], []
    for p, id_hash in zip(plan.persons, hashes, strict=True):
        pk = ids[id_hash]
        since = max(plan.households[p.household].since, p.birth_date)
        residences.append((pk, household_ids[p.household], day(since), None))
        tags += [(pk, t.tag, t.grade, day(t.started_on), day(t.ended_on)) for t in p.tags]
    _insert(Residence, ("person", "household", "started_on", "ended_on"), residences)
    _insert(PersonTag, ("person", "tag", "grade", "started_on", "ended_on"), tags)
    result.persons, result.tags = len(rows), len(tags)


PERSON_COLUMNS = (
    "name",
    "sex",
    "birth_date",
    "id_number_enc",
    "id_number_hash",
    "id_number_mask",
    "phone_enc",
    "phone_hash",
    "phone_mask",
    "unit",
    "household",
    "relation",
    "status",
    "created_at",
    "updated_at",
)


def _write_workers(
    plan: DemoPlan, units: dict[str, AdminUnit], result: WriteResult
) -> dict[str, Worker]:
    c = cipher()
    rows = [
        Worker(
            name=w.name,
            unit=units[w.unit_code],
            phone_enc=c.encrypt(w.phone),
            phone_mask=mask_phone(w.phone),
            post=w.post,
            level=w.level,
            party_post=w.party_post,
            grid_role=w.grid_role,
            disaster_officer=w.disaster_officer,
            joined_on=w.joined_on,
        )
        for w in plan.workers
    ]
    Worker.objects.bulk_create(rows, batch_size=BATCH)
    certificates = [
        Certificate(worker_id=row.pk, level=level, obtained_on=on)
        for w, row in zip(plan.workers, rows, strict=True)
        for level, on in w.certificates
    ]
    trainings = [
        Training(worker_id=row.pk, taken_on=on, kind=kind, hours=Decimal(str(hours)))
        for w, row in zip(plan.workers, rows, strict=True)
        for on, kind, hours in w.trainings
    ]
    Certificate.objects.bulk_create(certificates, batch_size=BATCH)
    Training.objects.bulk_create(trainings, batch_size=BATCH)
    result.workers = len(rows)
    result.volunteers = sum(w.grid_role in VOLUNTEER_ROLES for w in plan.workers)
    return {w.login: row for w, row in zip(plan.workers, rows, strict=True) if w.login}


def _scopes(plan: DemoPlan, units: dict[str, AdminUnit]) -> dict[str, AdminUnit | None]:
    street = next(u for u in plan.units if u.level == Level.STREET and u.is_urban)
    community = next(u for u in plan.units if u.level == Level.COMMUNITY and u.is_urban)
    return {
        "admin": units[plan.root],
        "jiedao": units[street.code],
        "shegong": units[community.code],
        "wangge": units[f"{community.code}001"],
        "zhujian": None,
        "lingdao": units[plan.root],
    }


def _write_users(
    plan: DemoPlan, units: dict[str, AdminUnit], workers: dict[str, Worker], result: WriteResult
) -> None:
    code, name, duties = next(d for d in PLAN_DEPARTMENTS if d[0] == "zjj")
    department, _ = Department.objects.get_or_create(
        code=code, defaults={"name": name, "duties": duties}
    )
    scopes = _scopes(plan, units)
    # One Argon2 hash for the one shared demo password (each hash takes ~0.25 s).
    password = make_password(DEMO_PASSWORD)
    for spec in DEMO_USERS:
        if User.objects.filter(username=spec.username).exists():
            result.skipped_users.append(spec.username)
            continue
        fields: dict[str, Any] = {
            "role": spec.role,
            "scope_unit": scopes[spec.username],
            "email": f"{spec.username}@{DEMO_EMAIL_DOMAIN}",
            "department": department if spec.role == Role.DEPARTMENT_HANDLER else None,
        }
        superuser = spec.username == "admin"
        user = User.objects.create(
            username=spec.username,
            password=password,
            is_staff=superuser,
            is_superuser=superuser,
            **fields,
        )
        if spec.username in workers:
            worker = workers[spec.username]
            worker.user = user
            worker.save(update_fields=["user"])
        result.users.append(spec.username)


@transaction.atomic
def reset(root: str = DEFAULT_ROOT) -> int:
    """Remove the demo under ``root`` (persons, households, buildings, workers, grids, demo
    users) and clear the generated geometry and counts; the real units stay.

    Refuses when persons, households or buildings lie outside the generated grids (real
    data) or when other records still point at the demo (then use a fresh database).
    Surveyed boundaries (``geometry_generated=False``) are kept.
    """
    grids = AdminUnit.objects.filter(
        code__startswith=root, level=Level.GRID, geometry_generated=True
    )
    if not grids.exists():
        return 0
    for model in (Person, Household, Building):  # what a real import would have created
        if model.objects.filter(unit__code__startswith=root).exclude(unit__in=grids).exists():
            raise DemoError(
                f"该区划下有不属于演示网格的{model._meta.verbose_name}，不是演示数据，拒绝清除。"
            )
    in_root = Q(unit__code__startswith=root)
    try:
        PersonTag.objects.filter(person__unit__in=grids).delete()
        Residence.objects.filter(person__unit__in=grids).delete()
        removed = Person.objects.filter(unit__in=grids).count()
        Person.objects.filter(unit__in=grids).only("id").delete()
        Household.objects.filter(in_root).delete()
        Building.objects.filter(in_root).delete()
        Worker.objects.filter(in_root).delete()
        User.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").delete()
        grids.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise DemoError(f"其他数据仍引用演示数据，无法清除（请使用新的数据库）：{exc}") from None
    units = AdminUnit.objects.filter(code__startswith=root)
    units.update(households=0, population=0)
    units.filter(geometry_generated=True).update(
        centre_lat=None, centre_lon=None, boundary=None, geometry_generated=False
    )
    return removed
