"""The monthly visit rate as Excel: a sheet of units, a sheet of the targets who were missed."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from shequ.care import rates
from shequ.care.models import CareClass
from shequ.registry.models import AdminUnit

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_HEADERS = ["区划代码", "名称", "应访对象数", "已达标", "未达标", "探访率"]
MISSED_HEADERS = [
    "所属网格/社区",
    "区划代码",
    "姓名",
    "关爱类别",
    "纳入日期",
    "退出日期",
    "本月在册天数",
    "应访次数",
    "实访天数",
    "地址",
]
RED = PatternFill("solid", fgColor="FDECEA")
BOLD = Font(bold=True)


def rate_workbook(
    user: Any, unit: AdminUnit, first: date, *, classes: Iterable[str] = rates.DEFAULT_CLASSES
) -> bytes:
    """The rate table of ``unit``'s children plus the unit total, and every target missed."""
    classes = list(classes)
    table = rates.rate_table(user, unit, first, classes=classes)
    wb = Workbook()
    sheet = wb.active
    sheet.title = "探访率"
    labels = dict(CareClass.choices)
    sheet.append(
        [
            f"{unit.name} {first.year}年{first.month}月 探访率（"
            + "、".join(str(labels[c]) for c in classes)
            + "；规划目标100%）"
        ]
    )
    sheet["A1"].font = BOLD
    sheet.append(UNIT_HEADERS)
    for row in [*table.rows, table.total]:
        sheet.append(
            [
                row.code,
                row.name,
                row.targets,
                row.met,
                row.missed,
                round(row.rate, 4) if row.rate is not None else None,
            ]
        )
        cell = sheet.cell(row=sheet.max_row, column=6)
        cell.number_format = "0.0%"
        if not row.on_target:
            cell.fill = RED
    sheet.cell(row=sheet.max_row, column=2).font = BOLD
    missed = wb.create_sheet("未达标名单")
    missed.append(MISSED_HEADERS)
    for t in rates.missed_targets(user, unit, first, classes=classes):
        household = t.person.household
        missed.append(
            [
                t.unit.name,
                t.unit.code,
                t.person.name,
                t.get_care_class_display(),
                t.started_on,
                t.ended_on,
                t.days,
                t.required,
                t.visit_days,
                household.address if household else "",
            ]
        )
    for ws, widths in (
        (sheet, [18, 24, 12, 10, 10, 10]),
        (missed, [22, 18, 10, 16, 12, 12, 12, 10, 10, 30]),
    ):
        for i, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
