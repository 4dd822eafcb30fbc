"""Coverage: the share of households, persons, elderly… within the standard walk.

A plain function over arrays, so the caller decides what an origin is (a
building), what it weighs (its households, persons, elderly, children) and how
origins are grouped (the unit code of the community they belong to).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .errors import InputError


@dataclass(frozen=True)
class Share:
    """Weight within the standard out of the group's total weight."""

    covered: float
    total: float

    @property
    def share(self) -> float | None:
        """``covered / total``, or ``None`` for a group with no weight (not 0: nothing to cover)."""
        return self.covered / self.total if self.total > 0 else None


def coverage(
    metres_by_type: Mapping[Hashable, ArrayLike],
    weights: Mapping[str, ArrayLike],
    groups: ArrayLike,
    standard_m: float | Mapping[Hashable, float],
) -> dict[Hashable, dict[Hashable, dict[str, Share]]]:
    """Per facility type, per group, per weight: the weight within ``standard_m`` metres.

    ``metres_by_type`` is what :func:`nearest_by_type` returns (NaN = unreachable,
    never covered); ``weights`` maps a name (``"households"``, ``"elderly"``…) to one
    non-negative number per origin; ``groups`` gives each origin's group key (e.g. its
    unit code). ``standard_m`` is one distance for all types or one per type (a
    15-minute standard at 1.2 m/s is 1080 m). An origin exactly at the standard is
    covered. Returns ``result[type][group][weight_name] -> Share``; groups appear in
    sorted order.
    """
    groups = np.asarray(groups)
    if groups.ndim != 1:
        raise InputError("groups must be one key per origin")
    n = groups.size
    keys, inverse = np.unique(groups, return_inverse=True)
    keys = [k.item() if hasattr(k, "item") else k for k in keys]
    w_arrays = {}
    for name, w in weights.items():
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (n,):
            raise InputError(f"weight {name!r} has {w.size} values for {n} origins")
        if not np.all(np.isfinite(w)) or (n and w.min() < 0):
            raise InputError(f"weight {name!r} must be finite and non-negative")
        w_arrays[name] = w
    totals = {name: np.bincount(inverse, w, minlength=len(keys)) for name, w in w_arrays.items()}

    result: dict = {}
    for ftype, metres in metres_by_type.items():
        metres = np.asarray(metres, dtype=np.float64)
        if metres.shape != (n,):
            raise InputError(f"type {ftype!r} has {metres.size} distances for {n} origins")
        standard = standard_m[ftype] if isinstance(standard_m, Mapping) else standard_m
        within = metres <= float(standard)  # NaN compares False: unreachable is not covered
        covered = {
            name: np.bincount(inverse, w * within, minlength=len(keys))
            for name, w in w_arrays.items()
        }
        result[ftype] = {
            key: {name: Share(float(covered[name][i]), float(totals[name][i])) for name in w_arrays}
            for i, key in enumerate(keys)
        }
    return result
