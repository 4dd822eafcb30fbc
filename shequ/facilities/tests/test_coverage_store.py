"""Stored coverage figures: equal to the counted ones, replaced by each run, counted again
when the run, the day or the type standards change, and never wider than the scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shequ.facilities import accessibility, queries
from shequ.facilities.models import CoverageFigure, CoverageSnapshot, FacilityType

from .test_coverage import CODES, ON, walked  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def same(a: queries.Coverage, b: queries.Coverage) -> bool:
    return (
        dict(a.total) == dict(b.total)
        and {k: dict(v) for k, v in a.covered.items()} == {k: dict(v) for k, v in b.covered.items()}
        and dict(a.unlocated) == dict(b.unlocated)
    )


def test_stored_figures_equal_the_counted_ones(personas, units, walked):  # noqa: F811
    admin, district = personas["admin"], units["district"]
    counted = queries.coverage(admin, district, CODES, on=ON)
    first = queries.stored_coverage(admin, district, CODES, on=ON)  # counts and stores
    assert CoverageSnapshot.objects.count() == 1
    second = queries.stored_coverage(admin, district, CODES, on=ON)  # reads
    assert same(first, counted) and same(second, counted)
    assert second.counted_at is not None
    assert second.share("220403001001", walked["comp"].pk) == pytest.approx(3 / 5)


@pytest.mark.parametrize("who,root", [("officer_a", "street_a"), ("clerk_b", "community_b")])
def test_stored_figures_equal_what_each_scope_counts(personas, units, walked, who, root):  # noqa: F811
    user, unit = personas[who], units[root]
    shown = {unit.code, *(u.code for u in queries.units_under(user, unit).filter(parent=unit))}
    queries.stored_coverage(personas["admin"], units["district"], CODES, on=ON)  # stored
    assert same(
        queries.stored_coverage(user, unit, shown, on=ON),
        queries.coverage(user, unit, shown, on=ON),
    )


def test_reading_stored_figures_does_not_count(
    personas,
    units,
    walked,  # noqa: F811
    django_assert_num_queries,
):
    kinds = list(queries.types())
    queries.stored_coverage(personas["admin"], units["district"], CODES, on=ON, kinds=kinds)
    with django_assert_num_queries(3):  # latest run, snapshot, figures of the shown units
        queries.stored_coverage(personas["admin"], units["district"], CODES, on=ON, kinds=kinds)


def test_units_outside_the_scope_are_never_read_from_the_store(personas, units, walked):  # noqa: F811
    queries.stored_coverage(personas["admin"], units["district"], CODES, on=ON)
    cov = queries.stored_coverage(personas["clerk_b"], units["district"], CODES, on=ON)
    assert cov.total["220403"]["households"] == 1  # only 仙城社区's, as counted for clerk_b
    assert "220403001001" not in cov.total
    assert not queries.stored_coverage(personas["handler"], units["district"], CODES, on=ON).total


def test_a_new_day_or_a_new_standard_counts_again(personas, units, walked):  # noqa: F811
    admin, district = personas["admin"], units["district"]
    queries.stored_coverage(admin, district, CODES, on=ON)
    queries.stored_coverage(admin, district, CODES, on=ON + timedelta(days=1))
    assert list(CoverageSnapshot.objects.values_list("on", flat=True)) == [ON + timedelta(days=1)]
    parcel = walked["parcel"]
    parcel.standard_minutes = 10  # a0's 6 minutes now within the parcel standard
    parcel.save()
    cov = queries.stored_coverage(admin, district, CODES, on=ON)
    assert cov.share("220403001001", parcel.pk) == pytest.approx(4 / 5)
    assert CoverageSnapshot.objects.count() == 1


def test_a_finished_run_stores_its_figures_and_replaces_the_old(
    personas, units, places, line_network
):
    admin, street = personas["admin"], units["street_a"]
    parcel = FacilityType.objects.get(code="parcel")
    shown = {"220403001", "220403001001", "220403001002"}
    first = accessibility.compute_access(line_network)
    snapshot = CoverageSnapshot.objects.get()
    assert snapshot.run_id == first.pk and CoverageFigure.objects.filter(snapshot=snapshot)
    today = snapshot.on
    stored = queries.stored_coverage(admin, street, shown, on=today)
    assert same(stored, queries.coverage(admin, street, shown, on=today))
    # the parcel station at node 5: a2 and a5 within 5 minutes, a0 (two households) not
    assert stored.share("220403001001", parcel.pk) == pytest.approx(2 / 5)

    # the parcel station closes: the next run's figures replace the first run's
    places["parcel_a"].active = False
    places["parcel_a"].save()
    second = accessibility.compute_access(line_network)
    snapshot = CoverageSnapshot.objects.get()
    assert snapshot.run_id == second.pk
    stored = queries.stored_coverage(admin, street, shown, on=today)
    assert same(stored, queries.coverage(admin, street, shown, on=today))
    assert stored.share("220403001001", parcel.pk) == 0


def test_the_coverage_page_reads_the_stored_figures(login, personas, places, line_network):
    accessibility.compute_access(line_network)
    CoverageFigure.objects.filter(unit_code="220403001001", type__code="comprehensive").update(
        households=1
    )  # tamper with the store: the page must show what is stored, not count
    html = (
        login(personas["officer_a"])
        .get(reverse("facilities:coverage", args=["220403001"]))
        .content.decode()
    )
    assert "20.0%" in html and 'data-testid="counted-at"' in html


def test_the_store_is_filled_on_the_first_page_without_a_run(login, personas, places):
    assert not CoverageSnapshot.objects.exists()
    client = login(personas["clerk_a"])
    assert client.get(reverse("facilities:coverage", args=["220403001001"])).status_code == 200
    snapshot = CoverageSnapshot.objects.get()
    assert snapshot.run_id is None and snapshot.on == timezone.localdate()


def test_a_facility_edit_leaves_figures_that_still_equal_the_counted_ones(
    personas, units, places, line_network
):
    # Coverage is counted from the stored walking times, which only a run rewrites; the
    # edit queues that run, whose figures then replace these (tested above).
    from shequ.facilities import services

    admin, street = personas["admin"], units["street_a"]
    shown = {"220403001", "220403001001", "220403001002"}
    accessibility.compute_access(line_network)
    today = CoverageSnapshot.objects.get().on
    services.set_facility_active(places["parcel_a"], False, actor=admin)
    assert same(
        queries.stored_coverage(admin, street, shown, on=today),
        queries.coverage(admin, street, shown, on=today),
    )
