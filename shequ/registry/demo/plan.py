"""The demo as plain data: :func:`generate` builds a :class:`DemoPlan`, :func:`write` stores it.

Keeping generation pure (no database, no key) makes it deterministic and testable: the same
seed, scale and reference date give an equal plan, clear ID numbers included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(slots=True)
class UnitPlan:
    code: str
    name: str
    level: str
    parent_code: str | None
    is_urban: bool
    centre: tuple[float, float] = (0.0, 0.0)  # (lat, lon)
    boundary: dict[str, Any] | None = None  # GeoJSON Polygon
    households: int = 0
    population: int = 0


@dataclass(slots=True)
class BuildingPlan:
    unit_code: str  # the grid
    number: str
    address: str
    floors: int
    lat: float
    lon: float
    floor_area: float
    stairwells: list[str] = field(default_factory=list)  # 单元 numbers; empty for houses


@dataclass(slots=True)
class HouseholdPlan:
    number: str
    unit_code: str
    building: int | None  # index into DemoPlan.buildings
    stairwell: str | None
    room: str
    address: str
    since: date
    kind: str  # composition, e.g. "elder_alone" (not stored; used for tags and tests)


@dataclass(slots=True)
class TagPlan:
    tag: str
    started_on: date
    grade: int | None = None
    ended_on: date | None = None


@dataclass(slots=True)
class PersonPlan:
    name: str
    sex: str
    birth_date: date
    id_number: str
    phone: str
    household: int  # index into DemoPlan.households
    relation: str
    tags: list[TagPlan] = field(default_factory=list)


@dataclass(slots=True)
class WorkerPlan:
    name: str
    unit_code: str
    phone: str
    post: str
    level: int
    joined_on: date
    party_post: bool = False
    grid_role: str = ""
    disaster_officer: bool = False
    certificates: list[tuple[str, date]] = field(default_factory=list)
    trainings: list[tuple[date, str, float]] = field(default_factory=list)
    login: str = ""  # demo user name linked to this worker


@dataclass
class DemoPlan:
    seed: int
    scale: float
    as_of: date
    root: str
    units: list[UnitPlan] = field(default_factory=list)
    buildings: list[BuildingPlan] = field(default_factory=list)
    households: list[HouseholdPlan] = field(default_factory=list)
    persons: list[PersonPlan] = field(default_factory=list)
    workers: list[WorkerPlan] = field(default_factory=list)

    def unit(self, code: str) -> UnitPlan:
        return next(u for u in self.units if u.code == code)
