"""Ticket fixtures: a frozen clock, the starting catalogue, a predictable classifier, and
tickets filed the way residents and clerks file them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from shequ.core.workdays import SHANGHAI

# Debian's Chromium through Playwright, for the browser tests of this app.
from shequ.web.tests.conftest import browser, page, phone_page  # noqa: F401


def beijing(*args: int) -> datetime:
    """An aware datetime on Beijing's wall clock: ``beijing(2025, 9, 30, 16, 0)``."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    """Time stands at Tuesday 2 September 2025, 10:00 in Xi'an until the test moves it."""
    from shequ.tickets import clock as seam

    with seam.frozen(beijing(2025, 9, 2, 10, 0)) as move:
        yield move


@dataclass
class FakePrediction:
    label: str
    confidence: float
    auto: bool


class FakeClassifier:
    """Says 供暖 with high confidence when the text mentions 暖气, else an unsure guess."""

    def predict(self, text: str) -> FakePrediction:
        if "暖气" in text:
            return FakePrediction("heating", 0.98, True)
        return FakePrediction("property", 0.41, False)


@pytest.fixture(autouse=True)
def reference_data(request):
    """The departments, catalogue and holiday table the migrations load. A live-server test
    elsewhere flushes them at teardown; put them back for the tests that follow."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    transactional = marker is not None and marker.kwargs.get("transaction")
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps

    from shequ.accounts.departments import PLAN_DEPARTMENTS
    from shequ.accounts.models import Department
    from shequ.tickets import catalogue, deadlines
    from shequ.tickets.models import CalendarDay, Category

    if not Department.objects.exists():
        for code, name, duties in PLAN_DEPARTMENTS:
            Department.objects.create(code=code, name=name, duties=duties)
    if not Category.objects.exists():
        catalogue.install(apps.get_model)
    if not CalendarDay.objects.exists():
        deadlines.load_official(deadlines.official_years_available())


@pytest.fixture(autouse=True)
def fake_classifier():
    from shequ.tickets import routing

    routing.set_classifier(FakeClassifier())
    yield
    routing.set_classifier(None)


@pytest.fixture
def file_ticket(clock, personas, units):
    """File a request as a resident on the web (or as ``actor``) and return the ticket."""
    from shequ.tickets import services

    def file(
        text="小区3号楼电梯坏了一周了，老人上下楼很困难",
        *,
        category="property",
        unit="220403001001001",
        actor=None,
        phone="13804371234",
        **kw,
    ):
        data = services.IntakeInput(
            text=text,
            category=category,
            unit_code=unit,
            phone=phone,
            name=kw.pop("name", "王秀兰"),
            **kw,
        )
        return services.intake(data, actor=actor).ticket

    return file
