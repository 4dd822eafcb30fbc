"""Who is logged in, read in one plain statement per request.

Every page and API call needs ``request.user`` and its scope unit (the scope rule reads the
unit's code). Django's backend loads them in two ORM queries whose compilation costs ten
times the database's work (measured: 0.8 ms against 0.07 ms). Here one prepared statement
joins the user to her unit; the values go through the fields' own database converters and
``Model.from_db``, exactly as the ORM would build them. The unit's GeoJSON boundary is left
deferred: no request of a logged-in user needs it from ``request.user``.
"""

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.models import Field, Model

from shequ.registry.models import AdminUnit


class ScopedModelBackend(ModelBackend):
    def get_user(self, user_id: Any):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = load_user(pk)
        return user if user is not None and self.user_can_authenticate(user) else None


def load_user(pk: int) -> Model | None:
    """The user ``pk`` with ``scope_unit`` loaded (boundary deferred), or None."""
    user_model = get_user_model()
    alias = router.db_for_read(user_model)
    statement = _statement(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(statement.sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = statement.convert(row)
    n = len(statement.user_fields)
    user = user_model.from_db(alias, [f.attname for f in statement.user_fields], values[:n])
    if values[n] is not None:
        unit = AdminUnit.from_db(alias, [f.attname for f in statement.unit_fields], values[n:])
        user_model._meta.get_field("scope_unit").set_cached_value(user, unit)
    return user


class _Statement:
    def __init__(self, alias: str) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        user_meta = get_user_model()._meta
        self.user_fields: list[Field] = list(user_meta.concrete_fields)
        self.unit_fields: list[Field] = [
            f for f in AdminUnit._meta.concrete_fields if f.name != "boundary"
        ]
        columns = [f"u.{quote(f.column)}" for f in self.user_fields]
        columns += [f"a.{quote(f.column)}" for f in self.unit_fields]
        unit_pk = quote(AdminUnit._meta.pk.column)
        scope_fk = quote(user_meta.get_field("scope_unit").column)
        self.sql = (
            f"SELECT {', '.join(columns)} FROM {quote(user_meta.db_table)} u "
            f"LEFT JOIN {quote(AdminUnit._meta.db_table)} a ON a.{unit_pk} = u.{scope_fk} "
            f"WHERE u.{quote(user_meta.pk.column)} = %s"
        )
        self._converters = []
        for field in self.user_fields + self.unit_fields:
            expression = field.get_col(field.model._meta.db_table)
            converters = connection.ops.get_db_converters(expression)
            converters += expression.get_db_converters(connection)
            self._converters.append((expression, converters))
        self._connection = connection

    def convert(self, row: tuple) -> list:
        values = []
        for value, (expression, converters) in zip(row, self._converters, strict=True):
            if value is not None:
                for converter in converters:
                    value = converter(value, expression, self._connection)
            values.append(value)
        return values


@cache
def _statement(alias: str) -> _Statement:
    return _Statement(alias)
