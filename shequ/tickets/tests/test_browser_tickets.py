"""In the browser: a resident files from a phone, the unit accepts and answers, the resident
rates; another ticket is returned by the wrong unit and re-dispatched by the street."""

from __future__ import annotations

import pytest

from shequ.tickets.models import Status, Ticket
from shequ.web.tests.conftest import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def file_from_phone(phone_page, live_server, text: str, category: str) -> str:
    phone_page.goto(f"{live_server.url}/tickets/submit/")
    phone_page.fill("#id_text", text)
    phone_page.select_option("#id_category", category)
    phone_page.fill("#id_name", "王秀兰")
    phone_page.fill("#id_phone", "13804371234")
    phone_page.select_option("#id_unit_code", "220403001001")
    phone_page.click("#map")  # a point on the tile-less map
    phone_page.click("button:has-text('提交')")
    phone_page.wait_for_selector("[data-testid=tracking-number]")
    return phone_page.locator("[data-testid=follow-link]").get_attribute("href")


def test_intake_dispatch_accept_answer_and_rating(
    phone_page,
    page,
    live_server,
    personas,
):
    follow = file_from_phone(
        phone_page, live_server, "东吉花园3号楼电梯坏了一周，老人下不了楼", "property"
    )
    shoot(phone_page, "tickets-01-submitted-phone")
    ticket = Ticket.objects.get()
    assert ticket.status == Status.DISPATCHED and ticket.lat is not None

    log_in(page, live_server, "handler", "pw-handler-2026")
    page.goto(f"{live_server.url}/tickets/inbox/")
    page.click(f"text={ticket.number}")
    page.click("button:has-text('签收')")
    page.wait_for_selector("text=已签收。")
    page.fill("#answer-text", "已约谈物业公司，电梯主板已更换，恢复运行。")
    page.click("button:has-text('答复居民')")
    page.wait_for_selector("text=已答复，等待居民评价。")
    shoot(page, "tickets-02-detail-timeline")

    phone_page.goto(follow)
    assert "电梯主板已更换" in phone_page.locator("[data-testid=answer]").inner_text()
    phone_page.check("input[name=satisfaction][value=satisfied]")
    phone_page.check("input[name=solved][value=yes]")
    phone_page.click("button:has-text('提交评价')")
    phone_page.wait_for_selector("text=感谢您的评价！")
    shoot(phone_page, "tickets-03-rated-phone")
    assert phone_page.locator("[data-testid=status]").inner_text() == "已办结"
    assert Ticket.objects.get().status == Status.CLOSED


def test_return_and_redispatch(phone_page, page, live_server, personas):
    file_from_phone(phone_page, live_server, "小区楼道被电动车堵住，私拉电线充电很危险", "property")
    ticket = Ticket.objects.get()

    log_in(page, live_server, "handler", "pw-handler-2026")
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")

    page.fill("#return-note", "属于消防安全隐患，应由应急部门处理")
    page.click("button:has-text('退回派单员')")
    page.wait_for_selector("text=已退回派单员。")

    page.goto(f"{live_server.url}/accounts/login/")
    page.context.clear_cookies()
    log_in(page, live_server, "officer_a", "pw-officer_a-2026")
    page.goto(f"{live_server.url}/tickets/queue/")
    page.click(f"text={ticket.number}")
    page.select_option("#dispatch-category", "safety")
    page.select_option("#dispatch-unit", label="区应急局")
    page.fill("#dispatch-note", "消防安全隐患")
    page.click("button:has-text('派单')")
    page.wait_for_selector("text=已派单。")
    shoot(page, "tickets-04-redispatched")
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED
    assert ticket.assigned_unit.name == "区应急局" and ticket.category.code == "safety"
