"""Chinese first, English second, through Django's i18n; times shown in Asia/Shanghai."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_speak_chinese_by_default(login, personas):
    body = login(personas["clerk_a"]).get(reverse("registry:search")).content.decode()
    assert "居民查询" in body and 'lang="zh-hans"' in body


def test_english_is_one_choice_away(login, personas, settings):
    client = login(personas["clerk_a"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("registry:search")).content.decode()
    assert "Find a resident" in body and "No resident" not in body
    assert 'lang="en"' in body


def test_times_are_shown_in_shanghai(settings):
    from datetime import UTC, datetime

    from django.utils import timezone

    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    noon_utc = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert timezone.localtime(noon_utc).hour == 20


@pytest.mark.parametrize(
    ("chinese", "english"),
    [
        ("周一", "Monday"),
        ("节假日", "Public holidays"),
        ("已派单", "Dispatched"),
        ("重办", "Reopened"),
    ],
)
def test_every_capability_has_its_english(chinese, english):
    """Words of the newer capabilities (facilities' opening days, the ticket states), not only
    the registry's, come out in English when English is chosen."""
    from django.utils import translation

    with translation.override("en"):
        assert translation.gettext(chinese) == english
    with translation.override("zh-hans"):
        assert translation.gettext(chinese) == chinese


@pytest.mark.parametrize(
    ("path", "english", "nav"),
    [
        ("/tickets/queue/", "Dispatch queue", "subnav"),
        ("/care/", "Care visits", "care-nav"),
        ("/facilities/", "Service facilit", "fac-tabs"),
    ],
)
def test_the_pages_of_each_capability_speak_english(login, personas, settings, path, english, nav):
    """The templates' own words, not only the models' labels, switch to English."""
    import re

    client = login(personas["admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="en"' in body and english in body
    # The page's own navigation carries no Chinese left over.
    menu = re.search(rf'<nav class="{nav}".*?</nav>', body, re.S).group(0)
    assert not re.search(r"[\u4e00-\u9fff]", menu), menu
