"""Pages and endpoints render what they should, at a fixed cost in queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.facilities import accessibility
from shequ.facilities.models import AccessRun, RunStatus

from .conftest import make_facility

pytestmark = pytest.mark.django_db


def test_the_map_page_has_the_map_container_and_its_data_urls(login, personas, places):
    response = login(personas["clerk_a"]).get(
        reverse("facilities:map", args=["220403001001"]), {"type": "parcel"}
    )
    html = response.content.decode()
    assert 'id="fac-map"' in html
    assert 'data-layers-url="/api/facilities/map/220403001001?type=parcel"' in html
    assert 'data-isochrones-url="/api/facilities/facilities/{id}/isochrones"' in html
    assert 'data-siting-url="/api/facilities/siting"' in html
    assert "web/vendor/leaflet/leaflet.js" in html and "facilities/map.js" in html
    assert 'data-tile-url=""' in html  # no tiles unless configured


def test_the_map_page_says_when_the_layout_is_generated(login, personas, places, units, settings):
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    units["community_a"].geometry_generated = True
    units["community_a"].save()
    html = (
        login(personas["clerk_a"])
        .get(reverse("facilities:map", args=["220403001001"]))
        .content.decode()
    )
    assert 'data-testid="generated-notice"' in html
    assert 'data-tile-url="https://tiles.example/{z}/{x}/{y}.png"' in html


def test_map_layers_give_boundaries_buildings_and_facilities(
    login, personas, places, units, line_network
):
    units["community_a"].boundary = {
        "type": "Polygon",
        "coordinates": [[[125.12, 42.89], [125.14, 42.89], [125.14, 42.91], [125.12, 42.89]]],
    }
    units["community_a"].save()
    accessibility.compute_access(line_network)
    body = (
        login(personas["clerk_a"])
        .get("/api/facilities/map/220403001001", {"type": "parcel"})
        .json()
    )
    assert body["units"]["features"][0]["properties"]["code"] == "220403001001"
    access = {
        f["properties"]["number"]: f["properties"]["access"] for f in body["buildings"]["features"]
    }
    # the parcel station is at node 5: five blocks (about 408 m, 5.7 min) from A0
    assert access == {"A0": "beyond", "A2": "within", "A5": "within"}
    assert {f["properties"]["name"] for f in body["facilities"]["features"]} == {
        "泰安社区党群服务中心",
        "泰安快递驿站",
    }
    assert body["summary"]["uncovered_households"] == 2  # the two households of A0


def test_the_list_page_shows_each_failing_check_with_its_reason(login, personas, places):
    html = login(personas["officer_a"]).get(reverse("facilities:index")).content.decode()
    assert "泰安社区党群服务中心" in html
    # 泰安社区 has 400 m² for 1000 households: 40 m² per 100, but no self-service terminal
    assert "本社区没有在用的政务通用自助服务终端（指标6）" in html


def test_the_detail_page_explains_the_failures(login, personas, places):
    html = (
        login(personas["clerk_b"])
        .get(reverse("facilities:detail", args=[places["comp_b"].pk]))
        .content.decode()
    )
    assert "仅占总面积300㎡的40.0%" in html
    assert "周一仅开放6小时" in html and "节假日不开放" in html


def test_list_pages_cost_a_fixed_number_of_queries(
    login, personas, places, units, django_assert_max_num_queries
):
    client = login(personas["admin"])
    url = reverse("facilities:unit", args=["220403"])
    with django_assert_max_num_queries(20) as before:
        client.get(url)
    for i in range(10):
        make_facility(units["community_a"], "comprehensive", f"分中心{i}", hours={"0": "all_day"})
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert len(client.get(url).context["rows"]) == 13
    with django_assert_max_num_queries(20):
        client.get("/api/facilities/facilities?unit=220403")
    with django_assert_max_num_queries(25):
        client.get(reverse("facilities:coverage", args=["220403"]))


def test_the_coverage_page_and_its_export(login, personas, places, line_network):
    accessibility.compute_access(line_network)
    client = login(personas["officer_a"])
    html = client.get(reverse("facilities:coverage", args=["220403001"])).content.decode()
    assert 'data-testid="coverage"' in html and "泰安社区" in html
    assert "80.0%" in html  # comprehensive: 4 of 5 households (one building unlocated)
    response = client.get(reverse("facilities:coverage_export", args=["220403001"]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_coverage_endpoint(login, personas, places, line_network):
    accessibility.compute_access(line_network)
    body = (
        login(personas["officer_a"]).get("/api/facilities/coverage", {"unit": "220403001"}).json()
    )
    first = body["units"][0]
    assert first["code"] == "220403001" and first["total"]["households"] == 5
    assert first["shares"]["comprehensive"]["households"] == pytest.approx(0.8)
    assert first["unlocated_households"] == 1


def test_the_progress_bar_polls_while_a_run_is_open(login, personas, places):
    client = login(personas["clerk_a"])
    AccessRun.objects.create(status=RunStatus.RUNNING, progress=40, message="已保存：快递驿站")
    html = client.get(reverse("facilities:run_progress")).content.decode()
    assert 'hx-trigger="every 2s"' in html and 'value="40"' in html
    AccessRun.objects.update(status=RunStatus.DONE, progress=100)
    html = client.get(reverse("facilities:run_progress")).content.decode()
    assert "hx-trigger" not in html and 'value="100"' in html


def test_starting_a_run_from_the_page(login, personas, places, monkeypatch):
    client = login(personas["clerk_a"])
    response = client.post(reverse("facilities:run_start"))
    assert response.status_code == 302
    assert AccessRun.objects.filter(status=RunStatus.QUEUED).count() == 1
    login(personas["leader"]).post(reverse("facilities:run_start"))
    assert AccessRun.objects.count() == 1


def test_isochrones_of_a_facility_are_geojson(login, personas, places, line_network, settings):
    line_network.save(settings.VAR_DIR / "network.npz")
    body = (
        login(personas["clerk_a"])
        .get(f"/api/facilities/facilities/{places['comp_a'].pk}/isochrones", {"minutes": "1,2"})
        .json()
    )
    assert body["type"] == "FeatureCollection"
    assert sorted(f["properties"]["minutes"] for f in body["features"]) == [1, 2]


def test_isochrones_without_a_network_are_a_json_error(login, personas, places):
    response = login(personas["clerk_a"]).get(
        f"/api/facilities/facilities/{places['comp_a'].pk}/isochrones"
    )
    assert response.status_code == 400 and response.json()["code"] == "no_network"


def test_siting_suggests_sites_for_the_uncovered(login, personas, places, line_network, settings):
    line_network.save(settings.VAR_DIR / "network.npz")
    accessibility.compute_access(line_network)
    places["parcel_a"].delete()
    accessibility.compute_access(line_network)
    body = (
        login(personas["clerk_a"])
        .get("/api/facilities/siting", {"unit": "220403001001", "type": "parcel", "k": 1})
        .json()
    )
    assert body["uncovered_households"] == 4
    assert len(body["sites"]) == 1 and body["sites"][0]["households"] >= 3
    assert body["message"]


def test_siting_rejects_an_unknown_type(login, personas, places):
    response = login(personas["clerk_a"]).get(
        "/api/facilities/siting", {"unit": "220403001001", "type": "nope"}
    )
    assert response.status_code == 400 and response.json()["field"] == "type"


def test_the_detail_endpoint_gives_hours_rooms_and_checks(login, personas, places):
    from shequ.facilities.models import Room

    Room.objects.create(facility=places["comp_a"], name="多功能室", functions=["meeting", "study"])
    body = (
        login(personas["clerk_a"]).get(f"/api/facilities/facilities/{places['comp_a'].pk}").json()
    )
    assert body["type"] == "comprehensive" and body["unit_code"] == "220403001001"
    assert body["rooms"] == [{"name": "多功能室", "area": None, "functions": ["meeting", "study"]}]
    assert {h["day"] for h in body["hours"]} == {"0", "1", "2", "3", "4", "5", "6", "holiday"}
    assert [c["status"] for c in body["checks"]] == ["pass", "pass", "pass"]


def test_the_unit_checks_endpoint_explains_each_community(login, personas, places):
    body = login(personas["officer_a"]).get("/api/facilities/units/220403001/checks").json()
    by_code = {u["code"]: {c["code"]: c for c in u["checks"]} for u in body}
    assert set(by_code) == {"220403001001", "220403001002"}
    assert by_code["220403001001"]["area_per_100_households"]["status"] == "pass"
    assert by_code["220403001002"]["has_comprehensive"]["status"] == "fail"
    assert "指标6" in by_code["220403001001"]["self_service"]["reason"]


def test_the_endpoints_are_in_the_openapi_schema(login, personas):
    paths = login(personas["admin"]).get("/api/openapi.json").json()["paths"]
    ours = {p for p in paths if p.startswith("/api/facilities/")}
    assert {
        "/api/facilities/map/{code}",
        "/api/facilities/siting",
        "/api/facilities/facilities/{facility_id}/isochrones",
    } <= ours
