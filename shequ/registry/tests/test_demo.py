"""The demo district: ``load_demo --scale 0.05 --seed 1`` once for the module (rolled back at
the end), checked for real units, plausible people, staff, log-ins and determinism."""

from __future__ import annotations

import math
import stat
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F
from django.test import override_settings

from shequ.accounts.models import Role, User
from shequ.conftest import TEST_KEY
from shequ.core.idcard import parse_id_number
from shequ.registry import demo
from shequ.registry.demo.staff import LEVEL_BANDS, VOLUNTEER_ROLES
from shequ.registry.divisions import DEFAULT_CSV, read_divisions
from shequ.registry.models import (
    AdminUnit,
    Building,
    BuildingUnit,
    CertificateLevel,
    GridRole,
    Household,
    Level,
    Person,
    PersonTag,
    Residence,
    Tag,
    Worker,
)
from shequ.registry.pii import cipher

SEED, SCALE = 1, 0.05
HASHERS = [f"django.contrib.auth.hashers.{name}PasswordHasher" for name in ("Argon2", "MD5")]
TAIAN = "220403001001"


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """The tiny demo, loaded once; everything is rolled back after the module."""
    with (
        django_db_blocker.unblock(),
        override_settings(FIELD_KEY=TEST_KEY),
        transaction.atomic(),
    ):
        out = StringIO()
        call_command(
            "load_demo", "--scale", str(SCALE), "--seed", str(SEED), "--registry-only", stdout=out
        )
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo_output, db):
    return demo_output


@pytest.fixture(scope="module")
def plan():
    return demo.generate(SEED, SCALE)


def _communities():
    return AdminUnit.objects.filter(level=Level.COMMUNITY)


def test_real_units_with_real_names(loaded):
    real = {d.code: d for d in read_divisions(DEFAULT_CSV)}
    units = {u.code: u for u in AdminUnit.objects.exclude(level=Level.GRID)}
    assert set(units) == set(real)
    assert all(units[c].name == d.name for c, d in real.items())
    assert _communities().count() == 39
    assert _communities().filter(is_urban=True).count() == 16
    assert not AdminUnit.objects.filter(geometry_generated=False).exists()


