"""Intake: validation, idempotency, classification, routing, deadlines — one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.errors import Forbidden, Invalid, NotFound
from shequ.tickets import services
from shequ.tickets.models import (
    Action,
    Channel,
    ResponsibleUnit,
    Status,
    Ticket,
    TicketEvent,
    TicketPhoto,
)
from shequ.tickets.tests.conftest import beijing

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def photo(name="p.png", content=PNG, kind="image/png"):
    return SimpleUploadedFile(name, content, content_type=kind)


def data(**kw):
    kw.setdefault("text", "小区3号楼电梯坏了一周了，老人上下楼很困难")
    kw.setdefault("phone", "13804371234")
    kw.setdefault("unit_code", "220403001001001")
    return services.IntakeInput(**kw)


def test_a_resident_files_from_the_web_and_it_goes_to_the_department(file_ticket):
    ticket = file_ticket(category="property")

    assert ticket.status == Status.DISPATCHED
    assert ticket.assigned_unit == ResponsibleUnit.objects.get(department__code="zjj")
    assert ticket.channel == Channel.WEB and ticket.created_by is None
    assert [e.action for e in ticket.events.all()] == [Action.SUBMIT, Action.DISPATCH]
    assert ticket.events.last().actor_label == "系统"
    assert len(ticket.number) == 14


def test_the_contact_is_stored_encrypted_and_shown_masked(file_ticket):
    ticket = file_ticket(name="王秀兰", phone="138 0437 1234")

    assert ticket.contact_phone_mask == "138****1234"
    assert ticket.contact_name_mask == "王**"
    assert "13804371234" not in ticket.contact_phone_enc
    assert "王秀兰" not in ticket.contact_name_enc


def test_the_follow_up_link_needs_its_secret(clock, personas):
    result = services.intake(data(category="property"), actor=None)

    token = result.follow_path.split("t=")[1]
    assert services.ticket_for_resident(result.ticket.number, token) == result.ticket
    with pytest.raises(NotFound):
        services.ticket_for_resident(result.ticket.number, "guessed-token")


def test_a_confident_classifier_routes_a_ticket_without_category(file_ticket):
    ticket = file_ticket("家里暖气一点都不热，室温只有12度", category=None)

    assert ticket.category.code == "heating"
    assert ticket.status == Status.DISPATCHED
    assert (ticket.classifier_label, ticket.classifier_confidence) == ("heating", 0.98)
    assert "智能分类" in ticket.events.last().note


def test_an_unsure_classifier_leaves_the_ticket_for_a_dispatcher(file_ticket):
    ticket = file_ticket("楼道里总有人放东西，不知道该找谁", category=None)

    assert ticket.status == Status.SUBMITTED and ticket.category is None
    assert ticket.classifier_label == "property" and ticket.classifier_confidence == 0.41
    assert ticket.accept_due is not None and ticket.answer_due is not None


def test_the_same_request_twice_within_minutes_is_stored_once(clock, personas):
    first = services.intake(data(category="property"), actor=None)
    clock(beijing(2025, 9, 2, 10, 9))
    again = services.intake(data(category="property"), actor=None)

    assert again.created is False and again.ticket.pk == first.ticket.pk
    assert again.follow_token is None
    assert Ticket.objects.count() == 1 and TicketEvent.objects.count() == 2


def test_the_same_text_later_or_another_text_is_a_new_request(clock, personas):
    services.intake(data(), actor=None)
    assert services.intake(data(text="小区路灯坏了好几天了，晚上很黑"), actor=None).created
    clock(beijing(2025, 9, 2, 10, 11))
    assert services.intake(data(), actor=None).created
    assert Ticket.objects.count() == 3


def test_a_client_key_or_a_device_token_makes_intake_idempotent(clock, personas):
    first = services.intake(data(idempotency_key="app-42"), actor=None)
    assert (
        services.intake(
            data(idempotency_key="app-42", text="改了内容也算同一次提交"), actor=None
        ).ticket
        == first.ticket
    )

    by_device = services.intake(
        data(device_token="kiosk-7", phone="13900000000", text="自助终端提交的诉求内容"), actor=None
    )
    again = services.intake(
        data(device_token="kiosk-7", phone="13911111111", text="自助终端提交的诉求内容"), actor=None
    )
    assert again.ticket == by_device.ticket and Ticket.objects.count() == 2


def test_each_repeat_question_is_read_from_its_own_index(clock, personas):
    """The device index holds only tickets with a token. With statistics that found it
    empty (tickets filed without one, then ANALYZE), the repeat check still reads each of
    its questions (key, device, phone) from its index, never a range of recent tickets."""
    from django.db import connection

    for i in range(3):
        services.intake(data(phone=f"1390000000{i}"), actor=None)
    seen = []

    def keep(execute, sql, params, many, context):
        if "ORDER BY created_at LIMIT 1" in sql:
            seen.append((sql, params))
        return execute(sql, params, many, context)

    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket" if postgres else "ANALYZE")
        with connection.execute_wrapper(keep):
            services.intake(data(idempotency_key="k-1", device_token="app-1"), actor=None)
        ((sql, params),) = seen
        if postgres:  # (the table is small: make the planner show which indexes it can use)
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "ticket_device_recent" in plan and "ticket_phone_recent" in plan, plan
    assert "idempotency_key" in plan and "ticket_created" not in plan, plan


def test_intake_writes_no_index_of_columns_it_leaves_empty(clock, personas, units):
    """Columns that a new ticket and its events leave empty are indexed only where filled
    (the migration dropped Django's full indexes by name); the deletion checks still find
    their rows through them."""
    from django.db import connection

    from shequ.registry.models import Building

    def indexes(table):
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, table)
        return {name for name, c in found.items() if c["index"] and not c["unique"]}

    ticket_indexes, event_indexes = indexes("tickets_ticket"), indexes("tickets_ticketevent")
    assert {"ticket_building", "ticket_first_accepted", "ticket_merged_into"} <= ticket_indexes
    assert not any(name.startswith("tickets_ticket_building_id") for name in ticket_indexes)
    assert {"event_actor", "event_unit"} <= event_indexes
    assert not any("_at_" in name for name in event_indexes)
    assert not any("unit_id" in name for name in indexes("tickets_assignment"))

    building = Building.objects.create(unit=units["grid_a"], number="9号楼")
    ticket = services.intake(data(building_id=building.pk), actor=None).ticket
    assert ticket.building_id == building.pk
    building.delete()  # SET_NULL: found through the partial index
    ticket.refresh_from_db()
    assert ticket.building_id is None


def test_rules_send_sanitation_to_the_street_and_the_village_to_the_department(file_ticket):
    street = file_ticket("小区门口垃圾好几天没人清运了", category="sanitation")
    assert street.assigned_unit.admin_unit.code == "220403001"

    village = file_ticket(
        "村口垃圾堆放很久了，气味很大", category="sanitation", unit="220403100200"
    )
    assert village.assigned_unit.department.code == "nyncj"  # the longest prefix wins

    dispute = file_ticket("楼上邻居每天深夜很吵，沟通无果", category="dispute")
    assert dispute.assigned_unit.admin_unit.code == "220403001001"


def test_a_clerk_files_a_hotline_call_for_her_community(clock, personas):
    clerk = personas["clerk_a"]
    ticket = services.intake(
        data(channel=Channel.HOTLINE, category="elderly", text="老人独居，想申请助餐服务"),
        actor=clerk,
    ).ticket

    assert ticket.created_by == clerk and ticket.channel == Channel.HOTLINE
    assert ticket.events.first().actor == clerk


def test_a_grid_worker_files_without_a_phone_and_is_placed_in_her_grid(clock, personas):
    ticket = services.intake(
        services.IntakeInput(
            text="巡查发现3号楼东侧井盖破损，有安全隐患",
            channel=Channel.GRID_PATROL,
            category="facilities",
        ),
        actor=personas["grid_a"],
    ).ticket

    assert ticket.unit_code == "220403001001001"


def test_a_map_point_finds_the_nearest_community(clock, personas, units):
    units["community_a"].centre_lat, units["community_a"].centre_lon = 42.905, 125.14
    units["community_a"].save()
    units["community_b"].centre_lat, units["community_b"].centre_lon = 42.93, 125.16
    units["community_b"].save()

    ticket = services.intake(
        data(unit_code=None, lat=42.906, lon=125.141, category="property"), actor=None
    ).ticket

    assert ticket.unit_code == "220403001001" and ticket.lat == 42.906


def test_up_to_three_checked_photos_are_kept(clock, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ticket = services.intake(
        data(photos=[photo(), photo("b.jpg", JPEG, "image/jpeg")]), actor=None
    ).ticket

    assert [p.content_type for p in ticket.photos.all()] == ["image/png", "image/jpeg"]
    assert (tmp_path / ticket.photos.first().file.name).exists()


@pytest.mark.parametrize(
    "change,error",
    [
        ({"text": "短"}, Invalid),
        ({"text": "字" * 2001}, Invalid),
        ({"category": "no-such-thing"}, Invalid),
        ({"phone": "12345"}, Invalid),
        ({"phone": ""}, Invalid),
        ({"channel": "fax"}, Invalid),
        ({"channel": Channel.HOTLINE}, Forbidden),  # a resident cannot claim to be the hotline
        ({"unit_code": "999999"}, NotFound),
        ({"lat": 91, "lon": 10}, Invalid),
        ({"category": "safety"}, Invalid),  # a required extra question is unanswered
        ({"photos": [photo(), photo(), photo(), photo()]}, Invalid),
        ({"photos": [photo("x.png", b"GIF89a not a png")]}, Invalid),
        ({"photos": [photo("x.exe", PNG)]}, Invalid),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(
    clock, personas, change, error, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(error):
        services.intake(data(**change), actor=None)
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0
    assert TicketPhoto.objects.count() == 0 and not list(tmp_path.iterdir())


def test_the_unknown_category_error_has_a_code_for_programs(clock, personas):
    with pytest.raises(Invalid) as error:
        services.intake(data(category="no-such-thing"), actor=None)
    assert error.value.code == "unknown_category"


def test_a_clerk_cannot_file_for_another_community(clock, personas):
    with pytest.raises(NotFound):
        services.intake(
            data(unit_code="220403002001", channel=Channel.WINDOW), actor=personas["clerk_a"]
        )
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("persona", ["leader", "handler"])
def test_read_only_and_department_roles_do_not_take_requests(clock, personas, persona):
    with pytest.raises(Forbidden):
        services.intake(data(channel=Channel.WINDOW), actor=personas[persona])


def test_the_answer_to_an_extra_question_is_kept(file_ticket):
    ticket = file_ticket(
        "家里暖气不热，室温只有14度",
        category="heating",
        extra={"temperature": "14", "whole_building": "yes", "junk": "x"},
    )
    assert ticket.extra == {"temperature": 14.0, "whole_building": "yes"}


def test_the_resident_gets_a_receipt_in_the_outbox(
    clock, personas, django_capture_on_commit_callbacks
):
    from shequ.tickets.models import Audience, Notification

    with django_capture_on_commit_callbacks(execute=True):
        result = services.intake(data(category="property"), actor=None)

    receipt = Notification.objects.get(audience=Audience.RESIDENT)
    assert result.ticket.number in receipt.text and "/tickets/track/" in receipt.text
    assert receipt.recipient == "138****1234" and receipt.phone_enc
    assert Notification.objects.filter(audience=Audience.UNIT, recipient="区住建局").exists()


def test_deadlines_are_set_at_intake_even_without_a_unit(file_ticket, clock):
    ticket = file_ticket("不知道该找哪个部门的问题", category=None)
    assert ticket.answer_due - ticket.created_at > timedelta(days=7)


def test_the_real_cold_start_lexicon_names_catalogue_categories(settings, tmp_path, db):
    from shequ.tickets import routing

    settings.TICKET_CLASSIFIER_PATH = tmp_path / "no-model-yet.joblib"
    routing.set_classifier(None)  # load as production does: no model file → keyword lexicon

    suggestion = routing.classify("家里暖气不热，供暖温度不达标，暖气片冰凉，采暖费白交了")

    assert suggestion.label  # the lexicon always proposes something
    if suggestion.category is not None:
        assert suggestion.category.name == suggestion.label


def test_a_broken_model_file_does_not_stop_intake(settings, tmp_path, clock, personas):
    from shequ.tickets import routing

    broken = tmp_path / "model.joblib"
    broken.write_bytes(b"not a model")
    settings.TICKET_CLASSIFIER_PATH = broken
    routing.set_classifier(None)

    ticket = services.intake(data(text="楼道灯坏了很久没人修"), actor=None).ticket

    assert ticket.status == Status.SUBMITTED and ticket.classifier_label == ""


def test_a_tracking_number_already_taken_is_drawn_again(file_ticket, monkeypatch):
    from shequ.tickets import services

    first = file_ticket()
    drawn = iter([first.number, "251231FRESH001"])
    monkeypatch.setattr(services, "_new_number", lambda now: next(drawn))
    second = file_ticket("楼道灯坏了好几天，晚上很黑", phone="13804379999")
    assert second.number == "251231FRESH001" and second.pk != first.pk
    assert second.events.order_by("at", "id").first().action == "submit"


@pytest.mark.django_db(transaction=True)
def test_twins_sent_at_the_same_moment_store_one_ticket(units):
    """Four workers take the same submission at once: the lock taken with the repeat check
    makes them wait for each other, and the last three find the first one's ticket."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite's writers queue on its own lock (shequ/sqlite tests)")
    start = threading.Barrier(4)

    def submit(_: int) -> tuple[int, bool]:
        try:
            start.wait()
            # The same phone and text, no key: no unique column would catch the twins.
            result = services.intake(data(text="同一时刻提交的同一条诉求"), actor=None)
            return result.ticket.pk, result.created
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(submit, range(4)))
    assert len({pk for pk, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert Ticket.objects.filter(text="同一时刻提交的同一条诉求").count() == 1
