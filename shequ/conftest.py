"""Shared fixtures: a small real piece of Xi'an District and personas with scopes.

Personas (as in the style guide): ``clerk_a`` keeps 泰安社区, ``officer_a`` runs its street
(太安街道), ``clerk_b`` keeps 仙城社区 of another street, ``admin`` is the district, ``grid_a``
patrols a grid of 泰安社区, ``handler`` works for 区住建局, ``leader`` reads the district.
"""

from __future__ import annotations

from datetime import date

import pytest

from shequ.core.crypto import generate_key, key_to_text
from shequ.core.idcard import make_id_number

TEST_KEY = key_to_text(generate_key())


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.FIELD_KEY = TEST_KEY
    # Argon2 is the real hasher (tested in accounts); tests log in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_caches():
    """The processes' copies of the ticket catalogue and the working-day calendar hold ids
    of rows that a finished test rolled back: every test starts and ends without them."""
    from shequ.tickets import deadlines, refdata

    deadlines.invalidate()
    refdata.forget()
    yield
    deadlines.invalidate()
    refdata.forget()


@pytest.fixture(autouse=True)
def _chinese():
    """Each test starts in the UI's first language: a request with the English cookie
    leaves English active in its thread, and tests assert the Chinese messages."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


@pytest.fixture
def units(db):
    from shequ.registry.models import AdminUnit, Level

    def unit(code, name, level, parent=None, urban=True):
        return AdminUnit.objects.create(
            code=code, name=name, level=level, parent=parent, is_urban=urban
        )

    district = unit("220403", "西安区", Level.DISTRICT)
    street_a = unit("220403001", "太安街道", Level.STREET, district)
    street_b = unit("220403002", "仙城街道", Level.STREET, district)
    town = unit("220403100", "灯塔镇", Level.STREET, district, urban=False)
    community_a = unit("220403001001", "泰安社区", Level.COMMUNITY, street_a)
    community_a2 = unit("220403001002", "新苑社区", Level.COMMUNITY, street_a)
    community_b = unit("220403002001", "仙城社区", Level.COMMUNITY, street_b)
    village = unit("220403100200", "丰收村", Level.COMMUNITY, town, urban=False)
    grid_a = unit("220403001001001", "泰安社区第一网格", Level.GRID, community_a)
    grid_a2 = unit("220403001001002", "泰安社区第二网格", Level.GRID, community_a)
    return {
        "district": district,
        "street_a": street_a,
        "street_b": street_b,
        "town": town,
        "community_a": community_a,
        "community_a2": community_a2,
        "community_b": community_b,
        "village": village,
        "grid_a": grid_a,
        "grid_a2": grid_a2,
    }


def _user(username, role, scope=None, department=None):
    from shequ.accounts.models import User

    return User.objects.create_user(
        username=username,
        password="pw-" + username + "-2026",
        role=role,
        scope_unit=scope,
        department=department,
    )


@pytest.fixture
def personas(units):
    from shequ.accounts.models import Department, Role

    return {
        "admin": _user("admin", Role.DISTRICT_ADMIN, units["district"]),
        "officer_a": _user("officer_a", Role.STREET_OFFICER, units["street_a"]),
        "clerk_a": _user("clerk_a", Role.CLERK, units["community_a"]),
        "clerk_b": _user("clerk_b", Role.CLERK, units["community_b"]),
        "grid_a": _user("grid_a", Role.GRID_WORKER, units["grid_a"]),
        "leader": _user("leader", Role.LEADER, units["district"]),
        "handler": _user(
            "handler",
            Role.DEPARTMENT_HANDLER,
            department=Department.objects.get_or_create(code="zjj", defaults={"name": "区住建局"})[
                0
            ],
        ),
    }


def id_number(seq: int, birth: date = date(1950, 3, 7), sex: str = "F") -> str:
    return make_id_number("220403", birth, seq % 100, sex)


@pytest.fixture
def people(personas, units):
    """Two households in 泰安社区 (one in each grid) and one in 仙城社区, with tagged persons."""
    from shequ.registry import services
    from shequ.registry.models import Building, Tag

    admin = personas["admin"]
    b_a = Building.objects.create(unit=units["grid_a"], number="1号楼", address="泰安路1号")
    h_a = services.create_household(
        actor=admin,
        number="H-A-1",
        unit_code="220403001001001",
        address="泰安路1号1单元101",
        building=b_a,
    )
    h_a2 = services.create_household(
        actor=admin, number="H-A-2", unit_code="220403001001002", address="泰安路9号2单元302"
    )
    h_b = services.create_household(
        actor=admin, number="H-B-1", unit_code="220403002001", address="仙城路5号"
    )
    wang = services.create_person(
        services.PersonInput(
            name="王秀兰",
            id_number=id_number(1, date(1938, 5, 1), "F"),
            unit_code="220403001001001",
            phone="13804371234",
            household_number="H-A-1",
            relation="户主",
        ),
        actor=admin,
        on=date(2020, 1, 1),
    )
    li = services.create_person(
        services.PersonInput(
            name="李建国",
            id_number=id_number(2, date(1960, 8, 15), "M"),
            unit_code="220403001001002",
            phone="13904375678",
            household_number="H-A-2",
            relation="户主",
        ),
        actor=admin,
        on=date(2020, 1, 1),
    )
    zhao = services.create_person(
        services.PersonInput(
            name="赵明",
            id_number=id_number(3, date(1990, 1, 20), "M"),
            unit_code="220403002001",
            household_number="H-B-1",
            relation="户主",
        ),
        actor=admin,
        on=date(2020, 1, 1),
    )
    services.tag_person(wang, Tag.LIVING_ALONE, actor=admin, on=date(2024, 1, 1))
    services.tag_person(li, Tag.DISABLED, actor=admin, grade=2, on=date(2024, 1, 1))
    return {
        "wang": wang,
        "li": li,
        "zhao": zhao,
        "h_a": h_a,
        "h_a2": h_a2,
        "h_b": h_b,
        "building_a": b_a,
    }


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_
