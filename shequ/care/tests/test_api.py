"""The care API end to end: record a visit, read the rate, order and rate a service."""

from __future__ import annotations

import json

import pytest

from shequ.care.models import ServiceOrder, Visit

pytestmark = pytest.mark.django_db


def post(client, path, payload):
    return client.post(
        f"/api/care{path}", data=json.dumps(payload), content_type="application/json"
    )


def test_a_grid_worker_records_a_visit_with_needs(login, personas, care, providers):
    client = login(personas["grid_a"])
    response = post(
        client,
        "/visits",
        {"person_id": care["wang"].pk, "needs": ["meal"], "needs_note": "行动不便", "gas_ok": True},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["counted"] and body["task_status"] == "done"
    order = ServiceOrder.objects.get(pk=body["order_ids"][0])
    assert order.visit_id == body["visit"]["id"] and order.provider == providers["xingfu"]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"visited_at": "2026-03-16T10:00:00+08:00"}, 400, "future_visit"),
        ({"method": "pigeon"}, 400, "invalid"),
    ],
)
def test_bad_visits_get_a_json_error_and_write_nothing(
    login, personas, care, payload, status, code
):
    response = post(login(personas["grid_a"]), "/visits", {"person_id": care["wang"].pk, **payload})
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.json()["message"]
    assert not Visit.objects.exists()


def test_a_duplicate_is_a_409(login, personas, care):
    client = login(personas["grid_a"])
    first = {"person_id": care["wang"].pk, "visited_at": "2026-03-15T09:00:00+08:00"}
    assert post(client, "/visits", first).status_code == 201
    again = post(client, "/visits", {**first, "visited_at": "2026-03-15T09:20:00+08:00"})
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_visit")


def test_the_rate_endpoint_gives_the_month_per_child_unit(login, personas, march):
    body = (
        login(personas["admin"])
        .get("/api/care/rate", {"month": "2026-03", "unit": "220403001"})
        .json()
    )
    assert body["unit"] == {
        "code": "220403001",
        "name": "太安街道",
        "targets": 6,
        "met": 3,
        "missed": 3,
        "rate": 0.5,
    }
    assert body["plan_target"] == 1.0
    missed = (
        login(personas["admin"])
        .get("/api/care/rate/missed", {"month": "2026-03", "unit": "220403"})
        .json()
    )
    assert missed["count"] == 4


def test_an_order_goes_from_request_to_rating(login, personas, care, providers):
    clerk = login(personas["clerk_a"])
    created = post(clerk, "/orders", {"target_id": care["target_wang"].pk, "kind": "clean"})
    assert created.status_code == 201 and created.json()["status"] == "requested"
    pk = created.json()["id"]
    scheduled = post(
        clerk,
        f"/orders/{pk}/schedule",
        {"provider_id": providers["xingfu"].pk, "scheduled_on": "2026-03-18"},
    )
    assert scheduled.json()["status"] == "scheduled"
    assert post(clerk, f"/orders/{pk}/rate", {"rating": 5}).status_code == 409
    done = post(login(providers["xingfu_user"]), f"/orders/{pk}/complete", {"note": "已打扫"})
    assert done.json()["status"] == "done"
    rated = post(login(personas["clerk_a"]), f"/orders/{pk}/rate", {"rating": 4})
    assert rated.json()["rating"] == 4
