"""Create, edit and deactivate pages: who may, within which scope, what is written and what
each bad input says."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from shequ.audit.models import AuditEntry
from shequ.facilities.models import AccessRun, Facility, RunStatus

pytestmark = pytest.mark.django_db

EDITORS = ["admin", "officer_a", "clerk_a"]
READERS = ["leader", "grid_a", "handler"]
DAYS = ["0", "1", "2", "3", "4", "5", "6", "holiday"]


def post_data(facility: Facility | None = None, **changes: Any) -> dict[str, Any]:
    """What the form posts: a good new facility of 泰安社区, or ``facility`` as it is."""
    if facility is None:
        data: dict[str, Any] = {
            "type": "elderly_care",
            "name": "泰安老年助餐点",
            "unit": "220403001001",
            "address": "泰安路3号",
            "lat": "42.9",
            "lon": "125.131",
            "floor_area": "200",
            "activity_area": "150",
            "office_area": "20",
            "commercial_area": "",
            "staff_on_duty": "1",
            "note": "",
            **{f"opens_{d}": "08:00" for d in DAYS[:7]},
            **{f"closes_{d}": "17:00" for d in DAYS[:7]},
            "all_day_holiday": "on",
        }
        rooms = [{"name": "餐厅", "area": "80", "functions": ["meal", "elderly"]}]
    else:

        def text(value: Any) -> str:
            return "" if value is None else str(value)

        data = {
            "type": facility.type.code,
            "name": facility.name,
            "unit": facility.unit.code,
            "address": facility.address,
            "lat": text(facility.lat),
            "lon": text(facility.lon),
            "floor_area": text(facility.floor_area),
            "activity_area": text(facility.activity_area),
            "office_area": text(facility.office_area),
            "commercial_area": text(facility.commercial_area),
            "staff_on_duty": str(facility.staff_on_duty),
            "note": facility.note,
        }
        for h in facility.hours.all():
            if h.all_day:
                data[f"all_day_{h.day}"] = "on"
            else:
                data[f"opens_{h.day}"] = f"{h.opens:%H:%M}"
                data[f"closes_{h.day}"] = f"{h.closes:%H:%M}"
        rooms = [
            {"name": r.name, "area": text(r.area), "functions": list(r.functions)}
            for r in facility.rooms.order_by("name")
        ]
    initial = len(rooms)  # as the page renders it: the facility's rooms, one blank row more
    rooms = changes.pop("rooms", rooms)
    data.update(
        {
            "rooms-TOTAL_FORMS": str(max(len(rooms), initial) + 1),
            "rooms-INITIAL_FORMS": str(initial),
            "rooms-MIN_NUM_FORMS": "0",
            "rooms-MAX_NUM_FORMS": "100",
        }
    )
    for i, room in enumerate(rooms):
        for key, value in room.items():
            data[f"rooms-{i}-{key}"] = value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def writes() -> tuple[int, int, int]:
    return Facility.objects.count(), AuditEntry.objects.count(), AccessRun.objects.count()


# -- create -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", EDITORS)
def test_each_editing_role_creates_a_facility_in_its_scope(login, personas, places, who):
    response = login(personas[who]).post(reverse("facilities:create"), post_data())
    f = Facility.objects.get(name="泰安老年助餐点")
    assert response.status_code == 302 and response["Location"] == f"/facilities/{f.pk}/"
    assert f.unit.code == "220403001001" and f.type.code == "elderly_care"
    assert f.floor_area == 200 and f.activity_area == 150 and f.staff_on_duty == 1
    assert {h.day for h in f.hours.all()} == set(DAYS)
    assert f.hours.get(day="holiday").all_day
    assert [(r.name, r.functions) for r in f.rooms.all()] == [("餐厅", ["meal", "elderly"])]
    entry = AuditEntry.objects.get(action="create", object_id=str(f.pk))
    assert entry.actor == personas[who] and entry.changes["name"] == [None, "泰安老年助餐点"]
    # a located facility asks for walking access to be recomputed, as imports do
    assert AccessRun.objects.filter(status=RunStatus.QUEUED, reason__contains=f.name).exists()


def test_the_new_facility_page_offers_only_units_of_the_scope(login, personas, places):
    html = login(personas["officer_a"]).get(reverse("facilities:create")).content.decode()
    assert 'value="220403001001"' in html and 'value="220403001"' in html
    assert 'value="220403002001"' not in html  # 仙城社区 is another street's
    assert 'value="220403001001001"' not in html  # grids own no facilities


def test_a_unit_outside_the_scope_is_not_found_and_nothing_is_written(login, personas, places):
    before = writes()
    response = login(personas["clerk_a"]).post(
        reverse("facilities:create"), post_data(unit="220403002001")
    )
    assert response.status_code == 404
    assert writes() == before


def test_an_out_of_scope_unit_is_not_found_even_when_other_fields_are_wrong(
    login, personas, places
):
    response = login(personas["clerk_a"]).post(
        reverse("facilities:create"), post_data(unit="220403002001", floor_area="-5")
    )
    assert response.status_code == 404


@pytest.mark.parametrize("who", READERS)
def test_readers_may_not_create(login, personas, places, who):
    client = login(personas[who])
    before = writes()
    assert client.get(reverse("facilities:create")).status_code == 404
    assert client.post(reverse("facilities:create"), post_data()).status_code == 404
    assert writes() == before


# -- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"floor_area": "-1"}, "面积不能为负数。"),
        ({"office_area": "-3"}, "面积不能为负数。"),
        (
            {"activity_area": "150", "office_area": "40", "commercial_area": "20"},
            "活动、办公与商业面积之和（210㎡）超过总建筑面积（200㎡）。",
        ),
        ({"opens_0": "18:00", "closes_0": "09:00"}, "周一的关门时间应晚于开门时间。"),
        (
            {"opens_holiday": "09:00", "closes_holiday": "09:00", "all_day_holiday": None},
            "节假日的关门时间应晚于开门时间。",
        ),
        ({"closes_2": ""}, "周三应同时填写开门和关门时间。"),
        ({"lon": ""}, "纬度和经度应同时填写或同时留空。"),
        ({"lat": "95", "lon": "125"}, "经纬度超出范围（纬度−90～90，经度−180～180）。"),
        ({"staff_on_duty": "-1"}, "值班人数不能为负数。"),
        ({"name": "泰安快递驿站"}, "本单位已有名为“泰安快递驿站”的设施。"),
        ({"rooms": [{"name": "餐厅", "area": "-2"}]}, "功能室“餐厅”的面积不能为负数。"),
        (
            {"rooms": [{"name": "餐厅"}, {"name": "餐厅", "area": "5"}]},
            "功能室名称重复。",
        ),
        ({"rooms": [{"name": "", "functions": ["meal"]}]}, "请填写功能室名称。"),
        ({"name": ""}, "这个字段是必填项。"),
    ],
)
def test_each_bad_input_shows_its_message_and_writes_nothing(
    login, personas, places, changes, message
):
    before = writes()
    response = login(personas["clerk_a"]).post(reverse("facilities:create"), post_data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert writes() == before


def test_a_bad_edit_changes_nothing(login, personas, places):
    comp = places["comp_a"]
    before = writes()
    response = login(personas["clerk_a"]).post(
        reverse("facilities:edit", args=[comp.pk]),
        post_data(comp, activity_area="390", office_area="50"),
    )
    assert response.status_code == 400
    assert "活动、办公与商业面积之和（440㎡）超过总建筑面积（400㎡）。" in response.content.decode()
    comp.refresh_from_db()
    assert comp.activity_area == 300 and writes() == before


# -- edit -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EDITORS)
def test_each_editing_role_edits_a_facility_in_its_scope(login, personas, places, who):
    comp = places["comp_a"]
    client = login(personas[who])
    page = client.get(reverse("facilities:edit", args=[comp.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'value="泰安社区党群服务中心"' in html
    assert 'name="opens_0" value="08:30" aria-label="周一开门"' in html
    assert re.search(r'<input type="checkbox" name="all_day_holiday"[^>]* checked>', html)
    response = client.post(
        reverse("facilities:edit", args=[comp.pk]),
        post_data(comp, name="泰安社区党群服务中心（新址）", floor_area="500", staff_on_duty="3"),
    )
    assert response.status_code == 302
    comp.refresh_from_db()
    assert comp.name == "泰安社区党群服务中心（新址）" and comp.floor_area == 500
    entry = AuditEntry.objects.get(action="update", object_id=str(comp.pk))
    assert entry.actor == personas[who]
    assert entry.changes["floor_area"] == [400.0, 500.0]
    assert entry.changes["staff_on_duty"] == [2, 3]


def test_saving_the_form_unchanged_writes_nothing(login, personas, places):
    from shequ.facilities.models import Room

    comp = places["comp_a"]
    Room.objects.create(facility=comp, name="议事厅", area=80, functions=["meeting", "study"])
    before = writes()
    response = login(personas["clerk_a"]).post(
        reverse("facilities:edit", args=[comp.pk]), post_data(comp)
    )
    assert response.status_code == 302
    assert writes() == before
    assert [(r.name, r.functions) for r in comp.rooms.all()] == [("议事厅", ["meeting", "study"])]


def test_moving_a_facility_asks_for_a_new_access_run(login, personas, places):
    comp = places["comp_a"]
    login(personas["clerk_a"]).post(
        reverse("facilities:edit", args=[comp.pk]), post_data(comp, lon="125.1305")
    )
    assert AccessRun.objects.filter(status=RunStatus.QUEUED).count() == 1


def test_rooms_can_be_removed_and_added(login, personas, places):
    from shequ.facilities.models import Room

    comp = places["comp_a"]
    Room.objects.create(facility=comp, name="议事厅", area=80, functions=["meeting"])
    data = post_data(
        comp,
        rooms=[
            {"name": "议事厅", "area": "80", "functions": ["meeting"], "DELETE": "on"},
            {"name": "阅览室", "area": "40", "functions": ["reading", "study"]},
        ],
    )
    login(personas["clerk_a"]).post(reverse("facilities:edit", args=[comp.pk]), data)
    assert [(r.name, r.functions) for r in comp.rooms.all()] == [("阅览室", ["reading", "study"])]
    entry = AuditEntry.objects.get(action="update", object_id=str(comp.pk))
    assert "rooms" in entry.changes


def test_a_facility_outside_the_scope_cannot_be_edited(login, personas, places):
    comp_b = places["comp_b"]
    client = login(personas["clerk_a"])
    before = writes()
    assert client.get(reverse("facilities:edit", args=[comp_b.pk])).status_code == 404
    response = client.post(
        reverse("facilities:edit", args=[comp_b.pk]), post_data(comp_b, name="改名")
    )
    assert response.status_code == 404
    assert writes() == before


def test_a_facility_cannot_be_moved_to_a_unit_outside_the_scope(login, personas, places):
    comp = places["comp_a"]
    before = writes()
    response = login(personas["officer_a"]).post(
        reverse("facilities:edit", args=[comp.pk]), post_data(comp, unit="220403002001")
    )
    assert response.status_code == 404
    comp.refresh_from_db()
    assert comp.unit.code == "220403001001" and writes() == before


@pytest.mark.parametrize("who", READERS)
def test_readers_may_not_edit_or_deactivate(login, personas, places, who):
    comp = places["comp_a"]
    client = login(personas[who])
    before = writes()
    assert client.get(reverse("facilities:edit", args=[comp.pk])).status_code == 404
    response = client.post(reverse("facilities:edit", args=[comp.pk]), post_data(comp, name="x"))
    assert response.status_code == 404
    response = client.post(reverse("facilities:set_active", args=[comp.pk]), {"active": "0"})
    assert response.status_code == 404
    comp.refresh_from_db()
    assert comp.name == "泰安社区党群服务中心" and comp.active and writes() == before


def test_the_detail_page_checks_follow_the_edit(login, personas, places):
    comp_b = places["comp_b"]
    client = login(personas["clerk_b"])
    url = reverse("facilities:detail", args=[comp_b.pk])
    html = client.get(url).content.decode()
    assert "仅占总面积300㎡的40.0%" in html and "周一仅开放6小时" in html
    hours = {f"opens_{d}": "08:00" for d in DAYS[:7]} | {f"closes_{d}": "17:00" for d in DAYS[:7]}
    response = client.post(
        reverse("facilities:edit", args=[comp_b.pk]),
        post_data(comp_b, activity_area="200", staff_on_duty="2", all_day_holiday="on", **hours),
    )
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "仅占总面积" not in html and "仅开放" not in html and "节假日不开放" not in html
    assert html.count("check check-pass") == 3


# -- links and deactivation -------------------------------------------------------------


def test_links_are_shown_to_those_who_may_edit(login, personas, places):
    comp = places["comp_a"]
    for who, shown in [("clerk_a", True), ("officer_a", True), ("leader", False)]:
        client = login(personas[who])
        listing = client.get(reverse("facilities:index")).content.decode()
        detail = client.get(reverse("facilities:detail", args=[comp.pk])).content.decode()
        assert ('data-testid="new-facility"' in listing) is shown, who
        assert (reverse("facilities:edit", args=[comp.pk]) in detail) is shown, who


def test_deactivating_is_a_soft_delete_that_is_audited(login, personas, places):
    comp = places["comp_a"]
    client = login(personas["clerk_a"])
    response = client.post(reverse("facilities:set_active", args=[comp.pk]), {"active": "0"})
    assert response.status_code == 302
    comp.refresh_from_db()
    assert not comp.active
    assert AuditEntry.objects.get(action="update", object_id=str(comp.pk)).changes == {
        "active": [True, False]
    }
    assert AccessRun.objects.filter(status=RunStatus.QUEUED).count() == 1
    assert (
        "该设施已停用" in client.get(reverse("facilities:detail", args=[comp.pk])).content.decode()
    )
    client.post(reverse("facilities:set_active", args=[comp.pk]), {"active": "1"})
    comp.refresh_from_db()
    assert comp.active


def test_an_edit_keeps_a_deactivated_facility_out_of_use(login, personas, places):
    comp = places["comp_a"]
    comp.active = False
    comp.save()
    login(personas["clerk_a"]).post(
        reverse("facilities:edit", args=[comp.pk]), post_data(comp, address="泰安路8号")
    )
    comp.refresh_from_db()
    assert comp.address == "泰安路8号" and not comp.active


def test_deactivating_outside_the_scope_is_not_found(login, personas, places):
    response = login(personas["clerk_a"]).post(
        reverse("facilities:set_active", args=[places["comp_b"].pk]), {"active": "0"}
    )
    assert response.status_code == 404
    places["comp_b"].refresh_from_db()
    assert places["comp_b"].active
