"""The care app's clock: :mod:`shequ.core.clock`, the one every app shares."""

from shequ.core.clock import frozen, now, today

__all__ = ["frozen", "now", "today"]
