"""Coverage shares from stored walking times and registry counts, per community, street and
district, for households, persons, the elderly and children."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from shequ.facilities import queries
from shequ.facilities.models import BuildingAccess, FacilityType
from shequ.registry.models import Household

from .conftest import person

pytestmark = pytest.mark.django_db
ON = date(2025, 6, 1)


@pytest.fixture
def walked(places, units):
    """Minutes per building: comprehensive (standard 15) and parcel (standard 5)."""
    comp = FacilityType.objects.get(code="comprehensive")
    parcel = FacilityType.objects.get(code="parcel")
    now = timezone.now()
    minutes = {
        "a0": (0.0, 6.0),  # parcel beyond 5
        "a2": (3.0, 4.0),
        "a5": (20.0, 0.0),  # comprehensive beyond 15
        "b1": (None, 4.9),  # unreachable
    }
    for key, (m_comp, m_parcel) in minutes.items():
        for t, m in ((comp, m_comp), (parcel, m_parcel)):
            BuildingAccess.objects.create(
                building=places[key],
                type=t,
                minutes=m,
                metres=None if m is None else m * 72,
                computed_at=now,
            )
    h = {x.number: x for x in Household.objects.all()}
    person(units["grid_a"], h["H0"], date(1950, 1, 1), 1)  # elderly at a0
    person(units["grid_a2"], h["H3"], date(2018, 1, 1), 2)  # child at a5
    person(units["community_b"], h["H4"], date(1990, 1, 1), 3)  # adult at b1
    person(units["grid_a"], h["H5"], date(1940, 1, 1), 4)  # elderly, building not located
    return {"comp": comp, "parcel": parcel}


CODES = {"220403", "220403001", "220403001001", "220403002001"}


def test_household_shares_per_community_street_and_district(personas, units, walked):
    cov = queries.coverage(personas["admin"], units["district"], CODES, on=ON)
    comp, parcel = walked["comp"].pk, walked["parcel"].pk
    # 泰安社区: H0 H1 (a0), H2 (a2) within 15 min; H3 (a5) beyond; H5 has no located building
    assert cov.total["220403001001"]["households"] == 5
    assert cov.share("220403001001", comp) == pytest.approx(3 / 5)
    assert cov.share("220403001001", parcel) == pytest.approx(2 / 5)  # H2, H3
    assert cov.unlocated["220403001001"] == 1
    # 仙城社区: its one building cannot reach a comprehensive facility at all
    assert cov.share("220403002001", comp) == 0
    assert cov.share("220403002001", parcel) == 1
    assert cov.share("220403001", comp) == pytest.approx(3 / 5)
    assert cov.share("220403", comp) == pytest.approx(3 / 6)
    assert cov.share("220403", parcel) == pytest.approx(3 / 6)


def test_person_elderly_and_child_shares(personas, units, walked):
    cov = queries.coverage(personas["admin"], units["district"], CODES, on=ON)
    comp = walked["comp"].pk
    assert cov.total["220403"] == {"households": 6, "persons": 4, "elderly": 2, "children": 1}
    assert cov.share("220403", comp, "persons") == pytest.approx(1 / 4)
    assert cov.share("220403", comp, "elderly") == pytest.approx(1 / 2)
    assert cov.share("220403", comp, "children") == 0
    assert cov.share("220403002001", comp, "elderly") is None  # nobody to cover


def test_coverage_is_limited_to_the_scope(personas, units, walked):
    cov = queries.coverage(personas["clerk_b"], units["district"], CODES, on=ON)
    assert cov.total["220403"]["households"] == 1
    assert "220403001001" not in cov.total


def test_coverage_costs_a_fixed_number_of_queries(
    personas, units, walked, django_assert_num_queries
):
    with django_assert_num_queries(4):
        queries.coverage(personas["admin"], units["district"], CODES, on=ON)


def test_coverage_rows_put_the_unit_first_then_its_children(personas, units, walked):
    kinds, rows, _ = queries.coverage_rows(personas["officer_a"], units["street_a"], on=ON)
    assert [r.unit.code for r in rows] == ["220403001", "220403001001", "220403001002"]
    first = dict((t.code, share) for t, share in rows[0].cells)
    assert first["comprehensive"] == pytest.approx(3 / 5)
    assert first["health"] == 0  # nobody within: no row means not covered
    assert len(kinds) == FacilityType.objects.count()
