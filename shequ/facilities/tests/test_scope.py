"""Every facility page and endpoint is limited by scope: out of scope is 404, the handler
(no unit) sees nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def page_urls(places) -> list[str]:
    f = places["comp_a"].pk
    return [
        reverse("facilities:unit", args=["220403001001"]),
        reverse("facilities:detail", args=[f]),
        reverse("facilities:map", args=["220403001001"]),
        reverse("facilities:coverage", args=["220403001001"]),
        reverse("facilities:coverage_export", args=["220403001001"]),
    ]


def api_urls(places) -> list[str]:
    f = places["comp_a"].pk
    return [
        f"/api/facilities/facilities/{f}",
        f"/api/facilities/facilities/{f}/checks",
        f"/api/facilities/facilities/{f}/isochrones",
        "/api/facilities/units/220403001001/checks",
        "/api/facilities/coverage?unit=220403001001",
        "/api/facilities/map/220403001001",
        "/api/facilities/siting?unit=220403001001&type=parcel",
    ]


@pytest.mark.parametrize("persona", ["clerk_b", "handler", "grid_a"])
def test_pages_of_another_community_are_not_found(login, personas, places, persona):
    client = login(personas[persona])
    for url in page_urls(places):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("persona", ["clerk_b", "handler", "grid_a"])
def test_endpoints_of_another_community_are_not_found(login, personas, places, persona):
    client = login(personas[persona])
    for url in api_urls(places):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("persona", ["clerk_a", "officer_a", "admin", "leader"])
def test_pages_of_the_community_open_for_those_above_it(login, personas, places, persona):
    client = login(personas[persona])
    for url in page_urls(places):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "persona,names",
    [
        ("clerk_a", {"泰安社区党群服务中心", "泰安快递驿站"}),
        ("clerk_b", {"仙城社区党群服务中心"}),
        ("officer_a", {"泰安社区党群服务中心", "泰安快递驿站"}),
        ("admin", {"泰安社区党群服务中心", "泰安快递驿站", "仙城社区党群服务中心"}),
        ("grid_a", set()),
        ("handler", set()),
    ],
)
def test_the_list_endpoint_shows_each_persona_its_subtree(login, personas, places, persona, names):
    body = login(personas[persona]).get("/api/facilities/facilities").json()
    assert {f["name"] for f in body["items"]} == names


@pytest.mark.parametrize("persona,count", [("clerk_a", 2), ("clerk_b", 1), ("handler", 0)])
def test_the_list_page_shows_each_persona_its_subtree(login, personas, places, persona, count):
    response = login(personas[persona]).get(reverse("facilities:index"))
    if persona == "handler":
        assert response.status_code == 404  # no unit at all
        return
    assert len(response.context["rows"]) == count


def test_the_handler_sees_no_run(login, personas, places):
    client = login(personas["handler"])
    assert client.get(reverse("facilities:runs")).status_code == 404
    assert client.get("/api/facilities/runs/current").status_code == 404


def test_the_export_holds_only_the_scope(login, personas, places):
    import io

    from openpyxl import load_workbook

    response = login(personas["clerk_b"]).get(reverse("facilities:export"))
    ws = load_workbook(io.BytesIO(response.content)).active
    names = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert names == ["仙城社区党群服务中心"]


def test_anonymous_users_are_sent_to_log_in(client, places):
    for url in page_urls(places):
        assert client.get(url).status_code == 302
    assert client.get("/api/facilities/facilities").status_code == 401
