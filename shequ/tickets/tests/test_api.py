"""The tickets API: public intake and follow-up, scoped lists, transitions answering 409."""

from __future__ import annotations

import json

import pytest

from shequ.tickets.models import Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

BODY = {
    "text": "小区3号楼电梯坏了一周了，老人上下楼很困难",
    "category": "property",
    "name": "王秀兰",
    "phone": "13804371234",
    "unit_code": "220403001001001",
}


def post(client, url, body=None, **headers):
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


@pytest.fixture
def ticket(file_ticket):
    return file_ticket(category="property")


# ----------------------------------------------------------------- public


def test_a_resident_files_without_an_account_and_follows_with_the_link(client, clock, personas):
    response = post(client, "/api/tickets/public", BODY)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "dispatched" and body["created"] is True
    token = body["follow_url"].split("t=")[1]
    view = client.get(f"/api/tickets/track/{body['number']}", {"token": token}).json()
    assert view["assigned_unit_name"] == "区住建局" and view["may_rate"] is False
    assert "13804371234" not in json.dumps(view) and "王秀兰" not in json.dumps(view)


def test_posting_twice_returns_the_first_ticket(client, clock, personas):
    first = post(client, "/api/tickets/public", BODY, HTTP_IDEMPOTENCY_KEY="k-1").json()
    again = post(client, "/api/tickets/public", BODY, HTTP_IDEMPOTENCY_KEY="k-1")

    assert again.status_code == 200 and again.json()["number"] == first["number"]
    assert again.json()["follow_url"] is None
    assert Ticket.objects.count() == 1


def test_one_phone_files_a_limited_number_a_day(client, clock, personas, settings):
    """The public channels take a set number of new requests per phone in 24 hours; the
    next answers 429 and stores nothing. A repeat still finds its ticket, another phone and
    the staff at the window file as before (and what they file is not counted), and the
    next day the phone files again."""
    from django.http import HttpResponse
    from django.test import Client

    from shequ.tickets.models import Notification
    from shequ.tickets.tests.conftest import beijing

    def public(text: str, **body) -> HttpResponse:
        return post(client, "/api/tickets/public", {**BODY, "text": text, **body})

    def at_window(text: str) -> HttpResponse:
        return post(clerk, "/api/tickets", {**BODY, "text": text, "channel": "window"})

    settings.TICKET_PUBLIC_DAILY_LIMIT = 3
    clerk = Client()
    clerk.force_login(personas["clerk_a"])
    assert at_window("在窗口反映：楼道灯坏了").status_code == 201
    for i in range(3):
        assert public(f"第{i}件：楼道灯坏了").status_code == 201
    tickets, outbox = Ticket.objects.count(), Notification.objects.count()

    refused = public("第四件：井盖破损很危险")
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many" and "12345" in refused.json()["message"]
    assert (Ticket.objects.count(), Notification.objects.count()) == (tickets, outbox)

    repeat = public("第0件：楼道灯坏了")
    assert repeat.status_code == 200 and repeat.json()["created"] is False
    assert public("第四件：井盖破损很危险", phone="13900001111").status_code == 201
    assert at_window("第四件：井盖破损很危险").status_code == 201

    clock(beijing(2025, 9, 3, 10, 1))  # 24 hours and a minute later
    assert public("第二天：井盖还没修").status_code == 201
    settings.TICKET_PUBLIC_DAILY_LIMIT = 0  # no limit
    for i in range(4):
        assert public(f"又一件{i}：路灯不亮").status_code == 201


@pytest.mark.parametrize(
    "body,status,code",
    [
        ("{not json", 400, None),
        (json.dumps({**BODY, "category": "nope"}), 400, "unknown_category"),
        (json.dumps({**BODY, "text": "短"}), 400, "invalid"),
        (json.dumps({**BODY, "channel": "hotline"}), 403, "forbidden"),
        (json.dumps({**BODY, "lat": "north"}), 422, "validation_error"),
    ],
)
def test_bad_public_input_changes_nothing(client, clock, personas, body, status, code):
    response = client.post("/api/tickets/public", body, content_type="application/json")
    assert response.status_code == status
    if code:
        assert response.json()["code"] == code
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0


