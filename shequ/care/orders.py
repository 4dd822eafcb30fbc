"""Home-care service orders (助餐 助浴 助洁 助医 助行, 专栏2 item 2): one transition table.

requested → scheduled → done, and cancelled from either open state; a rescheduling is
scheduled → scheduled. Every change goes through :func:`_transition`: lock, check, save,
audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from shequ.accounts.models import Role
from shequ.audit import services as audit
from shequ.audit.models import Action
from shequ.care import clock
from shequ.care.models import (
    CareTarget,
    OrderStatus,
    Provider,
    ServiceKind,
    ServiceOrder,
    Visit,
)
from shequ.errors import Conflict, Forbidden, Invalid, NotFound

ORDER_ROLES = frozenset({Role.GRID_WORKER, Role.CLERK, Role.STREET_OFFICER, Role.DISTRICT_ADMIN})
TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.REQUESTED: frozenset({OrderStatus.SCHEDULED, OrderStatus.CANCELLED}),
    OrderStatus.SCHEDULED: frozenset(
        {OrderStatus.SCHEDULED, OrderStatus.DONE, OrderStatus.CANCELLED}
    ),
    OrderStatus.DONE: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
AUDIT_FIELDS = ("status", "provider", "scheduled_on", "rating")


def may_order(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) or getattr(user, "role", None) in ORDER_ROLES)


def is_provider_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.care_providers.exists())


@dataclass
class OrderInput:
    target_id: int
    kind: str
    provider_id: int | None = None
    scheduled_on: date | None = None
    note: str = ""
    visit_id: int | None = None


def _provider(provider_id: int, target: CareTarget, kind: str) -> Provider:
    provider = Provider.objects.serving(target.unit.code, kind).filter(pk=provider_id).first()
    if provider is None:
        raise Invalid("该服务商不提供此项服务，或不服务该居民所在社区。", field="provider")
    return provider


def _check_date(day: date | None) -> None:
    if day is not None and day < clock.today():
        raise Invalid("预约日期不能早于今天。", field="scheduled_on")


@transaction.atomic
def create_order(data: OrderInput, *, actor: Any) -> ServiceOrder:
    """Order a service for a current target. Without a provider and date it waits to be
    scheduled; with one provider serving the area and kind, that provider is proposed."""
    if not may_order(actor) or is_provider_user(actor):
        raise Forbidden("您的角色不能下达居家服务工单。")
    target = (
        CareTarget.objects.in_scope(actor)
        .open()
        .select_related("unit", "person")
        .filter(pk=data.target_id)
        .first()
    )
    if target is None:
        raise NotFound("关爱对象不存在、已退出或不在您的管辖范围内。", field="target")
    if data.kind not in ServiceKind.values:
        raise Invalid("服务项目不正确。", field="kind")
    if len(data.note or "") > 500:
        raise Invalid("说明过长（最多500字）。", field="note")
    provider = None
    if data.provider_id is not None:
        provider = _provider(data.provider_id, target, data.kind)
    else:
        serving = list(Provider.objects.serving(target.unit.code, data.kind)[:2])
        provider = serving[0] if len(serving) == 1 else None
    _check_date(data.scheduled_on)
    visit = None
    if data.visit_id is not None:
        visit = Visit.objects.filter(pk=data.visit_id, person=target.person).first()
        if visit is None:
            raise NotFound("来源探访记录不存在。", field="visit")
    scheduled = provider is not None and data.scheduled_on is not None
    order = ServiceOrder.objects.create(
        target=target,
        person=target.person,
        kind=data.kind,
        provider=provider,
        scheduled_on=data.scheduled_on if scheduled else None,
        note=(data.note or "").strip(),
        status=OrderStatus.SCHEDULED if scheduled else OrderStatus.REQUESTED,
        visit=visit,
        ordered_by=actor if getattr(actor, "pk", None) else None,
        ordered_at=clock.now(),
    )
    audit.record_created(order, ("person", "kind", *AUDIT_FIELDS), actor=actor)
    return order


def _transition(
    order: ServiceOrder, to: str, *, actor: Any, queryset: Any, **fields: Any
) -> ServiceOrder:
    locked = queryset.select_for_update().filter(pk=order.pk).first()
    if locked is None:
        raise NotFound("工单不存在或不在您的管辖范围内。")
    if to not in TRANSITIONS[locked.status]:
        raise Conflict(
            f"工单当前状态为“{locked.get_status_display()}”，不能执行此操作。",
            code="bad_transition",
        )
    before = audit.snapshot(locked, AUDIT_FIELDS)
    locked.status = to
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.save()
    audit.record(
        Action.UPDATE,
        locked,
        actor=actor,
        changes=audit.diff(before, audit.snapshot(locked, AUDIT_FIELDS)),
        summary=f"{locked} → {locked.get_status_display()}",
    )
    return locked


def _staff_orders(actor: Any) -> Any:
    if not may_order(actor) or is_provider_user(actor):
        raise Forbidden("您的角色不能处理居家服务工单。")
    return ServiceOrder.objects.in_scope(actor)


@transaction.atomic
def schedule_order(
    order: ServiceOrder, *, actor: Any, provider_id: int, scheduled_on: date
) -> ServiceOrder:
    queryset = _staff_orders(actor).select_related("target__unit")
    current = queryset.filter(pk=order.pk).first()
    if current is None:
        raise NotFound("工单不存在或不在您的管辖范围内。")
    provider = _provider(provider_id, current.target, current.kind)
    if scheduled_on is None:
        raise Invalid("请填写预约日期。", field="scheduled_on")
    _check_date(scheduled_on)
    return _transition(
        order,
        OrderStatus.SCHEDULED,
        actor=actor,
        queryset=queryset,
        provider=provider,
        scheduled_on=scheduled_on,
    )


@transaction.atomic
def complete_order(order: ServiceOrder, *, actor: Any, note: str = "") -> ServiceOrder:
    """The provider (or the community on its word) confirms the service was delivered."""
    if is_provider_user(actor):
        queryset = ServiceOrder.objects.in_scope(actor)
    else:
        queryset = _staff_orders(actor)
    if len(note or "") > 500:
        raise Invalid("服务记录过长（最多500字）。", field="note")
    return _transition(
        order,
        OrderStatus.DONE,
        actor=actor,
        queryset=queryset,
        completed_at=clock.now(),
        completed_by=actor,
        completion_note=(note or "").strip(),
    )


@transaction.atomic
def cancel_order(order: ServiceOrder, *, actor: Any, reason: str = "") -> ServiceOrder:
    return _transition(
        order,
        OrderStatus.CANCELLED,
        actor=actor,
        queryset=_staff_orders(actor),
        completion_note=(reason or "").strip(),
    )


@transaction.atomic
def rate_order(order: ServiceOrder, *, actor: Any, rating: int, note: str = "") -> ServiceOrder:
    """The resident's rating (1–5) of a delivered service, taken down by the community."""
    queryset = _staff_orders(actor)
    locked = queryset.select_for_update().filter(pk=order.pk).first()
    if locked is None:
        raise NotFound("工单不存在或不在您的管辖范围内。")
    if locked.status != OrderStatus.DONE:
        raise Conflict("服务完成后才能评价。", code="not_done")
    if locked.rating is not None:
        raise Conflict("该工单已评价。", code="already_rated")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise Invalid("评价应为1–5星。", field="rating")
    locked.rating, locked.rating_note, locked.rated_at = (
        rating,
        (note or "").strip()[:300],
        clock.now(),
    )
    locked.save(update_fields=["rating", "rating_note", "rated_at"])
    audit.record(Action.UPDATE, locked, actor=actor, changes={"rating": [None, rating]})
    return locked
