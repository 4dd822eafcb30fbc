"""INSERT statements compiled before a transaction and run inside it.

SQLite has one writer at a time. Django compiles an INSERT (each field's value prepared for
the database, the SQL text written) when it runs it, that is while the transaction holds the
write lock and the other worker waits. Intake compiles its rows first with Django's own
insert compiler, so the values are exactly the ORM's, and only executes them in the
transaction. A column whose value is known only then (the new ticket's id in its events) is
filled in with :meth:`PreparedInsert.set`.

On PostgreSQL every statement is a round trip to the server, whose cost (in the driver and
in the server) was most of an intake request's: :func:`execute_all` sends several in one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import connections, models
from django.db.models import Field, Model
from django.db.models.sql import InsertQuery


class PreparedInsert:
    """One INSERT per object (a single row keeps every backend's plain ``VALUES`` layout,
    which :meth:`set` relies on; PostgreSQL writes several rows through arrays). The SQL
    text of a model is compiled once; each object's values are prepared as the compiler
    prepares plain values (``pre_save`` then ``get_db_prep_save``)."""

    def __init__(self, objs: list[Model], *, using: str = "default", pk: bool = False) -> None:
        """``pk``: the statement has the primary key column too, for an id reserved ahead
        (``None`` lets SQLite choose it; PostgreSQL's identity columns refuse a NULL)."""
        self.objs = objs
        self.using = using
        model = type(objs[0])
        connection = connections[using]
        self.sql, self.fields = _statement(model, using, pk)
        plain = _plain_types(model, pk)
        self.rows: list[list[Any]] = []
        for obj in objs:
            row = []
            for f, kind in zip(self.fields, plain, strict=True):
                value = getattr(obj, f.attname) if kind else f.pre_save(obj, True)
                # A value of the type the column holds (a str for a CharField, an int for an
                # IntegerField or a foreign key…) is what Django would send; a third of the
                # preparing went to asking each field so.
                if kind is not None and (value is None or type(value) is kind):
                    row.append(value)
                elif hasattr(value, "as_sql"):  # compiled with params of its own
                    raise ValueError("PreparedInsert takes plain values only")
                else:
                    row.append(f.get_db_prep_save(value, connection))
            self.rows.append(row)

    def set(self, attname: str, value: Any) -> None:
        """Put ``value`` in column ``attname`` of every row (statements and objects)."""
        index = [f.attname for f in self.fields].index(attname)
        for params, obj in zip(self.rows, self.objs, strict=True):
            params[index] = value
            setattr(obj, attname, value)

    def execute(self) -> None:
        """Insert the rows; each object gets its primary key, as from ``save()``."""
        execute_all([self])

    def _saved(self, obj: Model, pk: Any) -> None:
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = self.using


def execute_all(statements: Sequence[PreparedInsert], *, using: str = "default") -> None:
    """Run ``statements`` in order, each object getting its primary key; on PostgreSQL in
    one round trip (see :func:`together`)."""
    pending = [
        (p, params, obj) for p in statements for params, obj in zip(p.rows, p.objs, strict=True)
    ]
    if not pending:  # (an empty pipeline would still cost a trip)
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            for prepared, params, obj in pending:
                cursor.execute(prepared.sql, params)
                prepared._saved(obj, cursor.fetchone()[0])
        return
    # A cursor per statement: each holds its own result until the pipeline is flushed.
    cursors = []
    try:
        with together(connection):
            for prepared, params, _ in pending:
                cursor = connection.cursor()
                cursors.append(cursor)
                cursor.execute(prepared.sql, params)
        for cursor, (prepared, _, obj) in zip(cursors, pending, strict=True):
            prepared._saved(obj, cursor.fetchone()[0])
    finally:
        for cursor in cursors:
            cursor.close()


@contextmanager
def together(connection: Any) -> Iterator[None]:
    """Statements executed inside go to PostgreSQL together, in one round trip (psycopg's
    pipeline mode), each prepared on the server like any other; their results are read
    after the block. Elsewhere nothing changes (SQLite runs in this process: a statement
    costs no trip)."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    # Errors surface when the pipeline is flushed, outside any cursor call: Django's
    # wrapper turns them into its own (IntegrityError…), as for a statement sent alone.
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


# Fields whose database value is the Python value itself when it has this type (Django's
# get_db_prep_save returns it unchanged on SQLite and PostgreSQL), and whose pre_save only
# reads the attribute. Exact classes: a subclass may convert.
_PLAIN = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.BigAutoField: int,
    models.AutoField: int,
    models.ForeignKey: int,
    models.FloatField: float,
    models.BooleanField: bool,
}


@cache
def _plain_types(model: type[Model], pk: bool) -> list[type | None]:
    """For each column of the statement, the type taken as it is, or None (always asked)."""
    fields = _statement(model, "default", pk)[1]
    kinds = []
    for f in fields:
        kind = _PLAIN.get(type(f))
        if type(f) is models.ForeignKey and _PLAIN.get(type(f.target_field)) is not int:
            kind = None
        kinds.append(kind)
    return kinds


@cache
def _statement(model: type[Model], using: str, pk: bool = False) -> tuple[str, list[Field]]:
    """The INSERT … RETURNING of one row of ``model``, written by Django's compiler."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if pk or f is not meta.auto_field]
    query = InsertQuery(model)
    query.insert_values(fields, [model()])
    compiler = query.get_compiler(using)
    compiler.returning_fields = [meta.pk]
    ((sql, params),) = compiler.as_sql()
    if len(params) != len(fields):
        raise ValueError(f"{meta.label} has a column that is not a plain value")
    return sql, fields
