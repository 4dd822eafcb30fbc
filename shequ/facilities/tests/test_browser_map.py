"""In the browser: the clerk opens her community's map, sees buildings coloured by walking
time, opens a facility's isochrones and asks where a new facility would help most."""

from __future__ import annotations

import pytest

from shequ.web.tests.conftest import browser, log_in, page, shoot  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _facility_types(db):
    """Transactional tests flush the tables between tests, data migrations included."""
    from importlib import import_module

    from django.apps import apps

    from shequ.facilities.models import FacilityType

    if not FacilityType.objects.exists():
        import_module("shequ.facilities.migrations.0002_facility_types").load(apps, None)


def test_clerk_reads_the_walking_map_of_her_community(
    page,  # noqa: F811
    live_server,
    places,
    line_network,
):
    from shequ.facilities.accessibility import compute_access

    compute_access(line_network)
    log_in(page, live_server, "clerk_a", "pw-clerk_a-2026")
    page.goto(f"{live_server.url}/facilities/map/220403001001/?type=comprehensive")
    status = page.locator("#fac-map-status")
    page.wait_for_function(
        "() => !document.querySelector('#fac-map-status').textContent.includes('正在加载')"
    )
    assert "栋楼" in status.inner_text(), status.inner_text()
    # The map draws on a canvas (thousands of buildings): check its pixels are not all blank.
    painted = page.evaluate(
        """() => { const c = document.querySelector('.leaflet-overlay-pane canvas');
        if (!c) return 0; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    assert painted > 50
    shoot(page, "facilities-map")

    page.fill("#k", "1")
    page.click("#fac-siting button[type=submit]")
    page.wait_for_function(
        "() => { const t = document.querySelector('#fac-siting-result').textContent;"
        " return t && !t.includes('正在计算'); }"
    )
    assert page.locator("#fac-siting-result").inner_text().strip()


def test_clerk_b_cannot_open_another_communitys_map(page, live_server, places):  # noqa: F811
    log_in(page, live_server, "clerk_b", "pw-clerk_b-2026")
    response = page.goto(f"{live_server.url}/facilities/map/220403001001/")
    assert response.status == 404
