"""Django's SQLite backend, with writers queued by the operating system.

SQLite lets one connection write at a time. A second writer that finds the lock taken
sleeps and retries (1, 2, 5, 10… ms), so two gunicorn workers writing short transactions
spend much of their time asleep while the lock is already free. Here every transaction
(``atomic()``, which begins ``IMMEDIATE``) first takes an exclusive ``flock`` on a file
beside the database: a waiting worker is woken the moment the other commits. Measured on
intake with two workers, this raised throughput by a third and cut the slowest requests.

The lock is released at commit, rollback or close, and by the kernel if the process dies.
Statements outside a transaction and in-memory databases are left as Django has them.
"""

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _locked = False

    def _start_transaction_under_autocommit(self) -> None:
        self._take_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _take_write_lock(self) -> None:
        if self._locked or self.is_in_memory_db():
            return
        if self._lock_fd is None:
            path = f"{self.settings_dict['NAME']}.writelock"
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._locked = True

    def _release_write_lock(self) -> None:
        if self._locked:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            self._locked = False
