"""The three rates on a known month, the ranking and its Excel export; hotspots."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from shequ.tickets import hotspots, rates, services
from shequ.tickets.tests.conftest import beijing
from shequ.tickets.workflow import RESIDENT_ACTOR

pytestmark = pytest.mark.django_db

SEPTEMBER = date(2025, 9, 1)


@pytest.fixture
def september(file_ticket, personas, clock):
    """区住建局: 5 dispatches (4 + one 重办), 4 accepted on time; 4 ratings: 2 solved,
    3 (basically) satisfied. 太安街道: 1 dispatch on time, 1 satisfied and solved."""
    handler, officer = personas["handler"], personas["officer_a"]
    tickets = [file_ticket(f"第{i}号楼电梯故障，请尽快维修", category="property") for i in range(4)]
    street = file_ticket("小区门口垃圾好几天没人清运了", category="sanitation")

    clock(beijing(2025, 9, 2, 10, 30))  # accept by 12:00
    for t in tickets[:3]:
        services.accept(t, actor=handler)
    services.accept(street, actor=officer)
    clock(beijing(2025, 9, 2, 14, 0))  # late
    services.accept(tickets[3], actor=handler)

    clock(beijing(2025, 9, 5, 9, 0))
    for t in tickets:
        services.resolve(t, actor=handler, text="已协调物业维修完毕")
    services.resolve(street, actor=officer, text="已安排环卫清运完毕")
    for t, (how, solved) in zip(
        tickets,
        [("satisfied", True), ("basic", True), ("basic", False), ("unsatisfied", False)],
        strict=True,
    ):
        services.rate(t, actor=RESIDENT_ACTOR, satisfaction=how, solved=solved)
    services.rate(street, actor=RESIDENT_ACTOR, satisfaction="satisfied", solved=True)

    clock(beijing(2025, 9, 5, 9, 30))  # the 重办 is accepted on time
    services.accept(tickets[3], actor=handler)
    clock(beijing(2025, 10, 9, 9, 0))  # October belongs to another month
    file_ticket("十月份的新诉求内容", category="property", phone="13700000000")
    return tickets


def test_the_three_rates_of_a_department_and_a_street(
    september, personas, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        rows = rates.monthly_rates(SEPTEMBER, user=personas["admin"])

    by_name = {r.unit.name: r for r in rows}
    zjj = by_name["区住建局"]
    assert (zjj.dispatched, zjj.responded, zjj.rated, zjj.solved, zjj.satisfied) == (5, 4, 4, 2, 3)
    assert (zjj.response_rate, zjj.resolution_rate, zjj.satisfaction_rate) == (0.8, 0.5, 0.75)
    assert zjj.score == pytest.approx(0.1 * 0.8 + 0.45 * 0.5 + 0.45 * 0.75)
    street = by_name["太安街道"]
    assert (street.response_rate, street.resolution_rate, street.satisfaction_rate) == (1, 1, 1)
    assert [r.unit.name for r in rows] == ["太安街道", "区住建局"]
    assert [r.rank for r in rows] == [1, 2]


def test_a_month_counts_only_its_own_dispatches(september, personas):
    october = rates.monthly_rates(date(2025, 10, 1), user=personas["admin"])
    assert [(r.unit.name, r.dispatched, r.rated) for r in october] == [("区住建局", 1, 0)]


def test_rates_filter_by_kind(september, personas):
    rows = rates.monthly_rates(SEPTEMBER, user=personas["admin"], kind="department")
    assert [r.unit.name for r in rows] == ["区住建局"]
    rows = rates.monthly_rates(SEPTEMBER, user=personas["admin"], kind="street")
    assert [r.unit.name for r in rows] == ["太安街道"]


def test_a_street_is_ranked_with_its_communities_as_a_territory(september, personas, units):
    """The street's own unit counts what was dispatched to the street; its territory adds
    its communities' (here 泰安社区: one late acceptance, one rating basically satisfied
    but not solved)."""
    from shequ.tickets.models import Category, ResponsibleUnit, RoutingRule

    community = ResponsibleUnit.objects.create(admin_unit=units["community_a"])
    RoutingRule.objects.create(
        category=Category.objects.get(code="sanitation"),
        unit_prefix=units["community_a"].code,
        responsible_unit=community,
    )
    clock = services.clock
    with clock.frozen(beijing(2025, 9, 10, 10, 0)) as move:
        ticket = services.intake(
            services.IntakeInput(
                text="楼下垃圾桶满了一直没人清运",
                category="sanitation",
                phone="13911112222",
                unit_code="220403001001001",
            ),
            actor=None,
        ).ticket
        assert ticket.assigned_unit_id == community.pk
        move(beijing(2025, 9, 10, 15, 0))  # due by 12:00
        services.accept(ticket, actor=personas["clerk_a"])  # 泰安社区's clerk
        services.resolve(ticket, actor=personas["clerk_a"], text="已安排清运完毕")
        services.rate(ticket, actor=RESIDENT_ACTOR, satisfaction="basic", solved=False)

    own = {r.unit.name: r for r in rates.monthly_rates(SEPTEMBER, user=personas["admin"])}
    street_name = next(n for n in own if n.endswith("街道"))
    assert own[street_name].dispatched == 1
    rows = rates.monthly_rates(SEPTEMBER, user=personas["admin"], kind="territory")
    assert [r.unit.name for r in rows] == [street_name]
    (territory,) = rows
    assert (territory.dispatched, territory.responded) == (2, 1)
    assert (territory.rated, territory.solved, territory.satisfied) == (2, 1, 2)
    assert (territory.response_rate, territory.resolution_rate, territory.satisfaction_rate) == (
        0.5,
        0.5,
        1.0,
    )


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("officer_a", ["太安街道"]),  # her street, not the district's departments
        ("handler", ["区住建局"]),  # her department only
        ("clerk_b", []),  # another street's community
        ("leader", ["太安街道", "区住建局"]),
    ],
)
def test_each_persona_sees_the_rates_of_her_scope(september, personas, persona, expected):
    rows = rates.monthly_rates(SEPTEMBER, user=personas[persona])
    assert [r.unit.name for r in rows] == expected


def test_the_ranking_exports_to_excel(september, personas):
    from openpyxl import load_workbook

    rows = rates.monthly_rates(SEPTEMBER, user=personas["admin"])
    book = load_workbook(io.BytesIO(rates.export_xlsx(rows, SEPTEMBER)))
    sheet = book.active
    assert sheet["B3"].value == "太安街道" and sheet["B4"].value == "区住建局"
    assert (sheet["F4"].value, sheet["I4"].value, sheet["K4"].value) == (80.0, 50.0, 75.0)


# ---------------------------------------------------------------- hotspots


def test_a_grid_whose_sanitation_reports_jump_is_a_hotspot_for_its_street(
    file_ticket, personas, clock, django_assert_max_num_queries
):
    monday = beijing(2025, 9, 1, 9, 0)
    # 第二网格: a steady 3 a week for nine weeks — no rise.
    for week in range(9):
        for i in range(3):
            clock(monday - timedelta(weeks=week) + timedelta(hours=i))
            file_ticket(
                f"第二网格垃圾桶满了没人清{week}-{i}",
                category="sanitation",
                unit="220403001001002",
                phone=f"13900{week:03d}{i:03d}",  # residents of the grid, not one phone
            )
    # 第一网格: nothing for eight weeks, then four reports this week.
    for i in range(4):
        clock(monday + timedelta(hours=i))
        file_ticket(f"第一网格小广场垃圾堆积{i}", category="sanitation")
    clock(beijing(2025, 9, 3, 9, 0))

    with django_assert_max_num_queries(6):
        found = hotspots.hotspots(personas["officer_a"], weeks=1)

    assert [(h.unit_name, h.category.name, h.week, h.count) for h in found] == [
        ("泰安社区第一网格", "环境卫生", date(2025, 9, 1), 4)
    ]
    assert len(found[0].tickets) == 4 and found[0].baseline_mean == 0
    assert hotspots.hotspots(personas["clerk_b"], weeks=1) == []
