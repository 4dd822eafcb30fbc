"""Recording a visit: it completes the task, turns needs into orders; bad visits write nothing."""

from __future__ import annotations

from datetime import date

import pytest

from shequ.audit.models import AuditEntry
from shequ.care.models import ServiceOrder, TaskStatus, Visit, VisitTask
from shequ.care.services import VisitInput, generate_visit_tasks, record_visit
from shequ.care.tests.conftest import at
from shequ.errors import Conflict, Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db


def visit(person, **fields):
    return VisitInput(person_id=person.pk, **fields)


def test_a_home_visit_completes_the_months_task(care, personas):
    outcome = record_visit(
        visit(care["wang"], visited_at=at(2026, 3, 14, 9, 30), gas_ok=True, heating_ok=True),
        actor=personas["grid_a"],
    )
    v = outcome.visit
    assert (v.visitor, v.recorded_by, v.visited_on) == (
        care["zhang"],
        personas["grid_a"],
        date(2026, 3, 14),
    )
    assert outcome.counted and outcome.task.status == TaskStatus.DONE
    assert AuditEntry.objects.filter(model="care.visit", object_id=str(v.pk)).exists()


def test_a_phone_call_is_kept_but_does_not_count_where_the_policy_asks_for_home_visits(
    care, personas
):
    outcome = record_visit(visit(care["wang"], method="phone"), actor=personas["grid_a"])
    assert Visit.objects.filter(pk=outcome.visit.pk).exists()
    assert not outcome.counted
    assert VisitTask.objects.get(target=care["target_wang"]).status == TaskStatus.OPEN


def test_a_late_entry_completes_a_task_already_closed_as_missed(care, personas, now):
    generate_visit_tasks(on=date(2026, 4, 1))
    now(at(2026, 4, 1, 9))
    record_visit(visit(care["wang"], visited_at=at(2026, 3, 31, 16)), actor=personas["grid_a"])
    march = VisitTask.objects.get(target=care["target_wang"], period_start=date(2026, 3, 1))
    assert march.status == TaskStatus.DONE


def test_found_service_needs_become_home_care_orders_linked_to_the_visit(care, personas):
    outcome = record_visit(
        visit(care["wang"], needs=["meal", "clean"], needs_note="腿脚不便"),
        actor=personas["grid_a"],
    )
    orders = ServiceOrder.objects.filter(visit=outcome.visit).order_by("kind")
    assert [(o.kind, o.status, o.note) for o in orders] == [
        ("clean", "requested", "腿脚不便"),
        ("meal", "requested", "腿脚不便"),
    ]


def test_a_clerk_records_a_visit_of_a_neighbour_grid_in_her_community(care, personas):
    outcome = record_visit(visit(care["li"]), actor=personas["clerk_a"])
    assert outcome.visit.visitor == care["chen"]


@pytest.fixture
def nothing_written():
    """Asserts that the block wrote no visit, order or audit row."""
    before = (Visit.objects.count(), ServiceOrder.objects.count(), AuditEntry.objects.count())
    yield
    after = (Visit.objects.count(), ServiceOrder.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_a_visit_in_the_future_is_rejected(care, personas, nothing_written):
    with pytest.raises(Invalid, match="不能晚于当前时间") as caught:
        record_visit(
            visit(care["wang"], visited_at=at(2026, 3, 15, 11), needs=["meal"]),
            actor=personas["grid_a"],
        )
    assert caught.value.code == "future_visit"


def test_a_visit_outside_the_actors_scope_is_rejected(care, personas, nothing_written):
    with pytest.raises(NotFound):
        record_visit(visit(care["wang"]), actor=personas["clerk_b"])
    with pytest.raises(NotFound):  # grid_a patrols grid 1; 李建国 lives in grid 2
        record_visit(visit(care["li"]), actor=personas["grid_a"])


def test_a_visitor_from_another_community_is_rejected(care, personas, units, nothing_written):
    from shequ.registry.models import Worker

    stranger = Worker.objects.create(
        name="吴刚", unit=units["community_a2"], grid_role="grid_worker"
    )
    with pytest.raises(Forbidden, match="不负责"):
        record_visit(visit(care["wang"], visitor_id=stranger.pk), actor=personas["officer_a"])


def test_roles_that_do_not_visit_are_refused(care, personas, nothing_written):
    for persona in ("leader", "handler"):
        with pytest.raises(Forbidden):
            record_visit(visit(care["wang"]), actor=personas[persona])


def test_a_person_who_is_not_a_target_cannot_be_visited(care, personas, nothing_written):
    with pytest.raises(Invalid, match="不是关爱对象") as caught:
        record_visit(visit(care["zhao"]), actor=personas["clerk_b"])
    assert caught.value.code == "not_a_target"
    with pytest.raises(Invalid, match="不是关爱对象"):  # before the target started
        record_visit(visit(care["wang"], visited_at=at(2026, 2, 27)), actor=personas["grid_a"])


def test_the_same_visit_twice_is_a_duplicate(care, personas):
    record_visit(visit(care["wang"], visited_at=at(2026, 3, 14, 9, 30)), actor=personas["grid_a"])
    count = Visit.objects.count()
    with pytest.raises(Conflict, match="重复") as caught:
        record_visit(
            visit(care["wang"], visited_at=at(2026, 3, 14, 9, 50), needs=["meal"]),
            actor=personas["grid_a"],
        )
    assert caught.value.code == "duplicate_visit"
    assert Visit.objects.count() == count and not ServiceOrder.objects.exists()
    # Forty minutes later it is another visit.
    record_visit(visit(care["wang"], visited_at=at(2026, 3, 14, 10, 10)), actor=personas["grid_a"])
    assert Visit.objects.count() == count + 1


def test_unknown_choices_are_rejected(care, personas, nothing_written):
    with pytest.raises(Invalid):
        record_visit(visit(care["wang"], method="letter"), actor=personas["grid_a"])
    with pytest.raises(Invalid):
        record_visit(visit(care["wang"], needs=["haircut"]), actor=personas["grid_a"])
