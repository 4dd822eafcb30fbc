"""Presentations of facility data: the week's hours of a facility, the coverage workbook."""

from __future__ import annotations

from datetime import date
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from shequ.facilities import checks, queries, services
from shequ.facilities.models import DAY_CHOICES, Facility
from shequ.registry.models import AdminUnit


def week_hours(facility: Facility) -> list[dict[str, Any]]:
    """Each weekday and holidays: its hours as text, and whether it meets (十二)."""
    hours = {h.day: h for h in facility.hours.all()}
    out = []
    for day, label in DAY_CHOICES:
        row = hours.get(day)
        if day == "holiday":
            ok = row is not None and row.all_day
        else:
            ok = row is not None and row.hours + 1e-9 >= checks.MIN_DAILY_HOURS
        out.append({"day": day, "label": label, "text": services.format_hours(row), "ok": ok})
    return out


def write_coverage(user: Any, unit: AdminUnit, out: IO[bytes], *, on: date) -> None:
    """One sheet per measure (户, 居民, 老年人, 儿童): the unit and its children × types, the
    share within each type's walking standard; plus the counts behind the shares."""
    kinds, rows, cov = queries.coverage_rows(user, unit, on=on)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for measure, label in queries.MEASURES:
        ws = wb.create_sheet(f"{label}覆盖率")
        ws.column_dimensions["A"].width = 22
        ws.column_dimensions["B"].width = 16
        for i in range(len(kinds) + 1):
            ws.column_dimensions[get_column_letter(i + 3)].width = 14
        headers = ["单位", "区划代码", f"{label}数"] + [
            f"{t.name}（{t.standard_minutes}分钟）" for t in kinds
        ]
        ws.append([_bold(ws, h, bold) for h in headers])
        for row in rows:
            total = cov.total.get(row.unit.code, {}).get(measure, 0)
            shares = [cov.share(row.unit.code, t.pk, measure) for t in kinds]
            cells: list[Any] = [row.unit.name, row.unit.code, total]
            for share in shares:
                cell = WriteOnlyCell(ws, value=None if share is None else round(share, 4))
                cell.number_format = "0.0%"
                cells.append(cell)
            ws.append(cells)
    notes = wb.create_sheet("说明")
    notes.append(
        [f"计算日期：{on:%Y-%m-%d}；覆盖率＝楼栋步行时间在该类设施标准以内的人数÷总人数。"]
    )
    notes.append(["未定位楼栋（无坐标）的户和居民计入总数、不计入覆盖。"])
    run = queries.last_run()
    if run is not None:
        notes.append([f"最近一次可达性计算：{run}"])
    wb.save(out)


def _bold(ws: Any, value: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = font
    return cell
