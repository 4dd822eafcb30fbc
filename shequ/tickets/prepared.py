"""INSERT statements compiled before a transaction and run inside it.

SQLite has one writer at a time. Django compiles an INSERT (each field's value prepared for
the database, the SQL text written) when it runs it, that is while the transaction holds the
write lock and the other worker waits. Intake compiles its rows first with Django's own
insert compiler, so the values are exactly the ORM's, and only executes them in the
transaction. A column whose value is known only then (the new ticket's id in its events) is
filled in with :meth:`PreparedInsert.set`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connections
from django.db.models import Field, Model
from django.db.models.sql import InsertQuery


class PreparedInsert:
    """One INSERT per object (a single row keeps every backend's plain ``VALUES`` layout,
    which :meth:`set` relies on; PostgreSQL writes several rows through arrays). The SQL
    text of a model is compiled once; each object's values are prepared as the compiler
    prepares plain values (``pre_save`` then ``get_db_prep_save``)."""

    def __init__(self, objs: list[Model], *, using: str = "default") -> None:
        self.objs = objs
        self.using = using
        model = type(objs[0])
        connection = connections[using]
        self.sql, self.fields = _statement(model, using)
        self.rows: list[list[Any]] = []
        for obj in objs:
            values = [f.pre_save(obj, True) for f in self.fields]
            if any(hasattr(v, "as_sql") for v in values):  # compiled with params of its own
                raise ValueError("PreparedInsert takes plain values only")
            self.rows.append(
                [
                    f.get_db_prep_save(v, connection)
                    for f, v in zip(self.fields, values, strict=True)
                ]
            )

    def set(self, attname: str, value: Any) -> None:
        """Put ``value`` in column ``attname`` of every row (statements and objects)."""
        index = [f.attname for f in self.fields].index(attname)
        for params, obj in zip(self.rows, self.objs, strict=True):
            params[index] = value
            setattr(obj, attname, value)

    def execute(self) -> None:
        """Insert the rows; each object gets its primary key, as from ``save()``."""
        with connections[self.using].cursor() as cursor:
            for params, obj in zip(self.rows, self.objs, strict=True):
                cursor.execute(self.sql, params)
                obj.pk = cursor.fetchone()[0]
                obj._state.adding = False
                obj._state.db = self.using


@cache
def _statement(model: type[Model], using: str) -> tuple[str, list[Field]]:
    """The INSERT … RETURNING of one row of ``model``, written by Django's compiler."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    query = InsertQuery(model)
    query.insert_values(fields, [model()])
    compiler = query.get_compiler(using)
    compiler.returning_fields = [meta.pk]
    ((sql, params),) = compiler.as_sql()
    if len(params) != len(fields):
        raise ValueError(f"{meta.label} has a column that is not a plain value")
    return sql, fields
