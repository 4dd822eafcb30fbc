"""Home-care orders: ordered, scheduled, confirmed by the provider, rated by the resident."""

from __future__ import annotations

from datetime import date

import pytest

from shequ.care import orders as service
from shequ.care.models import OrderStatus, ServiceOrder
from shequ.errors import Conflict, Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db


def test_an_order_with_provider_and_date_is_scheduled_at_once(orders, providers):
    meal = orders["meal"]
    assert (meal.status, meal.provider, meal.scheduled_on) == (
        OrderStatus.SCHEDULED,
        providers["xingfu"],
        date(2026, 3, 16),
    )


def test_the_only_provider_serving_the_area_is_proposed(care, providers, personas):
    order = service.create_order(
        service.OrderInput(target_id=care["target_wang"].pk, kind="clean"), actor=personas["grid_a"]
    )
    assert (order.status, order.provider) == (OrderStatus.REQUESTED, providers["xingfu"])


def test_the_provider_confirms_and_the_community_records_the_rating(orders, providers, personas):
    done = service.complete_order(orders["meal"], actor=providers["xingfu_user"], note="送餐到户")
    assert done.status == OrderStatus.DONE and done.completed_by == providers["xingfu_user"]
    rated = service.rate_order(done, actor=personas["clerk_a"], rating=5, note="饭菜可口")
    assert (rated.rating, rated.rating_note) == (5, "饭菜可口")
    with pytest.raises(Conflict, match="已评价"):
        service.rate_order(done, actor=personas["clerk_a"], rating=4)


def test_a_provider_cannot_touch_another_providers_order(orders, providers):
    with pytest.raises(NotFound):
        service.complete_order(orders["bath"], actor=providers["xingfu_user"])
    assert ServiceOrder.objects.get(pk=orders["bath"].pk).status == OrderStatus.SCHEDULED


def test_a_provider_cannot_order_or_rate(care, orders, providers):
    with pytest.raises(Forbidden):
        service.create_order(
            service.OrderInput(target_id=care["target_wang"].pk, kind="meal"),
            actor=providers["xingfu_user"],
        )
    service.complete_order(orders["meal"], actor=providers["xingfu_user"])
    with pytest.raises(Forbidden):
        service.rate_order(orders["meal"], actor=providers["xingfu_user"], rating=5)


def test_rating_before_the_service_is_done_is_refused(orders, personas):
    with pytest.raises(Conflict, match="服务完成后"):
        service.rate_order(orders["meal"], actor=personas["clerk_a"], rating=5)


def test_bad_orders_are_refused(care, providers, personas):
    clerk = personas["clerk_a"]
    with pytest.raises(Invalid, match="不提供此项服务"):  # 康乐 bathes, it does not cook
        service.create_order(
            service.OrderInput(
                target_id=care["target_wang"].pk, kind="meal", provider_id=providers["kangle"].pk
            ),
            actor=clerk,
        )
    with pytest.raises(Invalid, match="早于今天"):
        service.create_order(
            service.OrderInput(
                target_id=care["target_wang"].pk,
                kind="meal",
                provider_id=providers["xingfu"].pk,
                scheduled_on=date(2026, 3, 1),
            ),
            actor=clerk,
        )
    with pytest.raises(NotFound):
        service.create_order(
            service.OrderInput(target_id=care["target_wang"].pk, kind="meal"),
            actor=personas["clerk_b"],
        )
    assert not ServiceOrder.objects.exists()


def test_a_cancelled_order_cannot_be_completed(orders, personas, providers):
    service.cancel_order(orders["meal"], actor=personas["clerk_a"], reason="住院")
    with pytest.raises(Conflict, match="已取消"):
        service.complete_order(orders["meal"], actor=providers["xingfu_user"])
