"""The ticket pages: the resident's submission and follow-up without an account, staff lists
and detail limited by scope, actions refused with a message, fixed query counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shequ.audit.models import ClearRead
from shequ.tickets import services
from shequ.tickets.models import CalendarDay, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

FORM = {
    "text": "小区3号楼电梯坏了一周了，老人上下楼很困难",
    "category": "property",
    "name": "王秀兰",
    "phone": "13804371234",
    "unit_code": "220403001001",
    "idempotency_key": "form-1",
}
LIST_PAGES = ["tickets:queue", "tickets:inbox", "tickets:overdue", "tickets:all"]


@pytest.fixture
def ticket(file_ticket):
    return file_ticket(category="property")


# ------------------------------------------------------------- residents


def test_a_resident_submits_from_a_phone_and_gets_a_tracking_number(client, clock, personas):
    assert client.get(reverse("tickets:submit")).status_code == 200

    response = client.post(
        reverse("tickets:submit"), FORM, HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Mobile"
    )

    ticket = Ticket.objects.get()
    assert ticket.channel == "mobile" and ticket.status == Status.DISPATCHED
    html = response.content.decode()
    assert ticket.number in html and "/tickets/track/" in html
    assert response.context["follow_url"].startswith("http://testserver/tickets/track/")


def test_pressing_submit_twice_stores_one_request(client, clock, personas):
    client.post(reverse("tickets:submit"), FORM)
    response = client.post(reverse("tickets:submit"), FORM)
    assert Ticket.objects.count() == 1
    assert "已经提交过" in response.content.decode()


def test_pressing_submit_twice_is_told_in_the_chosen_language(client, clock, personas, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(reverse("tickets:submit"), FORM)
    body = client.post(reverse("tickets:submit"), FORM).content.decode()
    assert Ticket.objects.count() == 1
    assert "This request was submitted a moment ago; here is the original request." in body
    assert "这条诉求刚刚已经提交过" not in body


def test_a_phone_over_its_daily_number_is_told_where_else_to_go(client, clock, personas, settings):
    settings.TICKET_PUBLIC_DAILY_LIMIT = 1
    client.post(reverse("tickets:submit"), FORM)
    again = {**FORM, "text": "楼下井盖破损，晚上很危险", "idempotency_key": "form-2"}
    response = client.post(reverse("tickets:submit"), again)
    assert response.status_code == 200 and Ticket.objects.count() == 1
    assert "24小时内最多可提交1件诉求" in response.content.decode()


def test_bad_input_on_the_page_shows_a_message_and_stores_nothing(client, clock, personas):
    response = client.post(reverse("tickets:submit"), {**FORM, "phone": "12345"})
    assert response.status_code == 200
    assert "电话号码格式不正确" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_photos_are_uploaded_with_the_request(client, clock, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    png = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40, "image/png")
    client.post(reverse("tickets:submit"), {**FORM, "photos": [png]})
    assert Ticket.objects.get().photos.count() == 1


def test_the_extra_questions_of_a_category_come_as_a_partial(client, db):
    html = client.get(reverse("tickets:questions"), {"category": "safety"}).content.decode()
    assert "是否有人员正处于危险中" in html and "required" in html


def test_the_resident_follows_and_rates_with_the_link(client, clock, personas):
    result = services.intake(
        services.IntakeInput(
            text=FORM["text"], category="property", phone=FORM["phone"], unit_code=FORM["unit_code"]
        ),
        actor=None,
    )
    url = result.follow_path
    handler = personas["handler"]
    services.resolve(
        services.accept(result.ticket, actor=handler),
        actor=handler,
        text="电梯已修复，感谢您的反映",
    )

    page = client.get(url)
    assert page.status_code == 200 and "电梯已修复" in page.content.decode()
    assert page["Cache-Control"] == "no-store"

    token = url.split("t=")[1]
    client.post(
        reverse("tickets:track", args=[result.ticket.number]),
        {"t": token, "satisfaction": "basic", "solved": "yes"},
    )
    assert Ticket.objects.get(pk=result.ticket.pk).status == Status.CLOSED


def test_the_follow_up_page_without_the_secret_is_404(client, ticket):
    assert client.get(reverse("tickets:track", args=[ticket.number])).status_code == 404
    assert (
        client.get(reverse("tickets:track", args=[ticket.number]), {"t": "guess"}).status_code
        == 404
    )


def test_anonymous_visitors_land_on_the_public_page(client, db):
    response = client.get(reverse("tickets:index"))
    assert response.status_code == 200 and "我要反映问题" in response.content.decode()


# ------------------------------------------------------------------ staff


@pytest.mark.parametrize("name", [*LIST_PAGES, "tickets:rates", "tickets:hotspots", "tickets:new"])
def test_staff_pages_need_a_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("name", LIST_PAGES)
@pytest.mark.parametrize(
    "persona,sees",
    [
        ("admin", True),
        ("officer_a", True),
        ("clerk_a", True),
        ("handler", True),
        ("clerk_b", False),
        ("grid_a", True),
        ("leader", True),
    ],
)
def test_list_pages_show_only_the_scope(login, ticket, personas, name, persona, sees, clock):
    from shequ.tickets.tests.conftest import beijing

    clock(beijing(2025, 9, 3, 9, 0))  # overdue, so it is on the overdue list too
    if name == "tickets:queue":
        services.escalate_overdue()  # …and in the queue as 督办
    page = login(personas[persona]).get(reverse(name))
    assert page.status_code == 200
    shown = ticket.number in page.content.decode()
    if name == "tickets:inbox":
        sees = persona == "handler"  # only the assigned unit's inbox
    assert shown is sees


@pytest.mark.parametrize("name", LIST_PAGES)
def test_list_pages_cost_a_fixed_number_of_queries(
    login, file_ticket, personas, clock, name, django_assert_max_num_queries
):
    from shequ.tickets.tests.conftest import beijing

    for i in range(40):  # 30 dispatched to 区住建局, 10 waiting for a dispatcher
        file_ticket(
            f"第{i}件关于电梯的诉求",
            category="property" if i % 4 else None,
            phone=f"1380437{i:04d}",  # forty residents (one may file ten a day)
        )
    clock(beijing(2025, 9, 3, 9, 0))
    client = login(personas["admin"] if name != "tickets:inbox" else personas["handler"])
    with django_assert_max_num_queries(14):
        response = client.get(reverse(name), {"page": 1})
    assert response.status_code == 200
    rows = {"tickets:queue": 10, "tickets:inbox": 25, "tickets:overdue": 25, "tickets:all": 25}
    assert len(response.context["page"].object_list) == rows[name]


def test_lists_filter_by_state_category_date_and_overdue(login, file_ticket, personas, clock):
    from shequ.tickets.tests.conftest import beijing

    lift = file_ticket(category="property")
    heat = file_ticket("家里暖气不热，请尽快处理", category="heating")
    services.accept(heat, actor=personas["handler"])
    clock(beijing(2025, 9, 3, 9, 0))
    client = login(personas["admin"])

    def numbers(**params):
        page = client.get(reverse("tickets:all"), params).context["page"]
        return {t.number for t in page}

    assert numbers(status="accepted") == {heat.number}
    assert numbers(category="property") == {lift.number}
    assert numbers(overdue="1") == {lift.number}
    assert numbers(overdue="0") == {heat.number}
    assert numbers(created_from="2025-09-03") == set()
    assert numbers(area="220403002") == set()


def test_detail_404_outside_scope(login, ticket, personas):
    url = reverse("tickets:detail", args=[ticket.pk])
    assert login(personas["clerk_b"]).get(url).status_code == 404
    page = login(personas["handler"]).get(url)
    assert page.status_code == 200 and "流转记录" in page.content.decode()


def test_a_handler_accepts_and_answers_from_the_detail_page(login, ticket, personas):
    client = login(personas["handler"])
    response = client.post(reverse("tickets:act", args=[ticket.pk, "accept"]), follow=True)
    assert "已签收" in response.content.decode()
    client.post(
        reverse("tickets:act", args=[ticket.pk, "resolve"]), {"text": "已督促物业公司更换配件"}
    )
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def test_an_action_not_allowed_shows_a_message_and_changes_nothing(login, ticket, personas):
    client = login(personas["handler"])
    client.post(reverse("tickets:act", args=[ticket.pk, "accept"]))
    events = TicketEvent.objects.count()

    response = client.post(reverse("tickets:act", args=[ticket.pk, "accept"]), follow=True)

    assert "不能签收" in response.content.decode()
    assert TicketEvent.objects.count() == events


def test_an_out_of_scope_action_is_404(login, ticket, personas):
    response = login(personas["clerk_b"]).post(
        reverse("tickets:act", args=[ticket.pk, "escalate"]), {"note": "x"}
    )
    assert response.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == Status.DISPATCHED


def test_a_dispatcher_returns_redispatches_and_merges_from_the_page(
    login, file_ticket, personas, people
):
    from shequ.tickets.models import ResponsibleUnit

    building = people["building_a"].pk
    first = file_ticket("1号楼电梯坏了", category="property", building_id=building)
    second = file_ticket(
        "1号楼电梯又停了", category=None, building_id=building, phone="13900000000"
    )
    officer = login(personas["officer_a"])
    page = officer.get(reverse("tickets:detail", args=[second.pk]))
    assert [d.ticket for d in page.context["duplicates"]] == [first]

    officer.post(reverse("tickets:act", args=[second.pk, "merge"]), {"into": first.pk})
    assert Ticket.objects.get(pk=second.pk).merged_into == first

    login(personas["handler"]).post(
        reverse("tickets:act", args=[first.pk, "return"]), {"note": "属应急局职责"}
    )
    yjj = ResponsibleUnit.objects.get(department__code="yjj")
    officer = login(personas["officer_a"])  # one test client: log the officer back in
    officer.post(
        reverse("tickets:act", args=[first.pk, "dispatch"]), {"unit": yjj.pk, "note": "消防通道"}
    )
    assert Ticket.objects.get(pk=first.pk).assigned_unit == yjj


def test_the_handler_reads_the_contact_in_clear_and_it_is_logged(login, ticket, personas):
    response = login(personas["handler"]).post(
        reverse("tickets:reveal", args=[ticket.pk]), {"reason": "回访核实"}
    )
    assert "13804371234" in response.content.decode()
    assert ClearRead.objects.filter(object_id=str(ticket.pk), reason="回访核实").count() == 1
    assert (
        login(personas["clerk_b"])
        .post(reverse("tickets:reveal", args=[ticket.pk]), {"reason": "x"})
        .status_code
        == 404
    )


def test_a_clerk_files_at_the_window(login, clock, personas):
    client = login(personas["clerk_a"])
    response = client.post(reverse("tickets:new"), {**FORM, "channel": "window"})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.created_by == personas["clerk_a"]


def test_photos_are_served_only_in_scope_or_with_the_link(
    client, login, clock, personas, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    png = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40, "image/png")
    result = services.intake(
        services.IntakeInput(
            text=FORM["text"],
            category="property",
            phone=FORM["phone"],
            unit_code=FORM["unit_code"],
            photos=[png],
        ),
        actor=None,
    )
    photo = result.ticket.photos.get()
    url = reverse("tickets:photo", args=[photo.pk])
    token = result.follow_path.split("t=")[1]

    assert login(personas["clerk_a"]).get(url).status_code == 200
    assert login(personas["clerk_b"]).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    assert client.get(url, {"n": result.ticket.number, "t": token}).status_code == 200


def test_rates_page_and_excel(login, ticket, personas):
    client = login(personas["admin"])
    page = client.get(reverse("tickets:rates"), {"month": "2025-09"})
    assert "区住建局" in page.content.decode()
    export = client.get(reverse("tickets:rates"), {"month": "2025-09", "export": "xlsx"})
    assert export.content[:2] == b"PK"
    assert (
        login(personas["clerk_b"])
        .get(reverse("tickets:rates"), {"month": "2025-09"})
        .context["rows"]
        == []
    )


def test_hotspots_page(login, ticket, personas):
    page = login(personas["officer_a"]).get(reverse("tickets:hotspots"), {"weeks": "x"})
    assert page.status_code == 200 and page.context["weeks"] == 4


def test_administrators_see_a_banner_while_next_years_holidays_are_missing(login, ticket, personas):
    from shequ.tickets import deadlines

    CalendarDay.objects.filter(date__year=2026).delete()
    deadlines.invalidate()

    admin_page = login(personas["admin"]).get(reverse("tickets:index")).content.decode()
    assert 'data-testid="calendar-warning"' in admin_page and "2026年" in admin_page
    clerk_page = login(personas["clerk_a"]).get(reverse("tickets:index")).content.decode()
    assert "calendar-warning" not in clerk_page


def test_the_index_counts_the_users_work(login, ticket, personas):
    page = login(personas["handler"]).get(reverse("tickets:index"))
    assert page.context["inbox_count"] == 1 and page.context["summary"]["open"] == 1


@pytest.fixture
def other_handler(db):
    from shequ.accounts.models import Department, Role, User

    return User.objects.create_user(
        "mz", role=Role.DEPARTMENT_HANDLER, department=Department.objects.get(code="mzj")
    )


def test_a_handler_of_another_department_gets_404_everywhere(login, ticket, other_handler):
    client = login(other_handler)
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 404
    assert client.post(reverse("tickets:act", args=[ticket.pk, "accept"])).status_code == 404
    assert (
        client.post(reverse("tickets:reveal", args=[ticket.pk]), {"reason": "回访"}).status_code
        == 404
    )
    for name in LIST_PAGES:
        assert ticket.number not in client.get(reverse(name)).content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.DISPATCHED


def test_the_admin_keeps_tickets_read_only_and_marks_calendar_edits_manual(client, ticket):
    from shequ.accounts.models import User
    from shequ.tickets.models import DaySource

    client.force_login(User.objects.create_superuser("root", password="x"))
    admin_client = client

    assert admin_client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").status_code == 200
    assert (
        admin_client.post(f"/admin/tickets/ticket/{ticket.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    day = CalendarDay.objects.get(date="2026-10-01")
    response = admin_client.post(
        f"/admin/tickets/calendarday/{day.pk}/change/",
        {"date": "2026-10-01", "is_workday": "", "name": "国庆节", "source": "official"},
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(pk=day.pk).source == DaySource.MANUAL


def test_the_ranking_page_offers_the_street_territories(login, file_ticket, personas, clock):
    file_ticket("小区门口垃圾好几天没人清运了", category="sanitation")
    client = login(personas["admin"])
    response = client.get(reverse("tickets:rates"), {"month": "2025-09", "kind": "territory"})
    assert response.status_code == 200 and response.context["kind"] == "territory"
    assert "街道/镇辖区（含所辖社区/村）" in response.content.decode()