def test_the_follow_up_needs_the_secret(client, ticket):
    response = client.get(f"/api/tickets/track/{ticket.number}", {"token": "nope"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_resident_rates_through_the_link(client, clock, personas):
    body = post(client, "/api/tickets/public", BODY).json()
    token = body["follow_url"].split("t=")[1]
    ticket = Ticket.objects.get(number=body["number"])
    from shequ.tickets import services

    services.resolve(
        services.accept(ticket, actor=personas["handler"]),
        actor=personas["handler"],
        text="电梯已修复，感谢监督",
    )

    response = post(
        client,
        f"/api/tickets/track/{ticket.number}/rate",
        {"token": token, "satisfaction": "satisfied", "solved": True},
    )

    assert response.status_code == 200 and response.json()["status"] == "closed"
    again = post(
        client,
        f"/api/tickets/track/{ticket.number}/rate",
        {"token": token, "satisfaction": "unsatisfied", "solved": False},
    )
    assert again.status_code == 409


def test_the_catalogue_is_public(client, db):
    names = [c["name"] for c in client.get("/api/tickets/categories").json()]
    assert {"物业管理", "供暖", "养老服务", "政务咨询"} <= set(names)


# ------------------------------------------------------------------- staff


@pytest.mark.parametrize(
    "url", ["/api/tickets", "/api/tickets/1", "/api/tickets/rates?month=2025-09"]
)
def test_staff_operations_need_a_login(client, db, url):
    assert client.get(url).status_code == 401


def test_a_clerk_files_a_window_request(login, clock, personas):
    response = post(
        login(personas["clerk_a"]),
        "/api/tickets",
        {**BODY, "channel": "window", "category": "elderly", "text": "独居老人申请助餐服务"},
    )
    assert response.status_code == 201
    assert response.json()["channel"] == "window"
    assert response.json()["contact_phone"] == "138****1234"


@pytest.mark.parametrize(
    "persona,count",
    [
        ("clerk_a", 1),
        ("officer_a", 1),
        ("admin", 1),
        ("handler", 1),
        ("grid_a", 1),
        ("clerk_b", 0),
        ("leader", 1),
    ],
)
def test_every_persona_lists_its_scope(login, ticket, personas, persona, count):
    body = login(personas[persona]).get("/api/tickets").json()
    assert len(body["items"]) == count


def test_a_handler_of_another_department_sees_nothing(login, ticket, db):
    from shequ.accounts.models import Department, Role, User

    other = User.objects.create_user(
        "mz", role=Role.DEPARTMENT_HANDLER, department=Department.objects.get(code="mzj")
    )
    client = login(other)
    assert client.get("/api/tickets").json()["items"] == []
    assert client.get(f"/api/tickets/{ticket.pk}").status_code == 404
    assert post(client, f"/api/tickets/{ticket.pk}/accept").status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == Status.DISPATCHED


def test_the_list_filters_and_pages(
    login, file_ticket, personas, clock, django_assert_max_num_queries
):
    from shequ.tickets.tests.conftest import beijing

    for i in range(7):
        file_ticket(f"第{i}个电梯故障诉求内容", category="property")
    heating = file_ticket("家里暖气不热怎么办", category="heating")
    from shequ.tickets import services

    services.accept(heating, actor=personas["handler"])  # and due within 24 hours
    clock(beijing(2025, 9, 3, 9, 0))  # the seven others wait past their acceptance deadline
    client = login(personas["admin"])

    with django_assert_max_num_queries(6):
        page = client.get("/api/tickets", {"page_size": 5}).json()
    assert len(page["items"]) == 5 and page["has_next"] is True
    from shequ.tickets.api import TicketItem, TicketPage

    TicketPage.model_validate(page)  # the hand-encoded rows keep the declared shape
    assert set(page["items"][0]) == set(TicketItem.model_fields)
    heating, lift = page["items"][:2]  # newest first
    assert heating["assigned_unit_name"] == "区住建局" and heating["overdue"] is False
    assert lift["overdue"] is True and lift["status_label"] == "已派单"
    assert client.get("/api/tickets", {"page_size": 5, "page": 2}).json()["has_next"] is False
    assert len(client.get("/api/tickets", {"category": "heating"}).json()["items"]) == 1
    assert len(client.get("/api/tickets", {"overdue": True}).json()["items"]) == 7
    assert len(client.get("/api/tickets", {"status": "dispatched"}).json()["items"]) == 7
    assert len(client.get("/api/tickets", {"created_from": "2025-09-03"}).json()["items"]) == 0
    assert len(client.get("/api/tickets", {"area": "220403002"}).json()["items"]) == 0


def test_a_list_row_says_what_the_detail_says(login, file_ticket, personas, clock):
    """The list writes rows straight from the driver: its times, units and overdue flag must
    equal those of the detail, which goes through the schema and Django's encoder."""
    from shequ.tickets import services
    from shequ.tickets.tests.conftest import beijing

    clock(beijing(2025, 9, 1, 10, 30, 15, 250999))
    late = file_ticket("电梯坏了一周没人修", category="property")
    clock(beijing(2025, 9, 1, 11, 0))
    on_time = file_ticket("家里暖气不热怎么办", category="heating")
    services.accept(on_time, actor=personas["handler"])
    clock(beijing(2025, 9, 1, 15, 0))  # past the lift's two working hours to accept
    client = login(personas["admin"])
    rows = client.get("/api/tickets").json()["items"]
    assert [r["id"] for r in rows] == [on_time.pk, late.pk]
    for row in rows:
        detail = client.get(f"/api/tickets/{row['id']}").json()
        for key in ("created_at", "accept_due", "answer_due", "overdue", "assigned_unit_name"):
            assert row[key] == detail[key], key
    assert [r["overdue"] for r in rows] == [False, True]
    # An overdue list reads longest overdue first.
    overdue = client.get("/api/tickets", {"overdue": True}).json()["items"]
    assert [r["id"] for r in overdue] == [late.pk]


def test_detail_shows_the_timeline_and_the_allowed_actions(login, ticket, personas):
    body = login(personas["handler"]).get(f"/api/tickets/{ticket.pk}").json()
    assert [e["action"] for e in body["events"]] == ["submit", "dispatch"]
    assert body["actions"] == ["accept", "return"]
    assert body["accept_due"] and body["answer_due"]


def test_a_clerk_of_another_community_gets_404(login, ticket, personas):
    client = login(personas["clerk_b"])
    response = client.get(f"/api/tickets/{ticket.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert post(client, f"/api/tickets/{ticket.pk}/escalate", {"note": "x"}).status_code == 404


def test_a_transition_that_is_not_allowed_answers_409_and_changes_nothing(login, ticket, personas):
    client = login(personas["handler"])
    assert post(client, f"/api/tickets/{ticket.pk}/accept").status_code == 200
    events = TicketEvent.objects.count()

    response = post(client, f"/api/tickets/{ticket.pk}/accept")

    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    assert "不能签收" in response.json()["message"]
    assert TicketEvent.objects.count() == events


def test_a_party_not_entitled_gets_403(login, ticket, personas):
    response = post(
        login(personas["leader"]), f"/api/tickets/{ticket.pk}/escalate", {"note": "超时"}
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == Status.DISPATCHED


def test_return_needs_a_reason_then_the_dispatcher_redispatches(login, ticket, personas):
    handler = login(personas["handler"])
    assert post(handler, f"/api/tickets/{ticket.pk}/return", {"reason": " "}).status_code == 400
    response = post(handler, f"/api/tickets/{ticket.pk}/return", {"reason": "属应急局职责"})
    assert response.json()["status"] == "returned"

    from shequ.tickets.models import ResponsibleUnit

    yjj = ResponsibleUnit.objects.get(department__code="yjj")
    officer = login(personas["officer_a"])
    response = post(
        officer, f"/api/tickets/{ticket.pk}/dispatch", {"unit_id": yjj.pk, "reason": "消防通道问题"}
    )
    assert response.status_code == 200
    assert response.json()["assigned_unit_name"] == "区应急局"
    assert "改派" in response.json()["events"][-1]["note"]


def test_resolve_and_callback_rating(login, ticket, personas):
    handler = login(personas["handler"])
    post(handler, f"/api/tickets/{ticket.pk}/accept")
    body = post(handler, f"/api/tickets/{ticket.pk}/resolve", {"text": "已修复"}).json()
    assert body["code"] == "invalid"  # too short
    body = post(handler, f"/api/tickets/{ticket.pk}/resolve", {"text": "电梯已修复运行"}).json()
    assert body["status"] == "resolved" and body["answers"][0]["unit"] == "区住建局"
    officer = login(personas["officer_a"])
    body = post(
        officer, f"/api/tickets/{ticket.pk}/rate", {"satisfaction": "basic", "solved": True}
    ).json()
    assert body["status"] == "closed" and body["ratings"][0]["satisfaction"] == "basic"


def test_duplicates_and_merge(login, file_ticket, personas, people):
    building = people["building_a"].pk
    first = file_ticket("1号楼电梯坏了", category="property", building_id=building)
    second = file_ticket(
        "1号楼电梯停了", category="property", building_id=building, phone="13900000000"
    )
    client = login(personas["officer_a"])

    found = client.get(f"/api/tickets/{second.pk}/duplicates").json()
    assert [d["number"] for d in found] == [first.number]
    body = post(client, f"/api/tickets/{second.pk}/merge", {"into": first.pk}).json()
    assert body["status"] == "closed" and body["merged_into"] == first.number


def test_rates_and_their_excel(login, ticket, personas):
    client = login(personas["admin"])
    rows = client.get("/api/tickets/rates", {"month": "2025-09"}).json()
    assert rows[0]["unit"] == "区住建局" and rows[0]["dispatched"] == 1
    response = client.get("/api/tickets/rates.xlsx", {"month": "2025-09"})
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert client.get("/api/tickets/rates", {"month": "九月"}).status_code == 400


def test_hotspots_answer_for_the_street(login, ticket, personas):
    assert login(personas["officer_a"]).get("/api/tickets/hotspots").json() == []


@pytest.mark.parametrize("micro", [0, 100000, 400, 250999])
def test_list_times_are_written_as_django_writes_them(micro):
    """Both databases' UTC text (SQLite's six decimals or none, PostgreSQL's without
    trailing zeros) become the JSON Django's encoder writes for the same time."""
    from datetime import UTC, datetime

    from django.core.serializers.json import DjangoJSONEncoder

    from shequ.tickets.queries import json_time

    moment = datetime(2026, 11, 28, 10, 0, 0, micro, tzinfo=UTC)
    sqlite_text = str(moment.replace(tzinfo=None))
    postgres_text = sqlite_text.rstrip("0").rstrip(".") if micro else sqlite_text
    expected = DjangoJSONEncoder().default(moment)
    assert json_time(sqlite_text) == expected
    assert json_time(postgres_text) == expected
