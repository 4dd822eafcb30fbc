"""In the browser, on a 390-px phone: a grid worker records a visit from her work list."""

from __future__ import annotations

import time

import pytest

from shequ.web.tests.conftest import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_grid_worker_records_a_visit_on_her_phone(phone_page, live_server, personas, care):
    from shequ.care.models import ServiceOrder, TaskStatus, Visit, VisitTask

    page = phone_page
    log_in(page, live_server, "grid_a", "pw-grid_a-2026")
    started = time.monotonic()
    page.goto(f"{live_server.url}/care/")
    task = page.locator("[data-testid=pending] [data-testid=task]")
    assert task.count() == 1 and "王秀兰" in task.inner_text()  # 李建国 is in another grid
    assert no_sideways_scroll(page)

    task.get_by_role("link", name="记录探访").click()
    page.wait_for_selector("[data-testid=visit-form]")
    assert no_sideways_scroll(page)
    # A routine visit is one tap; here she also ticks a found need (助餐) and a gas check.
    page.get_by_text("助餐", exact=True).click()
    page.locator("fieldset[aria-label=燃气]").get_by_text("正常", exact=True).click()
    save = page.locator("[data-testid=save-visit]")
    box = save.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # a big button for a thumb
    shoot(page, "care-visit-phone")
    save.click()

    page.wait_for_selector(".messages li")
    assert "已记录对 王秀兰 的探访" in page.locator(".messages li").first.inner_text()
    assert "王秀兰" in page.locator("[data-testid=today]").inner_text()
    assert time.monotonic() - started < 60
    visit = Visit.objects.get()
    assert (visit.method, visit.gas_ok, visit.needs) == ("home", True, ["meal"])
    assert VisitTask.objects.get(target=care["target_wang"]).status == TaskStatus.DONE
    assert ServiceOrder.objects.get().visit == visit
