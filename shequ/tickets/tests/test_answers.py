"""Answer, rating, reopening, and merging duplicate reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from shequ.errors import Conflict, Forbidden, Invalid
from shequ.tickets import duplicates, services
from shequ.tickets.models import (
    Assignment,
    Audience,
    Notification,
    Rating,
    Satisfaction,
    Status,
    Ticket,
)
from shequ.tickets.tests.conftest import beijing
from shequ.tickets.workflow import RESIDENT_ACTOR

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(file_ticket, personas):
    handler = personas["handler"]
    ticket = services.accept(file_ticket(category="property"), actor=handler)
    return services.resolve(ticket, actor=handler, text="已督促物业公司更换电梯配件，今日恢复运行")


def test_the_resident_is_satisfied_and_the_ticket_closes(answered):
    ticket = services.rate(
        answered, actor=RESIDENT_ACTOR, satisfaction=Satisfaction.SATISFIED, solved=True
    )

    assert ticket.status == Status.CLOSED
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.round, rating.solved, rating.unit.name) == (1, True, "区住建局")


def test_not_satisfied_once_reopens_to_the_same_unit_and_twice_escalates(answered, personas):
    handler = personas["handler"]
    ticket = services.rate(
        answered,
        actor=RESIDENT_ACTOR,
        solved=False,
        satisfaction=Satisfaction.UNSATISFIED,
        comment="电梯还是经常停",
    )
    assert ticket.status == Status.REOPENED and ticket.reopen_count == 1
    assert ticket.assigned_unit.name == "区住建局"
    assert Assignment.objects.filter(ticket=ticket, reopen=True).count() == 1

    ticket = services.accept(ticket, actor=handler)
    ticket = services.resolve(ticket, actor=handler, text="已要求物业更换主板并每周检查")
    ticket = services.rate(
        ticket, actor=RESIDENT_ACTOR, solved=False, satisfaction=Satisfaction.UNSATISFIED
    )

    assert ticket.status == Status.ESCALATED
    assert list(Rating.objects.filter(ticket=ticket).values_list("round", flat=True)) == [1, 2]


def test_a_rating_before_the_answer_is_refused(file_ticket):
    ticket = file_ticket(category="property")
    with pytest.raises(Conflict):
        services.rate(ticket, actor=RESIDENT_ACTOR, satisfaction="satisfied", solved=True)
    assert not Rating.objects.exists() and Ticket.objects.get(pk=ticket.pk).status == "dispatched"


def test_a_rating_needs_a_known_choice(answered):
    with pytest.raises(Invalid):
        services.rate(answered, actor=RESIDENT_ACTOR, satisfaction="great", solved=True)


def test_staff_record_a_callback_rating_but_a_handler_cannot_rate_herself(answered, personas):
    with pytest.raises(Forbidden):
        services.rate(answered, actor=personas["handler"], satisfaction="satisfied", solved=True)
    ticket = services.rate(answered, actor=personas["officer_a"], satisfaction="basic", solved=True)
    assert Rating.objects.get(ticket=ticket).by == personas["officer_a"]


def test_an_answer_needs_text(file_ticket, personas):
    ticket = services.accept(file_ticket(category="property"), actor=personas["handler"])
    with pytest.raises(Invalid):
        services.resolve(ticket, actor=personas["handler"], text=" ")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ACCEPTED


class RecordingSender:
    """A sender that is not the outbox, such as an SMS gateway."""

    sent: list = []

    def send(self, message) -> None:
        RecordingSender.sent.append(message)


@pytest.fixture
def recording(settings):
    settings.TICKET_NOTIFY_SENDERS = (
        "shequ.tickets.notify.OutboxSender",
        f"{__name__}.RecordingSender",
    )
    RecordingSender.sent.clear()
    return RecordingSender.sent


def test_the_outbox_is_written_with_the_answer_and_other_senders_wait_for_commit(
    file_ticket, personas, recording, django_capture_on_commit_callbacks
):
    handler = personas["handler"]
    ticket = services.accept(file_ticket(category="property"), actor=handler)
    Notification.objects.all().delete()
    recording.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.resolve(ticket, actor=handler, text="电梯已修复，感谢您的反映")
        note = Notification.objects.get(audience=Audience.RESIDENT)  # with the change
        assert recording == []  # the gateway hears of it only once it is committed
    for callback in callbacks:
        callback()
    assert [m.text for m in recording] == [note.text]
    assert "电梯已修复" in note.text and ticket.number in note.text


def test_a_change_rolled_back_leaves_no_message(file_ticket, personas, recording):
    handler = personas["handler"]
    ticket = services.accept(file_ticket(category="property"), actor=handler)
    Notification.objects.all().delete()
    recording.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.resolve(ticket, actor=handler, text="电梯已修复，感谢您的反映")
        raise RuntimeError("the request failed after the answer")
    assert not Notification.objects.exists() and recording == []
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ACCEPTED


# ------------------------------------------------------------------ duplicates


@pytest.fixture
def same_building(file_ticket, people, clock):
    building = people["building_a"]
    first = file_ticket("1号楼电梯又坏了，困了人", category="property", building_id=building.pk)
    clock(beijing(2025, 9, 3, 8, 0))
    second = file_ticket(
        "1号楼电梯停运两天了",
        category="property",
        building_id=building.pk,
        phone="13904375678",
        name="李建国",
    )
    return first, second


def test_reports_from_the_same_building_in_a_week_are_possible_duplicates(
    same_building, personas, file_ticket, clock, people
):
    first, second = same_building
    clock(beijing(2025, 9, 20, 8, 0))
    later = file_ticket(
        "1号楼电梯这个月第三次坏了",
        category="property",
        building_id=people["building_a"].pk,
        phone="13700000000",
    )
    other = file_ticket(
        "1号楼楼道垃圾没人清",
        category="sanitation",
        building_id=people["building_a"].pk,
        phone="13700000001",
    )

    found = duplicates.possible_duplicates(second, user=personas["officer_a"])

    assert [d.ticket for d in found] == [first]
    assert found[0].reason == "同一楼栋"
    assert later not in [d.ticket for d in found] and other not in [d.ticket for d in found]


def test_nearby_points_are_possible_duplicates_and_far_ones_are_not(file_ticket, personas):
    a = file_ticket("路口井盖缺失很危险", category="facilities", lat=42.9050, lon=125.1400)
    near = file_ticket(
        "路口有个井盖没了", category="facilities", lat=42.9060, lon=125.1405, phone="13900000002"
    )
    far = file_ticket(
        "另一条街井盖坏了", category="facilities", lat=42.9200, lon=125.1400, phone="13900000003"
    )

    found = duplicates.possible_duplicates(a, user=personas["admin"])

    assert [d.ticket for d in found] == [near]
    assert found[0].distance_m < 200 and far not in [d.ticket for d in found]


def test_a_clerk_of_another_community_sees_no_duplicates(same_building, personas):
    assert duplicates.possible_duplicates(same_building[1], user=personas["clerk_b"]) == []


def test_merged_residents_all_get_the_answer(
    same_building, personas, django_capture_on_commit_callbacks
):
    first, second = same_building
    officer, handler = personas["officer_a"], personas["handler"]

    merged = services.merge(second, first, actor=officer, note="同一部电梯")

    assert merged.status == Status.CLOSED and merged.merged_into == first
    assert "合并" in merged.events.last().note
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.accept(first, actor=handler)
        services.resolve(ticket, actor=handler, text="电梯主板已更换，恢复运行")
    told = set(
        Notification.objects.filter(audience=Audience.RESIDENT).values_list("recipient", flat=True)
    )
    assert told == {"138****1234", "139****5678"}


def test_merging_into_a_closed_ticket_or_itself_is_refused(same_building, personas):
    first, second = same_building
    with pytest.raises(Invalid):
        services.merge(first, first, actor=personas["officer_a"])
    services.merge(second, first, actor=personas["officer_a"])
    with pytest.raises(Conflict):
        services.merge(first, Ticket.objects.get(pk=second.pk), actor=personas["officer_a"])


def test_a_handler_cannot_merge(same_building, personas):
    first, second = same_building
    with pytest.raises(Forbidden):
        services.merge(second, first, actor=personas["handler"])
    assert Ticket.objects.get(pk=second.pk).merged_into is None


def test_the_window_is_seven_days(same_building, personas, file_ticket, clock, people):
    first, _ = same_building
    clock(first.created_at + timedelta(days=7, minutes=1))
    late = file_ticket(
        "1号楼电梯又出问题了",
        category="property",
        building_id=people["building_a"].pk,
        phone="13600000000",
    )
    assert first not in [
        d.ticket for d in duplicates.possible_duplicates(late, user=personas["admin"])
    ]
