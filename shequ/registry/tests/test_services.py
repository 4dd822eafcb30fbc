"""Registry services: one household at a time, history kept, tags with dates, audit rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from shequ.audit.models import AuditEntry
from shequ.errors import Conflict, Forbidden, Invalid, NotFound
from shequ.registry import services
from shequ.registry.models import Person, PersonTag, Residence, Tag

pytestmark = pytest.mark.django_db


def test_moving_house_closes_the_old_stay_and_keeps_history(personas, people):
    wang, h_a2 = people["wang"], people["h_a2"]
    first = Residence.objects.get(person=wang)
    services.move_person(wang, h_a2, actor=personas["clerk_a"], on=date(2026, 11, 1))
    wang.refresh_from_db()
    assert wang.household == h_a2 and wang.unit.code == "220403001001002"
    stays = list(Residence.objects.filter(person=wang).order_by("started_on"))
    assert [s.household for s in stays] == [first.household, h_a2]
    assert stays[0].ended_on == date(2026, 11, 1) and stays[1].ended_on is None
    entry = AuditEntry.objects.filter(object_id=str(wang.pk), action="update").latest("id")
    assert entry.changes["household"] == [people["h_a"].pk, h_a2.pk]


def test_database_forbids_two_current_households(people):
    with pytest.raises(IntegrityError), transaction.atomic():
        Residence.objects.create(
            person=people["wang"], household=people["h_a2"], started_on=date(2026, 1, 1)
        )


def test_move_to_a_household_outside_scope_is_refused(personas, people):
    with pytest.raises(NotFound):
        services.move_person(people["wang"], people["h_b"], actor=personas["clerk_a"])
    assert Residence.objects.filter(person=people["wang"]).count() == 1


def test_tags_end_with_a_date_and_history_stays(personas, people):
    wang = people["wang"]
    services.untag_person(wang, Tag.LIVING_ALONE, actor=personas["clerk_a"], on=date(2026, 6, 1))
    assert not Person.objects.with_tag(Tag.LIVING_ALONE).exists()
    row = PersonTag.objects.get(person=wang, tag=Tag.LIVING_ALONE)
    assert row.ended_on == date(2026, 6, 1)
    services.tag_person(wang, Tag.LIVING_ALONE, actor=personas["clerk_a"], on=date(2026, 9, 1))
    assert PersonTag.objects.filter(person=wang, tag=Tag.LIVING_ALONE).count() == 2


@pytest.mark.parametrize(
    "tag,grade,error",
    [
        ("no_such_tag", None, Invalid),
        (Tag.DISABLED, 7, Invalid),
        (Tag.LIVING_ALONE, None, Conflict),
    ],
)
def test_bad_tags_are_refused(personas, people, tag, grade, error):
    before = PersonTag.objects.count()
    with pytest.raises(error):
        services.tag_person(people["wang"], tag, actor=personas["clerk_a"], grade=grade)
    assert PersonTag.objects.count() == before


def test_update_writes_old_and_new_values(personas, people):
    li = people["li"]
    services.update_person(li, actor=personas["officer_a"], phone="13900000000", relation="本人")
    entry = AuditEntry.objects.filter(object_id=str(li.pk), action="update").latest("id")
    assert entry.actor == personas["officer_a"]
    assert entry.changes["phone_mask"] == ["139****5678", "139****0000"]
    assert entry.changes["relation"] == ["户主", "本人"]


def test_update_without_change_writes_no_audit(personas, people):
    before = AuditEntry.objects.count()
    services.update_person(people["li"], actor=personas["clerk_a"], relation="户主")
    assert AuditEntry.objects.count() == before


def test_grid_worker_and_leader_cannot_write(personas, people):
    for who in ("grid_a", "leader", "handler"):
        with pytest.raises(Forbidden):
            services.update_person(people["wang"], actor=personas[who], relation="x")


def test_birth_date_and_sex_are_cross_checked(personas, units):
    from shequ.conftest import id_number

    data = services.PersonInput(
        name="错配",
        id_number=id_number(5, date(1950, 3, 7), "F"),
        unit_code="220403001001",
        sex="M",
        birth_date=date(1951, 1, 1),
    )
    with pytest.raises(Invalid) as err:
        services.create_person(data, actor=personas["clerk_a"])
    assert err.value.code == "id_mismatch"
    assert Person.objects.count() == 0
