"""Every care page and endpoint is limited to the user's scope: out of scope is a 404.

Personas: clerk_a keeps 泰安社区 (王秀兰, 李建国), clerk_b keeps 仙城社区, grid_a patrols grid 1
(王秀兰 only), a provider's staff see their provider's orders and nothing else.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from shequ.care.models import Visit

pytestmark = pytest.mark.django_db


def person_urls(pk):
    return [
        reverse("care:record", args=[pk]),
        reverse("care:visit", args=[pk]),
        reverse("care:order_new", args=[pk]),
    ]


def test_anonymous_is_sent_to_login(client, orders, care):
    urls = [
        reverse(f"care:{n}")
        for n in (
            "index",
            "mine",
            "targets",
            "rate",
            "rate_export",
            "overdue",
            "orders",
            "policies",
        )
    ]
    urls += [*person_urls(care["wang"].pk), reverse("care:order", args=[orders["meal"].pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"], url


def test_clerk_b_gets_404_for_taian_targets(login, personas, care, orders):
    client = login(personas["clerk_b"])
    for url in [*person_urls(care["wang"].pk), reverse("care:order", args=[orders["meal"].pk])]:
        assert client.get(url).status_code == 404, url
    for name in ("rate", "targets", "overdue", "rate_export"):
        assert client.get(reverse(f"care:{name}"), {"unit": "220403001001"}).status_code == 404
    response = client.post(reverse("care:visit", args=[care["wang"].pk]), {"method": "home"})
    assert response.status_code == 404 and not Visit.objects.exists()


def test_clerk_a_reaches_her_targets(login, personas, care, orders):
    client = login(personas["clerk_a"])
    for url in [*person_urls(care["wang"].pk), reverse("care:order", args=[orders["meal"].pk])]:
        assert client.get(url).status_code == 200, url
    names = [t.person.name for t in client.get(reverse("care:targets")).context["page"]]
    assert names == ["王秀兰", "李建国"]


def test_clerk_b_lists_show_nothing_of_taian(login, personas, care, orders):
    client = login(personas["clerk_b"])
    assert list(client.get(reverse("care:targets")).context["page"]) == []
    assert list(client.get(reverse("care:orders")).context["page"]) == []
    assert client.get(reverse("care:rate")).context["table"].total.targets == 0


def test_grid_a_sees_only_her_grid(login, personas, care):
    client = login(personas["grid_a"])
    assert client.get(reverse("care:index")).url == reverse("care:mine")
    work = client.get(reverse("care:mine")).context["work"]
    assert [t.target.person.name for t in work.pending] == ["王秀兰"]
    for url in person_urls(care["li"].pk):
        assert client.get(url).status_code == 404
    assert client.get(reverse("care:record", args=[care["wang"].pk])).status_code == 200


def test_a_provider_sees_only_its_own_orders(login, providers, orders, care):
    client = login(providers["xingfu_user"])
    assert client.get(reverse("care:index")).url == reverse("care:orders")
    listed = list(client.get(reverse("care:orders")).context["page"])
    assert listed == [orders["meal"]]
    assert client.get(reverse("care:order", args=[orders["meal"].pk])).status_code == 200
    assert client.get(reverse("care:order", args=[orders["bath"].pk])).status_code == 404
    for url in [*person_urls(care["wang"].pk), reverse("care:targets"), reverse("care:rate")]:
        assert client.get(url).status_code == 404, url


def test_roles_that_do_not_visit_get_no_visit_form(login, personas, care):
    client = login(personas["leader"])
    assert client.get(reverse("care:record", args=[care["wang"].pk])).status_code == 200
    assert client.get(reverse("care:visit", args=[care["wang"].pk])).status_code == 403
    assert client.post(reverse("care:visit", args=[care["wang"].pk])).status_code == 403
    assert not Visit.objects.exists()


def test_only_the_district_edits_policies(login, personas, policies):
    assert login(personas["clerk_a"]).get(reverse("care:policy_new")).status_code == 404
    assert login(personas["admin"]).get(reverse("care:policy_new")).status_code == 200


def test_a_department_handler_sees_nothing(login, personas, care, orders):
    client = login(personas["handler"])
    assert client.get(reverse("care:record", args=[care["wang"].pk])).status_code == 404
    assert client.get(reverse("care:rate")).status_code == 404
    assert list(client.get(reverse("care:orders")).context["page"]) == []


# --- the API ---------------------------------------------------------------------------


def api(client, method, path, payload=None):
    kwargs = {"data": json.dumps(payload), "content_type": "application/json"} if payload else {}
    return getattr(client, method)(f"/api/care{path}", **kwargs)


def test_api_targets_and_records_are_scoped(login, personas, care):
    client = login(personas["clerk_b"])
    assert api(client, "get", "/targets").json()["items"] == []
    assert api(client, "get", f"/targets/{care['target_wang'].pk}").status_code == 404
    assert api(client, "get", f"/persons/{care['wang'].pk}/record").status_code == 404
    assert api(client, "get", "/rate?unit=220403001001").status_code == 404
    assert api(client, "get", "/tasks").json()["items"] == []
    clerk_a = login(personas["clerk_a"])
    assert (
        api(clerk_a, "get", f"/targets/{care['target_wang'].pk}").json()["person_name"] == "王秀兰"
    )


def test_api_grid_worker_lists_her_grid_only(login, personas, care):
    client = login(personas["grid_a"])
    assert [w["person_name"] for w in api(client, "get", "/mine").json()] == ["王秀兰"]
    assert [t["person_name"] for t in api(client, "get", "/tasks").json()["items"]] == ["王秀兰"]
    assert api(client, "get", f"/persons/{care['li'].pk}/record").status_code == 404


def test_api_visit_out_of_scope_is_404_and_writes_nothing(login, personas, care):
    response = api(login(personas["clerk_b"]), "post", "/visits", {"person_id": care["wang"].pk})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Visit.objects.exists()


def test_api_provider_sees_only_its_orders(login, providers, orders):
    client = login(providers["kangle_user"])
    assert [o["kind"] for o in api(client, "get", "/orders").json()["items"]] == ["bath"]
    assert api(client, "get", f"/orders/{orders['meal'].pk}").status_code == 404
    assert (
        api(client, "post", f"/orders/{orders['meal'].pk}/complete", {"note": "x"}).status_code
        == 404
    )
    assert api(client, "get", "/targets").json()["items"] == []
    done = api(client, "post", f"/orders/{orders['bath'].pk}/complete", {"note": "助浴完成"})
    assert done.status_code == 200 and done.json()["status"] == "done"


def test_api_policies_are_changed_by_the_district_only(login, personas, policies):
    payload = {
        "care_class": "special_elderly",
        "name": "每两周探访",
        "months": [6, 7, 8],
        "period": "week",
        "min_visits": 1,
    }
    assert api(login(personas["clerk_a"]), "post", "/policies", payload).status_code == 403
    created = api(login(personas["admin"]), "post", "/policies", payload)
    assert created.status_code == 201 and created.json()["methods"] == ["home"]
