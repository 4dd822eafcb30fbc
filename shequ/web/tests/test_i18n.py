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


@pytest.mark.parametrize(
    ("name", "chinese", "english"),
    [
        ("DATE_FORMAT", "2026年9月5日", "Sep 5, 2026"),
        ("DATETIME_FORMAT", "2026年9月5日 20:45", "Sep 5, 2026 20:45"),
        ("YEAR_MONTH_FORMAT", "2026年9月", "September 2026"),
        ("MONTH_DAY_FORMAT", "9月5日", "Sep 5"),
        ("SHORT_DATETIME_FORMAT", "9月5日 20:45", "Sep 5 20:45"),
    ],
)
def test_dates_are_written_in_the_page_language(name, chinese, english):
    """Templates name their date formats; each language writes them its own way, both on a
    24-hour clock and in Shanghai time."""
    from datetime import UTC, datetime

    from django.template import Context, Template
    from django.utils import translation

    template = Template(f'{{{{ at|date:"{name}" }}}}')
    at = datetime(2026, 9, 5, 12, 45, tzinfo=UTC)  # 20:45 in Shanghai
    with translation.override("zh-hans"):
        assert template.render(Context({"at": at})) == chinese
    with translation.override("en"):
        assert template.render(Context({"at": at})) == english


def test_no_template_writes_a_chinese_date_format():
    """A date written with a literal Chinese format stays Chinese on an English page."""
    import re
    from pathlib import Path

    import shequ

    root = Path(shequ.__file__).parent
    offenders = [
        f"{path.relative_to(root)}: {match}"
        for path in root.rglob("*.html")
        for match in re.findall(r'\|(?:date|time):["\']([^"\']*)["\']', path.read_text())
        if re.search(r"[\u4e00-\u9fff]", match)
    ]
    assert offenders == []


def test_the_care_page_writes_today_in_english(login, personas, settings):
    import re

    client = login(personas["admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    heading = re.search(r"<h1>.*?</h1>", client.get("/care/").content.decode(), re.S).group(0)
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, 20\d\d", heading), heading


def test_the_visit_rate_trend_names_its_months_in_the_page_language(login, personas, settings):
    import re

    client = login(personas["admin"])
    chinese = client.get("/care/rate/").context["trend"]
    assert all(re.fullmatch(r"\d{1,2}月", row.name) for row in chinese), chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/care/rate/").context["trend"]
    months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
    assert len(english) == 12 and {row.name for row in english} == months


def test_a_policy_names_its_months_in_the_page_language():
    from django.utils import translation

    from shequ.care.models import VisitPolicy

    winter = VisitPolicy(months=[12, 1, 2])
    with translation.override("zh-hans"):
        assert winter.season_label == "1月、2月、12月"
        assert VisitPolicy(months=list(range(1, 13))).season_label == "全年"
    with translation.override("en"):
        assert winter.season_label == "Jan, Feb, Dec"
        assert VisitPolicy(months=list(range(1, 13))).season_label == "All year"


@pytest.mark.parametrize(
    ("path", "english"),
    [
        ("/tickets/submit/", ["Address", "Not sure (judged from the map point or address)"]),
        ("/tickets/all/", ["Filed from", "Not overdue"]),
        ("/tickets/new/", ["Channel", "My area"]),
    ],
)
def test_the_forms_speak_english(login, personas, settings, path, english):
    """Form labels and choices are translated, not only the templates' words."""
    client = login(personas["admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(path).content.decode()
    for words in english:
        assert words in body, words


@pytest.mark.parametrize(
    ("path", "english", "chinese"),
    [
        (
            "/tickets/queue/",
            [
                "<h1>Dispatch queue</h1>",
                "Requests awaiting dispatch, returned or escalated, in order of receipt.",
            ],
            ["<h1>派单队列</h1>", "待派单、被退回和督办中的诉求，按受理时间排序。"],
        ),
        (
            "/tickets/overdue/",
            [
                "<h1>Overdue and escalated</h1>",
                "Requests past their acceptance or completion deadline, and escalated requests.",
            ],
            ["<h1>超期督办</h1>", "已超过签收或办结时限，以及督办中的诉求。"],
        ),
        (
            "/tickets/all/",
            ["<h1>All requests</h1>", "All requests in your scope."],
            ["<h1>全部诉求</h1>", "管辖范围内的全部诉求。"],
        ),
        ("/care/rate/", ['<option value="all">All classes</option>'], ["全部类别"]),
    ],
)
def test_the_titles_a_view_hands_its_page_speak_english(
    login, personas, settings, path, english, chinese
):
    """Titles, subtitles and choices written in the views, not in the templates, switch too."""
    client = login(personas["admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    for words in english:
        assert words in body, words
    for words in chinese:
        assert words not in body, words


def test_a_message_after_an_action_speaks_english(login, personas, settings):
    """A flash message the view writes (here: the import posted without a file) is English."""
    client = login(personas["clerk_a"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.post(reverse("facilities:import"), {}).content.decode()
    assert "Choose the Excel file to import." in body
    assert "请选择要导入的 Excel 文件。" not in body


def test_the_sentences_of_one_message_follow_the_page_language():
    """A message made of several sentences runs them together in Chinese and puts a space
    between them in English."""
    from django.utils import translation

    from shequ.care.views import _in_a_row

    with translation.override("zh-hans"):
        assert _in_a_row(["已记录。", "已生成。", "已派单。"]) == "已记录。已生成。已派单。"
    with translation.override("en"):
        assert _in_a_row(["Recorded.", "Created.", "Sent."]) == "Recorded. Created. Sent."
