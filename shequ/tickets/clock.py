"""The one seam for "now" in this app: tests freeze time here instead of patching Django.

Every deadline, overdue check and default timestamp of a ticket reads :func:`now`, so a test
can say "it is 30 September 2025, 16:00 in Xi'an" with :func:`frozen` and get exact answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current time (aware, UTC), or the frozen time inside :func:`frozen`."""
    return _override() if _override is not None else timezone.now()


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
