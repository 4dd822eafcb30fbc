"""Targets come from the registry: sync opens them for newcomers and closes them for leavers."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from shequ.care.models import CareTarget, EndReason, TaskStatus, VisitTask
from shequ.care.services import sync_targets
from shequ.errors import Forbidden
from shequ.registry import services as registry
from shequ.registry.models import Tag

pytestmark = pytest.mark.django_db


def test_it_derives_special_difficulty_elderly_from_age_and_tags(care):
    assert care["target_wang"].care_class == "special_elderly"  # 87, living alone
    assert care["target_li"].care_class == "special_elderly"  # 65, disabled grade 2
    assert not CareTarget.objects.filter(person=care["zhao"]).exists()
    assert care["target_wang"].unit.code == "220403001001001"
    assert care["target_wang"].started_on == date(2026, 3, 1)


def test_a_second_sync_changes_nothing(care):
    result = sync_targets(on=date(2026, 3, 2))
    assert result.opened == [] and result.closed == {}
    assert CareTarget.objects.count() == 2


def test_a_new_target_gets_its_task_at_once(care, personas):
    registry.tag_person(
        care["zhao"], Tag.DISABLED, actor=personas["admin"], grade=1, on=date(2026, 3, 10)
    )
    result = sync_targets(on=date(2026, 3, 10))
    target = CareTarget.objects.get(person=care["zhao"])
    assert result.opened == [target.pk] and target.care_class == "severe_disability"
    task = VisitTask.objects.get(target=target)
    assert (task.period_start, task.period_end, task.status) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
        TaskStatus.OPEN,
    )
    assert task.required == 1  # 22 days of 31: prorated, but at least one


def test_a_person_whose_tag_ended_stops_being_a_target_from_that_day(care, personas):
    from shequ.conftest import id_number

    # 李建国's wife moves in, so without his disability he is in no class at all.
    registry.create_person(
        registry.PersonInput(
            name="李秀梅",
            id_number=id_number(7, date(1963, 4, 2), "F"),
            unit_code="220403001001002",
            household_number="H-A-2",
        ),
        actor=personas["admin"],
    )
    registry.untag_person(care["li"], Tag.DISABLED, actor=personas["admin"], on=date(2026, 3, 12))
    result = sync_targets(on=date(2026, 3, 12))
    target = CareTarget.objects.get(pk=care["target_li"].pk)
    assert (target.ended_on, target.end_reason) == (date(2026, 3, 12), EndReason.NO_LONGER)
    assert result.closed == {EndReason.NO_LONGER: 1} and result.opened == []
    # The open task of the month is withdrawn; the history stays.
    assert VisitTask.objects.get(target=target).status == TaskStatus.CANCELLED


def test_leaving_one_class_for_another_closes_one_target_and_opens_the_next(care, personas):
    registry.untag_person(care["li"], Tag.DISABLED, actor=personas["admin"], on=date(2026, 3, 12))
    sync_targets(on=date(2026, 3, 12))
    old = CareTarget.objects.get(pk=care["target_li"].pk)
    new = CareTarget.objects.open().get(person=care["li"])
    assert old.end_reason == EndReason.CLASS_CHANGED
    # Alone in his household at 65: an other elder living alone from the same day.
    assert (new.care_class, new.started_on) == ("elderly_alone", date(2026, 3, 12))


def test_a_person_who_died_is_closed_as_deceased(care, personas):
    registry.update_person(care["wang"], actor=personas["admin"], status="deceased")
    sync_targets(on=date(2026, 3, 20))
    target = CareTarget.objects.get(pk=care["target_wang"].pk)
    assert (target.ended_on, target.end_reason) == (date(2026, 3, 20), EndReason.DECEASED)
    assert not CareTarget.objects.open().filter(person=care["wang"]).exists()


def test_moving_to_another_grid_closes_here_and_opens_there(care, personas):
    registry.move_person(care["wang"], care["h_a2"], actor=personas["admin"], on=date(2026, 3, 16))
    sync_targets(on=date(2026, 3, 16))
    old = CareTarget.objects.get(pk=care["target_wang"].pk)
    new = CareTarget.objects.open().get(person=care["wang"])
    assert old.end_reason == EndReason.MOVED and old.ended_on == date(2026, 3, 16)
    assert new.unit.code == "220403001001002" and new.started_on == date(2026, 3, 16)
    # The new grid's worker gets the task of the rest of the month.
    assert VisitTask.objects.get(target=new).assignee == care["liu"]


def test_turning_80_makes_an_untagged_elder_a_target(care, personas, units):
    from shequ.conftest import id_number

    registry.create_household(
        actor=personas["admin"],
        number="H-A-3",
        unit_code="220403001001001",
        address="泰安路1号2单元",
    )
    person = registry.create_person(
        registry.PersonInput(
            name="孙桂芝",
            id_number=id_number(4, date(1946, 3, 20), "F"),
            unit_code="220403001001001",
            household_number="H-A-3",
        ),
        actor=personas["admin"],
    )
    registry.create_person(
        registry.PersonInput(
            name="孙伟",
            id_number=id_number(5, date(1975, 6, 1), "M"),
            unit_code="220403001001001",
            household_number="H-A-3",
        ),
        actor=personas["admin"],
    )
    assert sync_targets(on=date(2026, 3, 19)).opened == []
    sync_targets(on=date(2026, 3, 20))
    assert CareTarget.objects.get(person=person).care_class == "special_elderly"


def test_an_untagged_elder_alone_in_the_household_is_found(care, personas):
    from shequ.conftest import id_number

    registry.create_household(
        actor=personas["admin"], number="H-B-2", unit_code="220403002001", address="仙城路7号"
    )
    person = registry.create_person(
        registry.PersonInput(
            name="周文",
            id_number=id_number(6, date(1958, 1, 2), "M"),
            unit_code="220403002001",
            household_number="H-B-2",
        ),
        actor=personas["admin"],
    )
    sync_targets(on=date(2026, 3, 5))
    assert CareTarget.objects.get(person=person).care_class == "elderly_alone"


def test_the_database_refuses_two_open_targets_for_one_person(care):
    with pytest.raises(IntegrityError), transaction.atomic():
        CareTarget.objects.create(
            person=care["wang"],
            care_class="elderly_alone",
            unit=care["target_wang"].unit,
            started_on=date(2026, 3, 5),
        )


def test_only_the_district_may_run_a_sync(care, personas):
    with pytest.raises(Forbidden):
        sync_targets(on=date(2026, 3, 5), actor=personas["clerk_a"])
