"""The registry API: scope, masking, JSON errors with a code and a message."""

from __future__ import annotations

import json

import pytest

from shequ.audit.models import AuditEntry, ClearRead
from shequ.conftest import id_number
from shequ.registry.models import Person

pytestmark = pytest.mark.django_db

LISTS = ["/api/units", "/api/buildings", "/api/households", "/api/persons", "/api/workers"]


@pytest.mark.parametrize("url", LISTS)
def test_lists_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_person_list_is_scoped_and_masked(login, personas, people):
    body = login(personas["clerk_a"]).get("/api/persons").json()
    assert body["count"] == 2
    names = {p["name"] for p in body["items"]}
    assert names == {"王秀兰", "李建国"}
    wang = next(p for p in body["items"] if p["name"] == "王秀兰")
    assert wang["id_number"] == people["wang"].id_number_mask
    assert "*" in wang["id_number"] and wang["phone"] == "138****1234"
    assert wang["tags"] == ["living_alone"]


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("clerk_a", 2),
        ("clerk_b", 1),
        ("officer_a", 2),
        ("admin", 3),
        ("grid_a", 1),
        ("handler", 0),
        ("leader", 3),
    ],
)
def test_every_persona_sees_its_subtree(login, personas, people, persona, expected):
    assert login(personas[persona]).get("/api/persons").json()["count"] == expected


@pytest.mark.parametrize("kind", ["persons", "households"])
def test_detail_outside_scope_is_404_json(login, personas, people, kind):
    target = people["zhao"] if kind == "persons" else people["h_b"]
    response = login(personas["clerk_a"]).get(f"/api/{kind}/{target.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert login(personas["clerk_b"]).get(f"/api/{kind}/{target.pk}").status_code == 200


def test_units_buildings_workers_outside_scope(login, personas, people, units):
    from shequ.registry.models import Building, Worker

    b = Building.objects.create(unit=units["community_b"], number="9号楼")
    w = Worker.objects.create(name="孙丽", unit=units["community_b"])
    client = login(personas["clerk_a"])
    assert client.get("/api/units/220403002001").status_code == 404
    assert client.get(f"/api/buildings/{b.pk}").status_code == 404
    assert client.get(f"/api/workers/{w.pk}").status_code == 404
    assert {u["code"] for u in client.get("/api/units?page_size=100").json()["items"]} == {
        "220403001001",
        "220403001001001",
        "220403001001002",
    }
    assert login(personas["clerk_b"]).get(f"/api/workers/{w.pk}").json()["name"] == "孙丽"


def test_filters_and_pagination(login, personas, people):
    client = login(personas["admin"])
    page = client.get("/api/persons?page_size=1&page=2").json()
    assert page["count"] == 3 and len(page["items"]) == 1
    assert client.get("/api/persons?unit=220403002").json()["count"] == 1
    assert client.get("/api/persons?tag=disabled").json()["items"][0]["name"] == "李建国"
    assert client.get("/api/units?level=street").json()["count"] == 3
    assert client.get("/api/persons?page_size=100000").status_code == 422


def _post(client, payload):
    return client.post(
        "/api/persons",
        data=json.dumps(payload) if isinstance(payload, dict) else payload,
        content_type="application/json",
    )


def test_create_person_encrypts_and_audits(login, personas, units):
    number = id_number(7, __import__("datetime").date(1948, 2, 2), "M")
    response = _post(
        login(personas["clerk_a"]),
        {"name": "周长顺", "id_number": number, "unit_code": "220403001001002"},
    )
    assert response.status_code == 201
    assert response.json()["id_number"] != number
    person = Person.objects.get(name="周长顺")
    assert number not in person.id_number_enc
    entry = AuditEntry.objects.get(object_id=str(person.pk))
    assert entry.action == "create" and entry.actor == personas["clerk_a"]
    assert number not in json.dumps(entry.changes, ensure_ascii=False)


@pytest.mark.parametrize(
    "payload,status,code",
    [
        ("{not json", 400, None),
        ({"name": "周长顺"}, 422, "validation_error"),
        (
            {"name": "周长顺", "id_number": "220403194802020010", "unit_code": "220403001001"},
            400,
            "bad_id_number",
        ),
        ({"name": "周长顺", "id_number": "VALID", "unit_code": "999999999999"}, 404, "not_found"),
        ({"name": "周长顺", "id_number": "VALID", "unit_code": "220403002001"}, 404, "not_found"),
        ({"name": "", "id_number": "VALID", "unit_code": "220403001001"}, 400, "invalid"),
        (
            {"name": "周长顺", "id_number": "VALID", "unit_code": "220403001001", "phone": "12345"},
            400,
            "bad_phone",
        ),
    ],
)
def test_bad_person_input_changes_nothing(login, personas, units, payload, status, code):
    if isinstance(payload, dict) and payload.get("id_number") == "VALID":
        payload["id_number"] = id_number(8, __import__("datetime").date(1948, 2, 2), "M")
    response = _post(login(personas["clerk_a"]), payload)
    assert response.status_code == status
    if code:
        assert response.json()["code"] == code
        assert response.json()["message"]
    assert Person.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_duplicate_person_is_409(login, personas, people):
    from shequ.registry.pii import cipher

    number = cipher().decrypt(people["wang"].id_number_enc)
    response = _post(
        login(personas["clerk_a"]),
        {"name": "王秀兰", "id_number": number, "unit_code": "220403001001"},
    )
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_person"
    assert Person.objects.count() == 3


def test_leader_cannot_write(login, personas, units):
    response = _post(
        login(personas["leader"]),
        {"name": "周长顺", "id_number": id_number(9), "unit_code": "220403001001"},
    )
    assert response.status_code == 403
    assert Person.objects.count() == 0


def test_reveal_endpoint_logs_and_respects_role(login, personas, people):
    wang = people["wang"]
    url = f"/api/persons/{wang.pk}/reveal"
    body = json.dumps({"reason": "核对身份"})
    ok = login(personas["clerk_a"]).post(url, data=body, content_type="application/json")
    assert ok.status_code == 200 and len(ok.json()["id_number"]) == 18
    assert (
        login(personas["grid_a"]).post(url, data=body, content_type="application/json").status_code
        == 403
    )
    assert (
        login(personas["clerk_b"]).post(url, data=body, content_type="application/json").status_code
        == 404
    )
    assert ClearRead.objects.count() == 1


def test_openapi_docs_are_served(client):
    assert client.get("/api/openapi.json").status_code == 200
