"""Open311 GeoReport v2: the spec's endpoints, formats and errors; a round trip on a live
server with the real ``georeport`` client library."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree as ET

import pytest

from shequ.tickets.models import ApiKey, Ticket
from shequ.tickets.open311 import issue_key

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


@pytest.fixture
def key(db):
    return issue_key("市12345平台")[1]


@pytest.fixture
def located(units):
    """泰安社区 has a surveyed centre, so a point near it is located there."""
    units["community_a"].centre_lat, units["community_a"].centre_lon = 42.9052, 125.1398
    units["community_a"].save()
    return units


def form(key, **extra):
    data = {
        "api_key": key,
        "service_code": "facilities",
        "lat": "42.9050",
        "long": "125.1400",
        "description": "人民路口井盖缺失，夜间很危险，电话13804371234",
        "first_name": "秀兰",
        "last_name": "王",
        "phone": "13804371234",
        "device_id": "app-1",
    }
    data.update(extra)
    return data


# ------------------------------------------------------------- services


def test_the_service_list_is_the_catalogue_in_json_and_xml(client):
    services = client.get(f"{BASE}/services.json").json()
    heating = next(s for s in services if s["service_code"] == "heating")
    assert heating == {
        "service_code": "heating",
        "service_name": "供暖",
        "description": "室内温度不达标、暖气不热、管道漏水、供热收费",
        "metadata": True,
        "type": "realtime",
        "keywords": "供暖,暖气,不热,温度,供热,采暖",
        "group": "住房城建",
    }

    root = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services"
    assert "供暖" in [s.findtext("service_name") for s in root.findall("service")]


def test_a_service_definition_lists_its_attributes(client):
    definition = client.get(f"{BASE}/services/safety.json").json()
    attribute = definition["attributes"][0]
    assert definition["service_code"] == "safety"
    assert (attribute["code"], attribute["datatype"], attribute["required"]) == (
        "danger_now",
        "singlevaluelist",
        True,
    )
    assert attribute["values"] == [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]
    xml = ET.fromstring(client.get(f"{BASE}/services/safety.xml").content)
    assert xml.find("attributes/attribute/values/value/key").text == "yes"


def test_an_unknown_service_is_404_as_an_error_list(client):
    response = client.get(f"{BASE}/services/nope.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "service_code nope not found"}]
    xml = ET.fromstring(client.get(f"{BASE}/services/nope.xml").content)
    assert xml.tag == "errors" and xml.findtext("error/code") == "404"


# --------------------------------------------------------------- requests


def test_a_client_posts_form_encoded_and_reads_it_back(client, key, clock, located):
    response = client.post(f"{BASE}/requests.json", form(key))

    assert response.status_code == 201
    [created] = response.json()
    ticket = Ticket.objects.get(number=created["service_request_id"])
    assert ticket.client == "市12345平台" and ticket.status == "dispatched"
    assert ticket.unit_code == "220403001001"  # the nearest community centre
    assert ticket.contact_name_mask == "王**"
    [read] = client.get(f"{BASE}/requests/{ticket.number}.json").json()
    assert read["status"] == "open" and read["service_code"] == "facilities"
    assert read["agency_responsible"] == "太安街道"  # 设施维修 is the street's
    assert read["expected_datetime"] == "2025-09-11T10:00:00+08:00"
    assert "13804371234" not in read["description"] and "138****1234" in read["description"]
    token = created["token"]
    assert client.get(f"{BASE}/tokens/{token}.json").json() == [
        {"service_request_id": ticket.number, "token": token}
    ]


@pytest.mark.parametrize(
    "change,status,text",
    [
        ({"api_key": ""}, 403, "api_key was not provided"),
        ({"api_key": "wrong"}, 403, "api_key is invalid"),
        ({"service_code": "nope"}, 400, "service_code nope is invalid"),
        ({"service_code": ""}, 400, "service_code is required"),
        ({"lat": "", "long": ""}, 400, "a location is required"),
        ({"description": ""}, 400, "诉求内容"),
        ({"lat": "north"}, 400, "坐标"),
    ],
)
def test_bad_posts_answer_the_spec_error_list_and_store_nothing(
    client, key, clock, units, change, status, text
):
    response = client.post(f"{BASE}/requests.json", form(key, **change))
    assert response.status_code == status
    [error] = response.json()
    assert error["code"] == status and text in error["description"]
    assert Ticket.objects.count() == 0


def test_a_revoked_key_is_refused(client, key, clock, units):
    ApiKey.objects.update(active=False)
    assert client.post(f"{BASE}/requests.json", form(key)).status_code == 403


def test_posting_the_same_request_again_returns_the_first(client, key, clock, units):
    first = client.post(f"{BASE}/requests.json", form(key)).json()[0]
    again = client.post(f"{BASE}/requests.json", form(key))
    assert again.status_code == 200
    assert again.json()[0]["service_request_id"] == first["service_request_id"]
    assert Ticket.objects.count() == 1


def test_requests_filter_by_code_status_dates_and_page(client, file_ticket, personas, clock):
    from shequ.tickets import services
    from shequ.tickets.tests.conftest import beijing

    heat = file_ticket("家里暖气不热，室温低", category="heating")
    lifts = [file_ticket(f"第{i}部电梯坏了", category="property") for i in range(3)]
    services.resolve(
        services.accept(heat, actor=personas["handler"]),
        actor=personas["handler"],
        text="已派人检修，暖气恢复",
    )
    clock(beijing(2025, 9, 5, 9, 0))

    def ids(**params):
        return [r["service_request_id"] for r in client.get(f"{BASE}/requests.json", params).json()]

    assert set(ids(service_code="heating")) == {heat.number}
    assert set(ids(status="closed")) == {heat.number}
    assert set(ids(status="open")) == {t.number for t in lifts}
    assert ids(start_date="2025-09-03T00:00:00+08:00") == []
    assert len(ids(page_size="2")) == 2 and len(ids(page_size="2", page="2")) == 2
    # service_request_id overrides every other filter, as the spec says.
    both = ids(service_request_id=f"{heat.number},{lifts[0].number}", status="open")
    assert set(both) == {heat.number, lifts[0].number}
    [closed] = client.get(f"{BASE}/requests/{heat.number}.json").json()
    assert closed["status"] == "closed" and closed["status_notes"] == "已派人检修，暖气恢复"


@pytest.mark.parametrize(
    "params,text",
    [
        ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-09-01T00:00:00Z"}, "90 days"),
        ({"start_date": "yesterday"}, "W3C"),
        ({"status": "pending"}, "open or closed"),
        ({"page": "0"}, "positive integer"),
    ],
)
def test_bad_filters_are_400(client, db, params, text):
    response = client.get(f"{BASE}/requests.json", params)
    assert response.status_code == 400 and text in response.json()[0]["description"]


def test_unknown_request_and_token_are_404(client, db):
    assert client.get(f"{BASE}/requests/NOPE.json").status_code == 404
    assert client.get(f"{BASE}/tokens/abc123.xml").status_code == 404


def test_requests_in_xml(client, file_ticket):
    ticket = file_ticket(category="property")
    root = ET.fromstring(client.get(f"{BASE}/requests/{ticket.number}.xml").content)
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == ticket.number
    assert root.findtext("request/agency_responsible") == "区住建局"


def test_other_methods_are_refused(client, db):
    assert client.delete(f"{BASE}/requests.json").status_code == 405


def test_the_admin_issues_a_key_shown_once(admin_client, db):
    from django.contrib.messages import get_messages

    response = admin_client.post(
        "/admin/tickets/apikey/add/", {"name": "区网格化平台", "active": "on"}
    )
    assert response.status_code == 302
    key = ApiKey.objects.get(name="区网格化平台")
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    raw = next(m for m in shown if key.prefix in m).split("：")[-1].strip()
    assert ApiKey.objects.filter(
        key_hash=__import__("hashlib").sha256(raw.encode()).hexdigest()
    ).exists()


# -------------------------------------------------------------- live server


@pytest.mark.django_db(transaction=True)
def test_round_trip_with_the_real_georeport_client(live_server, key, located):
    from georeport import GeoReport

    root = f"{live_server.url}{BASE}"
    client = GeoReport(root, api_key=key)

    services = client.get_service_list()
    assert "facilities" in [s["service_code"] for s in services]
    definition = client.get_service_definition("heating")
    assert [a["code"] for a in definition["attributes"]] == ["temperature", "whole_building"]

    # georeport cannot post: a plain form-encoded POST exactly as the spec describes.
    body = urllib.parse.urlencode(form(key)).encode()
    request = urllib.request.Request(
        f"{root}/requests.json",
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
        created = json.loads(response.read())[0]
    number = created["service_request_id"]

    one = client.get_service_request(number)
    assert one["service_request_id"] == number and one["status"] == "open"
    assert one["service_name"] == "设施维修" and one["agency_responsible"] == "太安街道"
    listed = client.get_service_requests(service_code="facilities", status="open")
    assert number in [r["service_request_id"] for r in listed]
    assert client.get_service_requests(service_request_id=number)[0]["lat"] == 42.905

    xml_client = GeoReport(root, output_format="xml")
    assert xml_client.get_service_request(number)["service_request_id"] == number

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(
            urllib.request.Request(
                f"{root}/requests.json",
                method="POST",
                data=urllib.parse.urlencode(form("bad-key")).encode(),
            )
        )
    assert refused.value.code == 403
    assert json.loads(refused.value.read())[0]["code"] == 403
