"""Care fixtures on top of the shared personas and people (shequ/conftest.py).

On 1 March 2026 王秀兰 (87, living alone, grid 1) and 李建国 (65, disabled grade 2, grid 2) are
special-difficulty elderly of 泰安社区; 赵明 (36) of 仙城社区 is nobody's care target.
``grid_a`` is the grid worker 张丽 of grid 1; 刘强 works grid 2 without an account.
"""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from shequ.care import clock

# The browser fixtures live with the web app's tests (used by test_browser_visit.py).
from shequ.web.tests.conftest import browser, phone_page  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def now():
    """It is 15 March 2026, 10:00 in Xi'an; ``now(at(...))`` moves the clock."""
    with clock.frozen(at(2026, 3, 15)) as move:
        yield move


@pytest.fixture
def workers(units, personas):
    from shequ.registry.models import GridRole, Worker

    return {
        "zhang": Worker.objects.create(
            name="张丽",
            unit=units["grid_a"],
            user=personas["grid_a"],
            grid_role=GridRole.GRID_WORKER,
        ),
        "liu": Worker.objects.create(
            name="刘强", unit=units["grid_a2"], grid_role=GridRole.GRID_WORKER
        ),
        "chen": Worker.objects.create(
            name="陈静", unit=units["community_a"], user=personas["clerk_a"]
        ),
    }


@pytest.fixture
def policies(db):
    from shequ.care.services import ensure_default_policies

    ensure_default_policies()


@pytest.fixture
def care(people, workers, policies, now):
    """Targets synced on 1 March 2026 (with their March tasks), clock at 15 March."""
    from shequ.care.models import CareTarget
    from shequ.care.services import sync_targets

    sync_targets(on=date(2026, 3, 1))
    return {
        "target_wang": CareTarget.objects.get(person=people["wang"]),
        "target_li": CareTarget.objects.get(person=people["li"]),
        **people,
        **workers,
    }


@pytest.fixture
def providers(units):
    """幸福里 serves 泰安社区 with 助餐/助洁; 康乐 serves the district with 助浴; each has a
    login."""
    from shequ.accounts.models import Role, User
    from shequ.care.models import Provider

    def provider(name, area, kinds, username):
        p = Provider.objects.create(name=name, area=area, kinds=kinds, phone="0437-3200000")
        user = User.objects.create_user(
            username=username, password=f"pw-{username}-2026", role=Role.LEADER
        )
        p.users.add(user)
        return p, user

    xingfu, xingfu_user = provider(
        "幸福里居家养老服务中心", units["community_a"], ["meal", "clean"], "xingfu"
    )
    kangle, kangle_user = provider("康乐助浴队", units["district"], ["bath"], "kangle")
    return {
        "xingfu": xingfu,
        "kangle": kangle,
        "xingfu_user": xingfu_user,
        "kangle_user": kangle_user,
    }


@pytest.fixture
def orders(care, providers, personas):
    """A meal order for 王秀兰 (幸福里, scheduled) and a bath order for 李建国 (康乐)."""
    from shequ.care import orders as service

    clerk = personas["clerk_a"]
    meal = service.create_order(
        service.OrderInput(
            target_id=care["target_wang"].pk,
            kind="meal",
            provider_id=providers["xingfu"].pk,
            scheduled_on=date(2026, 3, 16),
        ),
        actor=clerk,
    )
    bath = service.create_order(
        service.OrderInput(
            target_id=care["target_li"].pk,
            kind="bath",
            provider_id=providers["kangle"].pk,
            scheduled_on=date(2026, 3, 17),
        ),
        actor=clerk,
    )
    return {"meal": meal, "bath": bath}


_seq = count(20)


@pytest.fixture
def make(personas, units, policies):
    """make(name, unit, started, ended=None, visits=[(day, method)], care_class=...): a
    person with a target and visits written directly, for the rate's known data sets."""
    from django.utils import timezone

    from shequ.care.models import CareTarget, Visit
    from shequ.conftest import id_number
    from shequ.registry import services as registry

    def make(name, unit, started, ended=None, visits=(), care_class="special_elderly"):
        seq = next(_seq)
        person = registry.create_person(
            registry.PersonInput(
                name=name, id_number=id_number(seq, date(1940, 1, 1)), unit_code=units[unit].code
            ),
            actor=personas["admin"],
        )
        target = CareTarget.objects.create(
            person=person,
            care_class=care_class,
            unit=units[unit],
            started_on=started,
            ended_on=ended,
        )
        for day, method in visits:
            Visit.objects.create(
                target=target,
                person=person,
                method=method,
                visited_on=day,
                visited_at=timezone.make_aware(datetime.combine(day, time(10))),
            )
        return target

    return make


@pytest.fixture
def march(make):
    """March 2026: arrivals, departures and methods whose expected rate is worked out by hand
    in test_rate.py."""
    home, phone = "home", "phone"
    return {
        "A": make("甲", "grid_a", date(2025, 6, 1), visits=[(date(2026, 3, 5), home)]),
        "B": make("乙", "grid_a", date(2025, 6, 1), visits=[(date(2026, 3, 5), phone)]),
        "C": make("丙", "grid_a2", date(2026, 3, 20), visits=[(date(2026, 3, 25), home)]),
        "D": make("丁", "grid_a2", date(2026, 3, 28)),
        "E": make(
            "戊", "grid_a", date(2025, 6, 1), date(2026, 3, 10), visits=[(date(2026, 3, 5), home)]
        ),
        "F": make(
            "己", "grid_a", date(2025, 6, 1), date(2026, 3, 10), visits=[(date(2026, 3, 12), home)]
        ),
        "G": make("庚", "grid_a", date(2025, 6, 1), date(2026, 2, 20)),
        "H": make("辛", "grid_a", date(2026, 4, 2)),
        "I": make("壬", "community_b", date(2025, 6, 1)),
        "J": make(
            "癸",
            "grid_a",
            date(2025, 6, 1),
            visits=[(date(2026, 3, 9), "video")],
            care_class="severe_disability",
        ),
        "K": make(
            "子", "grid_a", date(2025, 6, 1), date(2026, 3, 1), visits=[(date(2026, 3, 1), home)]
        ),
    }
