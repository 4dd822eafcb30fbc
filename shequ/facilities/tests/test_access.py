"""compute_access on a tiny network with known answers, and the background task around it."""

from __future__ import annotations

import numpy as np
import pytest

from shequ.access.geo import haversine_m
from shequ.errors import Invalid
from shequ.facilities import accessibility, services
from shequ.facilities.models import AccessRun, BuildingAccess, FacilityType, RunStatus

from .conftest import LAT, LON0, STEP

pytestmark = pytest.mark.django_db


def steps(n: int) -> float:
    """Metres along the line network from node 0 to node n."""
    lon = LON0 + STEP * np.arange(n + 1)
    return float(haversine_m(lon[:-1], LAT, lon[1:], LAT).sum()) if n else 0.0


def access(building, code):
    return BuildingAccess.objects.get(building=building, type__code=code)


def test_it_stores_the_walking_distance_to_the_nearest_facility_of_each_type(places, line_network):
    seen = []
    run = accessibility.compute_access(line_network, progress=lambda p, m: seen.append(p))
    # comprehensive facilities at nodes 0 (泰安) and 1 (仙城); the parcel station at node 5
    assert access(places["a0"], "comprehensive").metres == pytest.approx(0, abs=0.1)
    assert access(places["a2"], "comprehensive").metres == pytest.approx(steps(1), abs=0.1)
    assert access(places["a5"], "comprehensive").metres == pytest.approx(steps(4), abs=0.1)
    assert access(places["a0"], "parcel").metres == pytest.approx(steps(5), abs=0.1)
    a5 = access(places["a5"], "comprehensive")
    assert a5.minutes == pytest.approx(a5.metres / 1.2 / 60, abs=0.01)
    # a type with no facility: nobody reaches one, stored as null (not 0, not infinity)
    assert access(places["a0"], "health").metres is None
    assert access(places["a0"], "health").minutes is None
    # a building without coordinates gets no row
    assert not BuildingAccess.objects.filter(building=places["nowhere"]).exists()
    assert BuildingAccess.objects.count() == 4 * FacilityType.objects.count()
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.progress == 100 and run.finished_at
    assert run.buildings == 4 and run.facilities == 3
    assert seen[-1] == 100 and seen == sorted(seen)


def test_beyond_the_cut_off_is_unreachable_and_stored_as_null(places, line_network):
    cutoff = steps(2) / 1.2 / 60 + 0.01  # a little over two blocks, in minutes
    accessibility.compute_access(line_network, cutoff=cutoff)
    assert access(places["a2"], "comprehensive").metres == pytest.approx(steps(1), abs=0.1)
    assert access(places["a5"], "comprehensive").metres is None
    assert access(places["a0"], "parcel").metres is None


def test_a_second_run_replaces_the_results(places, line_network):
    accessibility.compute_access(line_network)
    places["parcel_a"].delete()
    accessibility.compute_access(line_network)
    assert access(places["a0"], "parcel").metres is None
    assert BuildingAccess.objects.filter(type__code="parcel").count() == 4


def test_a_queued_run_is_computed_by_the_background_task(
    places, line_network, personas, settings, django_capture_on_commit_callbacks
):
    line_network.save(settings.VAR_DIR / "network.npz")
    with django_capture_on_commit_callbacks(execute=True):
        run = services.recompute_access(actor=personas["admin"])
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.progress == 100
    assert access(places["a2"], "comprehensive").metres == pytest.approx(steps(1), abs=0.1)


def test_without_a_network_the_run_fails_and_says_why(
    places, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.recompute_access(actor=personas["admin"])
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "找不到路网文件" in run.message
    assert not BuildingAccess.objects.exists()


def test_a_run_is_claimed_once(places, line_network):
    run = AccessRun.objects.create()
    accessibility.compute_access(line_network, run=run)
    with pytest.raises(Invalid):
        accessibility.compute_access(line_network, run=run)


def test_readers_cannot_ask_for_a_computation(personas):
    from shequ.errors import Forbidden

    with pytest.raises(Forbidden):
        services.recompute_access(actor=personas["leader"])


def test_a_run_abandoned_by_a_dead_worker_is_closed_by_the_next(places, line_network):
    from datetime import timedelta

    from django.utils import timezone

    stale = AccessRun.objects.create(
        status=RunStatus.RUNNING, started_at=timezone.now() - timedelta(hours=2)
    )
    accessibility.compute_access(line_network)
    stale.refresh_from_db()
    assert stale.status == RunStatus.FAILED and "中断" in stale.message


def test_the_command_computes_now_or_queues(places, line_network, settings):
    import io

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="找不到路网文件"):
        call_command("compute_access", stdout=io.StringIO())
    line_network.save(settings.VAR_DIR / "network.npz")
    call_command("compute_access", stdout=io.StringIO())
    assert access(places["a2"], "comprehensive").metres == pytest.approx(steps(1), abs=0.1)
    call_command("compute_access", "--queue", stdout=io.StringIO())
    assert AccessRun.objects.filter(status=RunStatus.QUEUED).count() == 1
