"""Transactions on a SQLite file queue on the file lock: the second writer waits without
failing and goes on as soon as the first commits or rolls back."""

import fcntl
import os
import threading

import pytest
from django.db import connection

from shequ.sqlite.base import DatabaseWrapper


@pytest.fixture
def two_connections(tmp_path, django_db_blocker):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite backend only")
    settings = {**connection.settings_dict, "NAME": str(tmp_path / "lock.sqlite3"), "TEST": {}}
    a, b = DatabaseWrapper(settings, "lock_a"), DatabaseWrapper(settings, "lock_b")
    with django_db_blocker.unblock():  # two connections of the test's own, to a scratch file
        with a.cursor() as cursor:
            cursor.execute("CREATE TABLE t (n integer)")
        b.inc_thread_sharing()
        yield a, b
        a.close()
        b.close()


def _write_in_thread(db: DatabaseWrapper, done: list[str], label: str) -> threading.Thread:
    def work():
        try:
            db.ensure_connection()
            db._start_transaction_under_autocommit()
            with db.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (2)")
            done.append(label)
            db._commit()
        except Exception as exc:  # shown in the assertion, not lost in the thread
            done.append(repr(exc))

    thread = threading.Thread(target=work)
    thread.start()
    return thread


@pytest.mark.parametrize("finish", ["commit", "rollback", "close"])
def test_the_second_writer_waits_for_the_first(two_connections, finish):
    a, b = two_connections
    a._start_transaction_under_autocommit()
    with a.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    assert _lock_is_taken(a)
    done: list[str] = []
    thread = _write_in_thread(b, done, "b")
    thread.join(0.3)
    assert thread.is_alive() and done == []  # queued on the lock, not failed
    done.append("a")
    {"commit": a._commit, "rollback": a._rollback, "close": a.close}[finish]()
    thread.join(10)
    assert not thread.is_alive() and done == ["a", "b"]
    assert not _lock_is_taken(a)  # released by b's commit too
    with b.cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        rows = [r[0] for r in cursor.fetchall()]
    assert rows == ([1, 2] if finish == "commit" else [2])


def _lock_is_taken(db: DatabaseWrapper) -> bool:
    fd = os.open(f"{db.settings_dict['NAME']}.writelock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