def test_generated_layout_is_plausible(loaded):
    for unit in AdminUnit.objects.all():
        ring = unit.boundary["coordinates"][0]
        assert unit.boundary["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) >= 4
        assert abs(unit.centre_lat - 42.90) < 0.2 and abs(unit.centre_lon - 125.13) < 0.25

    def km(u):
        return math.hypot((u.centre_lat - 42.90) * 111, (u.centre_lon - 125.13) * 81.5)

    urban = [km(u) for u in _communities().filter(is_urban=True)]
    villages = [km(u) for u in _communities().filter(is_urban=False)]
    assert max(urban) < 3 and min(villages) > 2.5 and max(villages) < 16
    for b in Building.objects.select_related("unit")[:200]:
        assert abs(b.lat - b.unit.centre_lat) < 0.05 and abs(b.lon - b.unit.centre_lon) < 0.05


def test_grids_under_every_community(loaded):
    for community in _communities():
        grids = list(AdminUnit.objects.filter(parent=community, level=Level.GRID))
        assert grids, community.name
        assert grids[0].code == community.code + "001"
        assert grids[0].name == f"{community.name}第一网格"
        assert all(g.is_urban == community.is_urban for g in grids)
    # full-size grid structure: ~300–400 households a grid in a 3,000–4,000 household community
    taian_grids = AdminUnit.objects.filter(parent__code=TAIAN).count()
    assert 7 <= taian_grids <= 14


def test_household_and_person_counts(loaded):
    urban, rural = [], []
    for c in _communities():
        households = Household.objects.filter(unit__code__startswith=c.code).count()
        persons = Person.objects.filter(unit__code__startswith=c.code).count()
        assert c.households == households and c.population == persons
        (urban if c.is_urban else rural).append(households)
    # 3,000–4,000 and 300–800 households at scale 1 (a village has at least one per grid)
    assert all(150 <= n <= 200 for n in urban)
    assert all(2 <= n <= 40 for n in rural)
    assert min(urban) > max(rural)
    district = AdminUnit.objects.get(level=Level.DISTRICT)
    assert district.households == Household.objects.count()
    assert district.population == Person.objects.count()
    assert 2_800 <= district.households <= 3_800
    assert 1.9 <= district.population / district.households <= 2.8
    street = AdminUnit.objects.get(code="220403001")
    assert street.households == sum(c.households for c in _communities().filter(parent=street))


def test_buildings(loaded):
    urban = Building.objects.filter(unit__is_urban=True)
    assert set(urban.values_list("floors", flat=True)) <= {5, 6, 7}
    per_building = Counter(BuildingUnit.objects.values_list("building_id", flat=True))
    assert set(per_building.values()) <= {2, 3, 4, 5, 6}
    rural = Building.objects.filter(unit__is_urban=False).annotate(n=Count("households"))
    assert rural.exists() and set(rural.values_list("n", flat=True)) == {1}
    assert not Household.objects.filter(unit__is_urban=True, building_unit=None).exists()


def test_every_id_number_validates_and_decrypts(loaded):
    c = cipher()
    persons = list(Person.objects.all())
    for p in persons:
        number = parse_id_number(c.decrypt(p.id_number_enc), today=demo.DEMO_AS_OF)
        assert number.birth_date == p.birth_date and number.sex == p.sex
        assert p.id_number_hash == c.blind_index(number.number)
        assert p.id_number_mask[:4] == number.number[:4] and "*" in p.id_number_mask
        if p.phone_enc:
            assert p.phone_hash == c.blind_index(c.decrypt(p.phone_enc))
    regions = Counter(c.decrypt(p.id_number_enc)[:6] for p in persons[:2000])
    assert regions.most_common(1)[0][0] == "220403"
    assert Residence.objects.filter(ended_on=None).count() == len(persons)


def test_age_structure_of_a_rust_belt_district(loaded):
    persons = Person.objects.all()
    n = persons.count()
    old = persons.aged_at_least(60, on=demo.DEMO_AS_OF).count()
    very_old = persons.aged_at_least(80, on=demo.DEMO_AS_OF).count()
    assert 0.22 <= old / n <= 0.33
    assert 0.02 <= very_old / n <= 0.07


def test_tags_present_with_plausible_rates(loaded):
    n = Person.objects.count()
    open_tags = PersonTag.objects.filter(ended_on=None)
    counts = Counter(open_tags.values_list("tag", flat=True))
    for tag in (
        Tag.LIVING_ALONE,
        Tag.DISABLED,
        Tag.SEVERE_DISABILITY,
        Tag.DISABLED_CARE,
        Tag.LOW_INCOME,
        Tag.LEFT_BEHIND_CHILD,
        Tag.UNEMPLOYED,
        Tag.VETERAN,
        Tag.EXTREME_POVERTY,
    ):
        assert counts[tag] > 0, tag
    assert 0.03 <= counts[Tag.DISABLED] / n <= 0.09
    assert set(open_tags.filter(tag=Tag.DISABLED).values_list("grade", flat=True)) <= {1, 2, 3, 4}
    severe = set(open_tags.filter(tag=Tag.SEVERE_DISABILITY).values_list("person", flat=True))
    grade_1_2 = set(
        open_tags.filter(tag=Tag.DISABLED, grade__lte=2).values_list("person", flat=True)
    )
    assert severe == grade_1_2
    left_behind = open_tags.filter(tag=Tag.LEFT_BEHIND_CHILD).select_related("person__unit")
    assert all(not t.person.unit.is_urban for t in left_behind)
    on = demo.DEMO_AS_OF
    assert all(t.person.age_on(on) < 16 for t in left_behind)
    living_alone = open_tags.filter(tag=Tag.LIVING_ALONE).select_related("person")
    assert all(
        t.person.age_on(on) >= 60 and t.person.household.members.count() == 1 for t in living_alone
    )
    assert not PersonTag.objects.filter(started_on__lt=F("person__birth_date")).exists()


def test_workers(loaded):
    workers = Worker.objects.exclude(grid_role__in=VOLUNTEER_ROLES)
    for grid in AdminUnit.objects.filter(level=Level.GRID):
        assert workers.filter(
            unit=grid, grid_role__in=[GridRole.GRID_WORKER, GridRole.GRID_LEADER]
        ).exists(), grid.name
    for c in _communities():
        staff = workers.filter(unit__code__startswith=c.code)
        n = staff.count()
        assert (15 <= n <= 25) if c.is_urban else (3 <= n <= 8), (c.name, n)
        assert staff.filter(disaster_officer=True).count() == 1
        assert staff.filter(post="head").count() == 1
        if c.is_urban:
            assert 1 <= staff.filter(party_post=True).count() <= 2
            assert staff.filter(certificates__level=CertificateLevel.SOCIAL_WORKER).exists()
    for w in workers:
        low, high = LEVEL_BANDS[w.post]
        assert low <= w.level <= high
        assert w.trainings.filter(
            taken_on__gte=demo.DEMO_AS_OF.replace(year=demo.DEMO_AS_OF.year - 2)
        ).exists()
    volunteers = Worker.objects.filter(grid_role__in=VOLUNTEER_ROLES)
    assert volunteers.filter(grid_role=GridRole.BUILDING_LEADER).exists()
    assert volunteers.filter(grid_role=GridRole.UNIT_LEADER).exists()
    assert not volunteers.filter(unit__is_urban=False).exists()


def test_demo_users(loaded):
    expected = {
        "admin": (Role.DISTRICT_ADMIN, "220403"),
        "jiedao": (Role.STREET_OFFICER, "220403001"),
        "shegong": (Role.CLERK, TAIAN),
        "wangge": (Role.GRID_WORKER, TAIAN + "001"),
        "zhujian": (Role.DEPARTMENT_HANDLER, None),
        "lingdao": (Role.LEADER, "220403"),
    }
    for username, (role, scope) in expected.items():
        user = User.objects.get(username=username)
        assert user.role == role
        assert (user.scope_unit.code if user.scope_unit else None) == scope
    passwords = set(User.objects.filter(username__in=expected).values_list("password", flat=True))
    assert len(passwords) == 1  # one shared demo password, hashed once
    with override_settings(PASSWORD_HASHERS=HASHERS):  # the demo hashed with Argon2
        assert User.objects.get(username="admin").check_password(demo.DEMO_PASSWORD)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert User.objects.get(username="zhujian").department.code == "zjj"
    grid_worker = User.objects.get(username="wangge").worker
    assert grid_worker.unit.code == TAIAN + "001"
    assert grid_worker.grid_role in (GridRole.GRID_WORKER, GridRole.GRID_LEADER)
    assert User.objects.get(username="shegong").worker.unit.code == TAIAN
    for username in expected:
        assert username in loaded  # the log-ins are printed


def test_rerun_does_not_duplicate(loaded):
    before = (
        Person.objects.count(),
        Household.objects.count(),
        Worker.objects.count(),
        AdminUnit.objects.count(),
        User.objects.count(),
    )
    out = StringIO()
    call_command("load_demo", "--scale", str(SCALE), "--registry-only", stdout=out)
    assert "已有演示数据" in out.getvalue()
    assert before == (
        Person.objects.count(),
        Household.objects.count(),
        Worker.objects.count(),
        AdminUnit.objects.count(),
        User.objects.count(),
    )


def test_generation_is_deterministic(loaded, plan):
    again = demo.generate(SEED, SCALE)
    assert [p.id_number for p in again.persons] == [p.id_number for p in plan.persons]
    assert [p.name for p in again.persons] == [p.name for p in plan.persons]
    assert [(w.name, w.level) for w in again.workers] == [(w.name, w.level) for w in plan.workers]
    assert [u.boundary for u in again.units] == [u.boundary for u in plan.units]
    other = demo.generate(SEED + 1, SCALE)
    assert [p.id_number for p in other.persons[:50]] != [p.id_number for p in plan.persons[:50]]
    # what was written is the plan, in order
    c = cipher()
    stored = list(Person.objects.order_by("pk").values_list("id_number_hash", "name")[:100])
    assert stored == [(c.blind_index(p.id_number), p.name) for p in plan.persons[:100]]
    assert len({p.id_number for p in plan.persons}) == len(plan.persons)


def test_reset_rebuilds_on_the_same_units(loaded):
    taian = AdminUnit.objects.get(code=TAIAN)
    surveyed = {
        "type": "Polygon",
        "coordinates": [[[125.1, 42.9], [125.11, 42.9], [125.11, 42.91], [125.1, 42.9]]],
    }
    with transaction.atomic():
        # a boundary imported from survey data survives the demo
        AdminUnit.objects.filter(pk=taian.pk).update(boundary=surveyed, geometry_generated=False)
        out = StringIO()
        call_command(
            "load_demo", "--scale", "0.02", "--seed", "2", "--reset", "--registry-only", stdout=out
        )
        assert "已清除演示数据" in out.getvalue()
        assert AdminUnit.objects.get(code=TAIAN).pk == taian.pk  # real units are kept
        assert User.objects.filter(username="wangge").count() == 1
        assert Household.objects.count() < 2000
        rebuilt = AdminUnit.objects.get(pk=taian.pk)
        assert rebuilt.boundary == surveyed and not rebuilt.geometry_generated
        assert rebuilt.households == Household.objects.filter(unit__parent=rebuilt).count()
        transaction.set_rollback(True)


def test_reset_refuses_real_data(loaded):
    with transaction.atomic():
        Household.objects.create(number="REAL-1", unit=AdminUnit.objects.get(code=TAIAN))
        Person.objects.create(
            name="真实居民",
            sex="F",
            birth_date=demo.DEMO_AS_OF.replace(year=1960),
            id_number_enc="x",
            id_number_hash="real-1",
            id_number_mask="x",
            unit=AdminUnit.objects.get(code=TAIAN),
        )
        with pytest.raises(demo.DemoError):
            demo.reset()
        transaction.set_rollback(True)


def test_field_key_file_is_created(settings, tmp_path):
    settings.FIELD_KEY = ""
    settings.FIELD_KEY_FILE = tmp_path / "var" / "field.key"
    demo.ensure_field_key()
    assert settings.FIELD_KEY_FILE.is_file()
    assert stat.S_IMODE(settings.FIELD_KEY_FILE.stat().st_mode) == 0o600


def test_scale_is_checked():
    with pytest.raises(ValueError):
        demo.generate(SEED, 0)
