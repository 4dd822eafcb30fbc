"""The rate's Excel export: a sheet per unit and a sheet of the targets who were missed."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db


def test_the_export_holds_the_unit_rates_and_the_missed_list(login, personas, march):
    response = login(personas["officer_a"]).get(
        reverse("care:rate_export"), {"unit": "220403001", "month": "2026-03"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('care-rate-220403001-2026-03.xlsx"')
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["探访率", "未达标名单"]
    rows = list(wb["探访率"].iter_rows(values_only=True))
    assert rows[0][0].startswith("太安街道 2026年3月 探访率")
    assert rows[1] == ("区划代码", "名称", "应访对象数", "已达标", "未达标", "探访率")
    assert rows[2:] == [
        ("220403001001", "泰安社区", 6, 3, 3, 0.5),
        ("220403001002", "新苑社区", 0, 0, 0, None),
        ("220403001", "太安街道", 6, 3, 3, 0.5),
    ]
    missed = list(wb["未达标名单"].iter_rows(values_only=True))
    assert missed[0][:4] == ("所属网格/社区", "区划代码", "姓名", "关爱类别")
    by_name = {r[2]: r for r in missed[1:]}
    assert set(by_name) == {"乙", "己", "丁"}  # 壬 lives in another street
    assert by_name["丁"][4].date() == date(2026, 3, 28) and by_name["丁"][6:9] == (4, 1, 0)


def test_the_export_is_scoped_like_the_page(login, personas, march):
    response = login(personas["clerk_b"]).get(
        reverse("care:rate_export"), {"unit": "220403001", "month": "2026-03"}
    )
    assert response.status_code == 404
