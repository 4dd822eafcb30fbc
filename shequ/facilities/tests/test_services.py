"""Facility writes: validation, scope, audit, and a new access computation after changes."""

from __future__ import annotations

from datetime import time

import pytest

from shequ.audit.models import AuditEntry
from shequ.errors import Forbidden, Invalid, NotFound
from shequ.facilities import services
from shequ.facilities.models import AccessRun, Facility, RunStatus
from shequ.facilities.services import FacilityInput, HoursSpec, RoomSpec

pytestmark = pytest.mark.django_db


def data(**kw) -> FacilityInput:
    base = dict(
        type_code="elderly_care",
        name="泰安老年助餐点",
        unit_code="220403001001",
        lat=42.9,
        lon=125.13,
        floor_area=200,
        activity_area=150,
    )
    return FacilityInput(**{**base, **kw})


def test_clerk_creates_a_facility_in_her_community_with_hours_and_rooms(personas):
    f = services.create_facility(
        data(
            hours={"0": HoursSpec(opens=time(8), closes=time(17)), "holiday": HoursSpec(True)},
            rooms=[RoomSpec("多功能室", 60, ("meeting", "study"))],
        ),
        actor=personas["clerk_a"],
    )
    assert f.unit.code == "220403001001"
    assert {h.day for h in f.hours.all()} == {"0", "holiday"}
    assert f.rooms.get().functions == ["meeting", "study"]
    assert AuditEntry.objects.filter(model="facilities.facility", object_id=str(f.pk)).exists()


def test_a_facility_outside_the_scope_is_not_found(personas):
    with pytest.raises(NotFound):
        services.create_facility(data(unit_code="220403002001"), actor=personas["clerk_a"])
    assert not Facility.objects.exists()


def test_readers_cannot_write(personas):
    with pytest.raises(Forbidden):
        services.create_facility(data(), actor=personas["leader"])


@pytest.mark.parametrize(
    "change,field",
    [
        ({"name": " "}, "name"),
        ({"type_code": "nope"}, "type"),
        ({"lat": None}, "lat"),
        ({"floor_area": -1}, "floor_area"),
        ({"activity_area": 180, "office_area": 40}, "activity_area"),
    ],
)
def test_bad_input_is_rejected_with_the_field(personas, change, field):
    with pytest.raises(Invalid) as err:
        services.create_facility(data(**change), actor=personas["clerk_a"])
    assert err.value.field == field
    assert not Facility.objects.exists()


def test_type_may_be_given_by_its_chinese_name(personas):
    f = services.create_facility(data(type_code="日间照料中心/老年助餐点"), actor=personas["admin"])
    assert f.type.code == "elderly_care"


def test_a_new_located_facility_queues_one_access_run_after_commit(
    personas, django_capture_on_commit_callbacks, monkeypatch
):
    ran = []
    monkeypatch.setattr(services, "_enqueue", ran.append)
    with django_capture_on_commit_callbacks(execute=True):
        services.create_facility(data(), actor=personas["clerk_a"])
        services.create_facility(data(name="第二助餐点"), actor=personas["clerk_a"])
    run = AccessRun.objects.get()
    assert run.status == RunStatus.QUEUED and "泰安老年助餐点" in run.reason
    assert ran == [run.pk]  # two edits, one queued run


def test_an_update_that_moves_nothing_queues_nothing(personas):
    f = services.create_facility(data(), actor=personas["clerk_a"])
    AccessRun.objects.all().delete()
    services.update_facility(f, data(address="泰安路1号"), actor=personas["clerk_a"])
    assert not AccessRun.objects.exists()
    services.update_facility(f, data(address="泰安路1号", lat=42.91), actor=personas["clerk_a"])
    assert AccessRun.objects.count() == 1
    assert AuditEntry.objects.filter(action="update", object_id=str(f.pk)).count() == 2


def test_an_unchanged_update_writes_no_audit_row(personas):
    f = services.create_facility(data(), actor=personas["clerk_a"])
    services.update_facility(f, data(), actor=personas["clerk_a"])
    assert not AuditEntry.objects.filter(action="update").exists()


def test_delete_is_scoped_and_audited(personas):
    f = services.create_facility(data(), actor=personas["clerk_a"])
    with pytest.raises(NotFound):
        services.delete_facility(f, actor=personas["clerk_b"])
    services.delete_facility(f, actor=personas["officer_a"])
    assert not Facility.objects.exists()
    assert AuditEntry.objects.filter(action="delete", object_id=str(f.pk)).exists()


@pytest.mark.parametrize(
    "text,expected",
    [
        ("08:30-17:30", HoursSpec(opens=time(8, 30), closes=time(17, 30))),
        ("8：00～12：00", HoursSpec(opens=time(8), closes=time(12))),
        ("全天", HoursSpec(all_day=True)),
        ("00:00-24:00", HoursSpec(all_day=True)),
        ("休息", None),
        ("", None),
    ],
)
def test_parse_hours(text, expected):
    assert services.parse_hours(text) == expected


@pytest.mark.parametrize("text", ["8点到5点", "17:00-08:00", "25:00-26:00"])
def test_parse_hours_rejects_nonsense(text):
    with pytest.raises(Invalid):
        services.parse_hours(text)


def test_parse_rooms_accepts_labels_and_several_functions():
    rooms = services.parse_rooms("多功能活动室:80:会议议事/学习培训；阅览室::图书阅览")
    assert rooms == [
        RoomSpec("多功能活动室", 80.0, ("meeting", "study")),
        RoomSpec("阅览室", None, ("reading",)),
    ]
    with pytest.raises(Invalid, match="不在功能列表中"):
        services.parse_rooms("舞厅:50:跳舞")


def test_photos_are_images_only(personas, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    f = services.create_facility(data(), actor=personas["clerk_a"])
    photo = services.add_photo(
        f,
        SimpleUploadedFile("a.png", b"\x89PNG", content_type="image/png"),
        actor=personas["clerk_a"],
        caption="外景",
    )
    assert photo.file.name.endswith(".png") and f.photos.count() == 1
    with pytest.raises(Invalid):
        services.add_photo(
            f,
            SimpleUploadedFile("a.exe", b"MZ", content_type="application/x-msdownload"),
            actor=personas["clerk_a"],
        )
    with pytest.raises(NotFound):
        services.add_photo(
            f,
            SimpleUploadedFile("b.png", b"x", content_type="image/png"),
            actor=personas["clerk_b"],
        )
