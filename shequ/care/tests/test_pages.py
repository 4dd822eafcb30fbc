"""The care pages: recording from the phone form, the care record, lists at a fixed cost."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from shequ.care.models import ServiceOrder, TaskStatus, Visit, VisitTask
from shequ.care.services import VisitInput, record_visit
from shequ.care.tests.conftest import at

pytestmark = pytest.mark.django_db


def test_the_phone_form_records_a_routine_visit_with_its_defaults(login, personas, care):
    client = login(personas["grid_a"])
    form = client.get(reverse("care:visit", args=[care["wang"].pk]))
    assert form.status_code == 200 and "保存探访" in form.content.decode()
    response = client.post(
        reverse("care:visit", args=[care["wang"].pk]),
        {
            "method": "home",
            "met": "self",
            "living": "good",
            "health": "good",
            "risk": "low",
            "heating": "1",
            "gas": "1",
            "next": reverse("care:mine"),
        },
    )
    assert response.status_code == 302 and response.url == reverse("care:mine")
    visit = Visit.objects.get()
    assert (visit.heating_ok, visit.gas_ok, visit.fall_risk) == (True, True, False)
    assert VisitTask.objects.get(target=care["target_wang"]).status == TaskStatus.DONE


def test_a_future_time_on_the_form_is_refused_with_a_message(login, personas, care):
    client = login(personas["grid_a"])
    response = client.post(
        reverse("care:visit", args=[care["wang"].pk]),
        {
            "method": "home",
            "met": "self",
            "living": "good",
            "health": "good",
            "risk": "low",
            "visited_at": "2026-03-16T09:00",
            "needs": ["meal"],
        },
    )
    assert response.status_code == 400
    assert "探访时间不能晚于当前时间" in response.content.decode()
    assert not Visit.objects.exists() and not ServiceOrder.objects.exists()


def test_the_care_record_shows_visits_orders_and_the_target_in_one_timeline(
    login, personas, care, orders
):
    record_visit(
        VisitInput(
            person_id=care["wang"].pk, visited_at=at(2026, 3, 10), risk="high", follow_up="联系家属"
        ),
        actor=personas["grid_a"],
    )
    response = login(personas["clerk_a"]).get(reverse("care:record", args=[care["wang"].pk]))
    kinds = [item.kind for item in response.context["timeline"]]
    assert kinds == ["order", "visit", "target"]
    page = response.content.decode()
    assert "入户探访 张丽" in page and "助餐" in page and "纳入关爱对象：特殊困难老年人" in page


@pytest.fixture
def located(care, units):
    """王秀兰's building at 42.90 N, 李建国's 5.5 km north of it."""
    from shequ.registry.models import Building, Household

    Building.objects.filter(pk=care["building_a"].pk).update(lat=42.90, lon=125.13)
    north = Building.objects.create(
        unit=units["grid_a2"], number="9号楼", address="泰安路9号", lat=42.95, lon=125.13
    )
    Household.objects.filter(pk=care["h_a2"].pk).update(building=north)
    return care


def _names(tasks):
    return [t.target.person.name for t in tasks]


def test_the_work_list_is_nearest_first_from_the_browsers_position(login, personas, located):
    client = login(personas["clerk_a"])
    near_li = client.get(reverse("care:mine"), {"lat": "42.951", "lon": "125.13"})
    assert _names(near_li.context["work"].pending) == ["李建国", "王秀兰"]
    assert round(near_li.context["work"].pending[0].km, 1) == 0.1
    near_wang = client.get(reverse("care:mine"), {"lat": "42.899", "lon": "125.13"})
    assert _names(near_wang.context["work"].pending) == ["王秀兰", "李建国"]
    # Without a position: by building address.
    assert _names(client.get(reverse("care:mine")).context["work"].pending) == ["王秀兰", "李建国"]


def test_the_work_list_puts_overdue_first(login, personas, located, now):
    from shequ.care.services import generate_visit_tasks

    now(at(2026, 4, 5))
    generate_visit_tasks(on=date(2026, 4, 1))
    record_visit(
        VisitInput(person_id=located["wang"].pk, visited_at=at(2026, 4, 1)), actor=personas["admin"]
    )
    # 李建国 has had no visit since he became a target on 1 March: over 30 days.
    work = (
        login(personas["clerk_a"])
        .get(reverse("care:mine"), {"lat": "42.899", "lon": "125.13"})
        .context["work"]
    )
    assert _names(work.overdue) == ["李建国"] and _names(work.pending) == []
    page = login(personas["clerk_a"]).get(reverse("care:overdue"))
    assert [t.target.person.name for t in page.context["page"]] == ["李建国"]


@pytest.mark.parametrize("name", ["mine", "targets", "rate", "overdue", "orders", "index"])
def test_lists_cost_a_fixed_number_of_queries(
    login, personas, care, orders, name, django_assert_max_num_queries
):
    client = login(personas["admin"])
    with django_assert_max_num_queries(25):
        assert client.get(reverse(f"care:{name}")).status_code in (200, 302)


def test_policies_are_edited_on_the_page_by_the_district(login, personas, policies):
    from shequ.care.models import VisitPolicy

    winter = VisitPolicy.objects.get(name="冬季每周探访")
    response = login(personas["admin"]).post(
        reverse("care:policy_edit", args=[winter.pk]),
        {
            "care_class": "special_elderly",
            "name": "冬季每周探访",
            "months": ["11", "12", "1"],
            "period": "week",
            "min_visits": "1",
            "methods": ["phone"],
            "visitor_role": "grid_worker",
            "active": "on",
        },
    )
    assert response.status_code == 302
    winter.refresh_from_db()
    assert (winter.months, winter.methods, winter.active) == ([1, 11, 12], ["home", "phone"], True)
