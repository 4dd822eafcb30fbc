"""Every registry page is limited to the user's scope: out of scope answers 404, writes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.audit.models import ClearRead

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, people):
    for url in (
        reverse("registry:tree"),
        reverse("registry:search"),
        reverse("registry:person", args=[people["wang"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_clerk_sees_her_community_and_not_another(login, personas, people):
    client = login(personas["clerk_a"])
    assert client.get(reverse("registry:unit", args=["220403001001"])).status_code == 200
    assert client.get(reverse("registry:unit", args=["220403002001"])).status_code == 404
    assert client.get(reverse("registry:unit", args=["220403001"])).status_code == 404


@pytest.mark.parametrize("name", ["person", "household"])
def test_record_pages_404_outside_scope(login, personas, people, name):
    target = people["zhao"] if name == "person" else people["h_b"]
    url = reverse(f"registry:{name}", args=[target.pk])
    assert login(personas["clerk_a"]).get(url).status_code == 404
    assert login(personas["clerk_b"]).get(url).status_code == 200
    assert login(personas["officer_a"]).get(url).status_code == 404
    assert login(personas["admin"]).get(url).status_code == 200


def test_grid_worker_sees_only_her_grid(login, personas, people):
    client = login(personas["grid_a"])
    assert client.get(reverse("registry:person", args=[people["wang"].pk])).status_code == 200
    assert client.get(reverse("registry:person", args=[people["li"].pk])).status_code == 404


def test_department_handler_sees_no_registry(login, personas, people):
    client = login(personas["handler"])
    assert client.get(reverse("registry:person", args=[people["wang"].pk])).status_code == 404
    response = client.get(reverse("registry:search"), {"q": "王秀兰"})
    assert list(response.context["results"]) == []
    assert 'data-testid="no-results"' in response.content.decode()


def test_tree_counts_follow_the_subtree(login, personas, people):
    response = login(personas["officer_a"]).get(reverse("registry:unit", args=["220403001"]))
    assert response.status_code == 200
    rows = {unit.code: counts for unit, counts in response.context["rows"]}
    assert set(rows) == {"220403001001", "220403001002"}
    assert rows["220403001001"]["households"] == 2
    assert rows["220403001001"]["persons"] == 2
    assert rows["220403001001"]["elderly80"] == 1
    assert rows["220403001001"]["living_alone"] == 1
    assert rows["220403001001"]["disabled"] == 1
    assert rows["220403001002"].get("persons", 0) == 0


def test_tree_page_costs_a_fixed_number_of_queries(
    login, personas, people, django_assert_max_num_queries
):
    client = login(personas["admin"])
    with django_assert_max_num_queries(30):
        assert client.get(reverse("registry:unit", args=["220403"])).status_code == 200


def test_search_by_name_phone_and_id_stays_in_scope(login, personas, people):
    from shequ.conftest import id_number

    clerk_a = login(personas["clerk_a"])

    def found(q):
        return [
            p.name
            for p in clerk_a.get(
                reverse("registry:search"),
                {"q": q},
            ).context["results"]
        ]

    assert found("王秀") == ["王秀兰"]
    assert found("13804371234") == ["王秀兰"]
    assert found(id_number(1, __import__("datetime").date(1938, 5, 1), "F")) == ["王秀兰"]
    # 赵明 lives in 仙城社区: not found by name, nor by his exact ID number.
    assert found("赵明") == []
    assert found(id_number(3, __import__("datetime").date(1990, 1, 20), "M")) == []


def test_pages_show_masked_numbers_only(login, personas, people):
    from shequ.registry.pii import cipher

    clear = cipher().decrypt(people["wang"].id_number_enc)
    body = (
        login(personas["clerk_a"])
        .get(reverse("registry:person", args=[people["wang"].pk]))
        .content.decode()
    )
    assert clear not in body
    assert people["wang"].id_number_mask in body
    assert "13804371234" not in body and "138****1234" in body


def test_reveal_shows_clear_number_once_and_logs_it(login, personas, people):
    from shequ.registry.pii import cipher

    wang = people["wang"]
    response = login(personas["clerk_a"]).post(
        reverse("registry:reveal", args=[wang.pk]), {"reason": "核对高龄津贴", "field": "id_number"}
    )
    assert cipher().decrypt(wang.id_number_enc) in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    read = ClearRead.objects.get()
    assert (read.actor, read.object_id, read.field, read.reason) == (
        personas["clerk_a"],
        str(wang.pk),
        "id_number",
        "核对高龄津贴",
    )


def test_reveal_refused_without_reason_or_role_or_scope(login, personas, people):
    wang = people["wang"]
    url = reverse("registry:reveal", args=[wang.pk])
    login(personas["clerk_a"]).post(url, {"reason": ""})
    login(personas["leader"]).post(url, {"reason": "想看看"})
    assert login(personas["clerk_b"]).post(url, {"reason": "想看看"}).status_code == 404
    assert ClearRead.objects.count() == 0
