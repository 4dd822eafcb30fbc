"""The one seam for "now": tests freeze time here instead of patching Django.

Every deadline, overdue check, "is this visit in the future", "which period is today" and
default timestamp of the tickets and care apps reads :func:`now` or :func:`today` (through
``shequ.tickets.clock`` and ``shequ.care.clock``), so a test can say "it is 30 September
2025, 16:00 in Xi'an" with :func:`frozen` and get exact answers in both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime

from django.utils import timezone

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current time (aware, UTC), or the frozen time inside :func:`frozen`."""
    return _override() if _override is not None else timezone.now()


def today() -> date:
    """Today's date in Asia/Shanghai (the project's TIME_ZONE)."""
    return timezone.localdate(now())


@contextmanager
def frozen(at: datetime) -> Iterator[Callable[[datetime], None]]:
    """Freeze :func:`now` at ``at``; the yielded function moves the frozen clock."""
    global _override
    current = [at]
    previous = _override
    _override = lambda: current[0]  # noqa: E731

    def move(to: datetime) -> None:
        current[0] = to

    try:
        yield move
    finally:
        _override = previous
