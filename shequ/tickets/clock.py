"""The tickets app's clock: :mod:`shequ.core.clock`, the one every app shares.

``now`` is a function of this module, not the shared one re-exported, because the ticket
models' defaults (and so their migrations) name ``shequ.tickets.clock.now``.
"""

from __future__ import annotations

from datetime import datetime

from shequ.core import clock
from shequ.core.clock import frozen, today

__all__ = ["frozen", "now", "today"]


def now() -> datetime:
    """The current time (aware, UTC), or the frozen time inside :func:`frozen`."""
    return clock.now()
