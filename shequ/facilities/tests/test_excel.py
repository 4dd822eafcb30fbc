"""Excel import/export of facilities: a round trip, and a bad file rejected whole."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from shequ.facilities import excel
from shequ.facilities.models import Facility, OpeningHours

pytestmark = pytest.mark.django_db

HEADERS = [
    "设施名称",
    "类型",
    "所属区划代码",
    "纬度",
    "经度",
    "总建筑面积(㎡)",
    "居民活动区域面积(㎡)",
    "周一开放时间",
    "节假日开放时间",
    "功能室",
]


def workbook(rows: list[list]) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


GOOD = [
    "泰安助餐点",
    "日间照料中心/老年助餐点",
    "220403001001",
    42.9,
    125.13,
    200,
    150,
    "08:00-17:00",
    "全天",
    "餐厅:80:助餐/老年活动",
]


def test_a_good_file_creates_facilities_with_hours_and_rooms(personas):
    result = excel.import_facilities(workbook([GOOD]), actor=personas["clerk_a"])
    assert result.ok and result.created == 1
    f = Facility.objects.get(name="泰安助餐点")
    assert f.type.code == "elderly_care" and f.floor_area == 200
    assert set(f.hours.values_list("day", flat=True)) == {"0", "holiday"}
    assert f.rooms.get().functions == ["meal", "elderly"]


def test_a_second_import_updates_by_unit_and_name(personas):
    excel.import_facilities(workbook([GOOD]), actor=personas["clerk_a"])
    changed = [*GOOD[:5], 260, 200, *GOOD[7:]]
    result = excel.import_facilities(workbook([changed]), actor=personas["clerk_a"])
    assert (result.created, result.updated) == (0, 1)
    assert Facility.objects.get().floor_area == 260


def test_a_bad_file_is_rejected_whole_with_row_column_and_reason(personas):
    rows = [
        GOOD,
        [
            "仙城驿站",
            "快递驿站/智能快件箱",
            "220403002001",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ],  # another community
        ["", "不存在的类型", "12345", "北纬", None, -5, None, "早上", None, "舞厅:10:跳舞"],
    ]
    result = excel.import_facilities(workbook(rows), actor=personas["clerk_a"])
    assert not result.ok and result.created == 0
    errors = {(row, column) for row, column, _ in result.errors}
    assert {
        (4, "设施名称"),
        (4, "所属区划代码"),
        (4, "纬度"),
        (4, "周一开放时间"),
        (4, "功能室"),
    } <= errors
    assert not Facility.objects.exists()
    assert not OpeningHours.objects.exists()


def test_a_row_the_service_refuses_rolls_back_the_good_rows(personas):
    rows = [GOOD, ["仙城驿站", "parcel", "220403002001"] + [None] * 7]
    result = excel.import_facilities(workbook(rows), actor=personas["clerk_a"])
    assert result.errors == [
        (3, "所属区划代码", "区划代码 220403002001 不存在或不在您的管辖范围内。")
    ]
    assert not Facility.objects.exists()


def test_not_an_excel_file_is_a_clear_error(personas):
    result = excel.import_facilities(io.BytesIO(b"name,type\n"), actor=personas["clerk_a"])
    assert not result.ok and "不是有效的 Excel" in result.errors[0][2]


def test_the_import_page_lists_the_errors_and_writes_nothing(login, personas):
    upload = SimpleUploadedFile("f.xlsx", workbook([["", "parcel", "220403001001"]]).read())
    response = login(personas["clerk_a"]).post(reverse("facilities:import"), {"file": upload})
    assert 'data-testid="import-errors"' in response.content.decode()
    assert not Facility.objects.exists()


def test_readers_may_not_import(login, personas):
    assert login(personas["leader"]).get(reverse("facilities:import")).status_code == 404


def test_the_export_reads_back_unchanged(personas, places):
    out = io.BytesIO()
    count = excel.write_facilities(personas["admin"], out)
    assert count == 3
    out.seek(0)
    result = excel.import_facilities(out, actor=personas["admin"])
    assert result.ok and (result.created, result.updated) == (0, 3)
