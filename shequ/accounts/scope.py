"""The one place that limits what a user sees: ``in_scope(user)`` on every scoped queryset.

A user's scope is an admin unit; its subtree is every code that starts with the unit's code.
Department handlers have a department instead of a unit and see registry records only
through the requests dispatched to them (those querysets override ``in_scope``).
"""

from __future__ import annotations

from typing import Any

from django.db import models


def scope_code(user: Any) -> str | None:
    """The code prefix a user may see, '' for everything, None for nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return ""
    unit = getattr(user, "scope_unit", None)
    return unit.code if unit is not None else None


class ScopedQuerySet(models.QuerySet):
    #: Lookup path from the model to the admin-unit code that places a row in the tree.
    scope_field: str = ""

    def in_scope(self, user: Any) -> models.QuerySet:
        code = scope_code(user)
        if code is None:
            return self.none()
        if code == "":
            return self
        return self.filter(**{f"{self.scope_field}__startswith": code})
