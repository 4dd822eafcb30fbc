"""In the browser: a clerk logs in, searches a resident, sees masked numbers only."""

from __future__ import annotations

import pytest

from shequ.web.tests.conftest import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_logs_in_and_finds_a_resident_by_name(page, live_server, personas, people):
    shoot_login = page.goto(f"{live_server.url}/accounts/login/")
    assert shoot_login.ok
    shoot(page, "01-login")
    log_in(page, live_server, "clerk_a", "pw-clerk_a-2026")
    page.wait_for_selector("text=泰安社区")
    shoot(page, "02-unit-tree")

    page.click("text=居民查询")
    page.fill("#q", "王秀兰")
    page.click("button:has-text('查询')")
    row = page.locator("table tbody tr").first
    assert "王秀兰" in row.inner_text()
    assert people["wang"].id_number_mask in row.inner_text()
    shoot(page, "03-person-search")

    # 赵明 lives in another street's community: the clerk cannot find him.
    page.fill("#q", "赵明")
    page.click("button:has-text('查询')")
    assert page.locator("[data-testid=no-results]").is_visible()


def test_wrong_password_shows_a_chinese_error(page, live_server, personas):
    log_in(page, live_server, "clerk_a", "wrong-password")
    assert page.locator("[role=alert]").inner_text().strip() == "用户名或密码不正确。"


def test_clerk_reveals_an_id_number_with_a_reason(page, live_server, personas, people):
    from shequ.audit.models import ClearRead

    log_in(page, live_server, "clerk_a", "pw-clerk_a-2026")
    page.goto(f"{live_server.url}/registry/persons/{people['wang'].pk}/")
    assert "*" in page.locator("[data-testid=id-number]").inner_text()
    page.fill("#reason", "核对高龄津贴")
    page.click("button:has-text('查看')")
    clear = page.locator("[data-testid=id-number]").inner_text()
    assert "*" not in clear and "已留痕" in clear
    shoot(page, "04-person-reveal")
    assert ClearRead.objects.filter(reason="核对高龄津贴").count() == 1
