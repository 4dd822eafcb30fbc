"""Writing audit rows: called by the services of each app inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from shequ.audit.models import Action, AuditEntry, ClearRead


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The audited values of ``obj``: plain JSON values, foreign keys by id."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname)
        values[name] = (
            value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        )
    return values


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}


def record(
    action: str, obj: models.Model, *, actor: Any, changes: dict | None = None, summary: str = ""
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:200] or str(obj)[:200],
        changes=changes or {},
    )


def record_created(obj: models.Model, fields: Iterable[str], *, actor: Any) -> AuditEntry:
    new = snapshot(obj, fields)
    return record(Action.CREATE, obj, actor=actor, changes={k: [None, v] for k, v in new.items()})


def record_clear_read(obj: models.Model, field: str, *, actor: Any, reason: str) -> ClearRead:
    return ClearRead.objects.create(
        actor=actor,
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        field=field,
        reason=reason[:200],
    )
