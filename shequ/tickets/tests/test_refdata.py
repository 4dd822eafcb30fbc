"""The in-memory catalogue: every change to what routing reads takes effect on the next
request, in this process and in the others (which see the version counter move)."""

import pytest
from django.db import connection

from shequ.errors import NotFound
from shequ.registry.models import AdminUnit, Level
from shequ.tickets import refdata
from shequ.tickets.models import Category, ResponsibleUnit, RoutingRule

pytestmark = pytest.mark.django_db


def test_a_new_rule_routes_the_next_request(file_ticket, units):
    first = file_ticket("小区门口垃圾好几天没人清运了", category="sanitation")
    assert first.assigned_unit.admin_unit.code == "220403001"  # the street, by default
    community = ResponsibleUnit.objects.create(admin_unit=units["community_a"])
    RoutingRule.objects.create(
        category=Category.objects.get(code="sanitation"),
        unit_prefix="220403001001",
        responsible_unit=community,
    )
    second = file_ticket("楼下垃圾桶满了一直没人清运", category="sanitation")
    assert second.assigned_unit_id == community.pk


def test_a_category_switched_off_is_refused_at_once(file_ticket):
    file_ticket("路灯坏了好几天，晚上很黑", category="facilities")
    category = Category.objects.get(code="facilities")
    category.active = False
    category.save()
    with pytest.raises(Exception, match="没有“facilities”这个诉求类别"):
        file_ticket("路灯又坏了，晚上很黑", category="facilities")


def test_a_deactivated_unit_takes_no_more_requests(file_ticket, units):
    file_ticket(unit="220403001002")
    units["community_a2"].active = False
    units["community_a2"].save()
    with pytest.raises(NotFound):
        file_ticket("楼道灯不亮了，请尽快修理", unit="220403001002")


def test_a_unit_created_in_bulk_is_found_without_a_signal(file_ticket, units):
    file_ticket()  # the snapshot is loaded before the grid exists
    AdminUnit.objects.bulk_create(
        [
            AdminUnit(
                code="220403001001003",
                name="泰安社区第三网格",
                level=Level.GRID,
                parent=units["community_a"],
            )
        ]
    )
    ticket = file_ticket("楼道灯不亮了，请尽快修理", unit="220403001001003")
    assert ticket.unit_code == "220403001001003"


def test_another_process_committing_a_change_is_seen(db):
    held = refdata.snapshot()
    assert refdata.snapshot() is held  # nothing changed: the same copy, no reload
    # Another worker renames a category and raises the counter; this process only sees
    # the counter in the database.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_category SET name = '供热' WHERE code = 'heating'")
        cursor.execute("UPDATE tickets_catalogueversion SET n = n + 1 WHERE id = 1")
    fresh = refdata.snapshot()
    assert fresh is not held and fresh.version == held.version + 1
    assert fresh.by_code["heating"].name == "供热"


def test_the_district_sees_everything_but_not_a_second_district(file_ticket, units, personas):
    from shequ.tickets.models import Ticket

    mine = file_ticket()
    assert list(Ticket.objects.in_scope(personas["admin"])) == [mine]
    # Another district in the same database: the first one's scope must filter again.
    other = AdminUnit.objects.create(code="220402", name="龙山区", level=Level.DISTRICT)
    community = AdminUnit.objects.create(
        code="220402001001", name="龙山社区", level=Level.COMMUNITY, parent=other
    )
    theirs = file_ticket("楼道灯不亮了，请尽快修理", unit=community.code)
    assert set(Ticket.objects.all()) == {mine, theirs}
    assert list(Ticket.objects.in_scope(personas["admin"])) == [mine]


def _version_reads(queries) -> int:
    return sum("tickets_catalogueversion" in q["sql"] for q in queries)


def test_a_request_reads_the_counter_once(client, personas, file_ticket):
    from django.test.utils import CaptureQueriesContext

    file_ticket()
    client.force_login(personas["admin"])
    # The list looks names up in the catalogue more than once; the counter is read once.
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/tickets?category=heating").status_code == 200
    assert _version_reads(queries.captured_queries) == 1
    # Outside a request every call reads it: a command or a job sees each commit.
    with CaptureQueriesContext(connection) as queries:
        refdata.snapshot()
        refdata.snapshot()
    assert _version_reads(queries.captured_queries) == 2


def test_a_change_made_during_a_request_is_seen_later_in_it(db):
    # The receivers of request_started / request_finished (the signals themselves would
    # also close the test's connection).
    refdata._request_started()
    try:
        before = refdata.snapshot()
        assert refdata.snapshot() is before
        category = Category.objects.get(code="heating")
        category.name = "供热"
        category.save()  # raises the counter, and forgets this request's check
        after = refdata.snapshot()
        assert after is not before and after.by_code["heating"].name == "供热"
    finally:
        refdata._request_finished()


def _public_intake(client, text: str, category: str = "sanitation"):
    import json

    body = {
        "text": text,
        "category": category,
        "phone": "13804371234",
        "unit_code": "220403001001001",
    }
    return client.post("/api/tickets/public", json.dumps(body), content_type="application/json")


def test_intake_checks_the_counter_inside_its_repeat_check(client, clock, personas):
    """An intake request takes the copy this process holds and compares its version in the
    statement of its repeat check: no statement of its own for the counter."""
    from django.test.utils import CaptureQueriesContext

    # (The first requests load the catalogue, and may add a street's unit to it.)
    assert _public_intake(client, "小区门口垃圾好几天没人清运了").status_code == 201
    assert _public_intake(client, "小区门口垃圾桶坏了没人修", "property").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        assert _public_intake(client, "楼下垃圾桶满了一直没人清运").status_code == 201
    reads = [q["sql"] for q in queries.captured_queries if "tickets_catalogueversion" in q["sql"]]
    assert len(reads) == 1 and "text_hash" in reads[0]


def test_intake_sees_a_rule_another_process_committed(client, clock, personas, units):
    """Another worker adds a routing rule and raises the counter; this process still holds
    the old copy. Its next intake finds the counter moved, works the request out again with
    the new catalogue and routes by the new rule, writing one ticket."""
    from django.test.utils import CaptureQueriesContext

    from shequ.tickets.models import Ticket

    first = _public_intake(client, "小区门口垃圾好几天没人清运了")
    assert Ticket.objects.get(number=first.json()["number"]).assigned_unit.admin_unit.code == (
        "220403001"
    )  # the street, by default
    community = ResponsibleUnit.objects.create(admin_unit=units["community_a"])
    held = refdata.snapshot()  # this process's copy, current now
    with connection.cursor() as cursor:  # behind this process's back: no signal here
        cursor.execute(
            "INSERT INTO tickets_routingrule (category_id, unit_prefix, responsible_unit_id, note)"
            " VALUES (%s, %s, %s, '')",
            [Category.objects.get(code="sanitation").pk, "220403001001", community.pk],
        )
        cursor.execute("UPDATE tickets_catalogueversion SET n = n + 1 WHERE id = 1")
    count = Ticket.objects.count()

    with CaptureQueriesContext(connection) as queries:
        second = _public_intake(client, "楼下垃圾桶满了一直没人清运")
    assert second.status_code == 201 and Ticket.objects.count() == count + 1
    assert Ticket.objects.get(number=second.json()["number"]).assigned_unit_id == community.pk
    assert _version_reads(queries.captured_queries) == 2  # assumed, then read again
    assert refdata._current.version == held.version + 1
