"""INSERT statements compiled before a transaction and run inside it.

SQLite has one writer at a time. Django compiles an INSERT (each field's value prepared for
the database, the SQL text written) when it runs it, that is while the transaction holds the
write lock and the other worker waits. Intake compiles its rows first with Django's own
insert compiler, so the values are exactly the ORM's, and only executes them in the
transaction. A column whose value is known only then (the new ticket's id in its events) is
filled in with :meth:`PreparedInsert.set`.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import Model
from django.db.models.sql import InsertQuery


class PreparedInsert:
    """One INSERT per object (a single row keeps every backend's plain ``VALUES`` layout,
    which :meth:`set` relies on; PostgreSQL writes several rows through arrays)."""

    def __init__(self, objs: list[Model], *, using: str = "default") -> None:
        self.objs = objs
        self.using = using
        meta = type(objs[0])._meta
        self.fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
        self.statements: list[tuple[str, list[Any]]] = []
        for obj in objs:
            query = InsertQuery(type(obj))
            query.insert_values(self.fields, [obj])
            compiler = query.get_compiler(using)
            compiler.returning_fields = [meta.pk]
            ((sql, params),) = compiler.as_sql()
            if len(params) != len(self.fields):  # an expression value has params of its own
                raise ValueError("PreparedInsert takes plain values only")
            self.statements.append((sql, list(params)))

    def set(self, attname: str, value: Any) -> None:
        """Put ``value`` in column ``attname`` of every row (statements and objects)."""
        index = [f.attname for f in self.fields].index(attname)
        for (_sql, params), obj in zip(self.statements, self.objs, strict=True):
            params[index] = value
            setattr(obj, attname, value)

    def execute(self) -> None:
        """Insert the rows; each object gets its primary key, as from ``save()``."""
        with connections[self.using].cursor() as cursor:
            for (sql, params), obj in zip(self.statements, self.objs, strict=True):
                cursor.execute(sql, params)
                obj.pk = cursor.fetchone()[0]
                obj._state.adding = False
                obj._state.db = self.using
