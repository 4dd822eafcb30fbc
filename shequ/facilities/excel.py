"""Facilities as Excel: export, template and an all-or-nothing import.

The column list is the one source of the Chinese headers for all three. It reuses the
registry's helpers rather than copies of them: its column spec and fast sheet reader
(``shequ.registry.excel``), its cell converters (``shequ.registry.importing``) and its
(行, 列, 错误) error sheet. An import either writes every row or nothing, and lists every
bad cell.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from shequ.errors import DomainError
from shequ.facilities import queries, services
from shequ.facilities.models import DAY_CHOICES, Facility
from shequ.registry import excel, importing
from shequ.registry.excel import (
    XLSX_CONTENT_TYPE,
    Column,
    UnreadableWorkbook,
    clean_header,
    is_blank,
    read_rows,
    write_errors,
)

__all__ = ["XLSX_CONTENT_TYPE", "ImportResult", "import_facilities", "write_facilities"]

YES, NO = excel.YES, excel.NO
SHEET_LABEL = "服务设施"
HOURS, ROOMS = "hours", "rooms"  # this sheet's own cell kinds; the rest are the registry's

COLUMNS: tuple[Column, ...] = (
    Column("设施名称", "name", excel.TEXT, required=True, max_length=100, width=24),
    Column("类型", "type_code", excel.TEXT, required=True, max_length=60, width=24),
    Column("所属区划代码", "unit_code", excel.CODE, required=True, width=18),
    Column("地址", "address", excel.TEXT, max_length=200, width=24),
    Column("纬度", "lat", excel.FLOAT, minimum=-90, maximum=90),
    Column("经度", "lon", excel.FLOAT, minimum=-180, maximum=180),
    Column("总建筑面积(㎡)", "floor_area", excel.FLOAT, minimum=0),
    Column("居民活动区域面积(㎡)", "activity_area", excel.FLOAT, minimum=0, width=18),
    Column("办公面积(㎡)", "office_area", excel.FLOAT, minimum=0),
    Column("商业面积(㎡)", "commercial_area", excel.FLOAT, minimum=0),
    Column("值班人数", "staff_on_duty", excel.INT, minimum=0, maximum=1000),
    *(Column(f"{label}开放时间", day, HOURS) for day, label in DAY_CHOICES),
    Column("功能室", "rooms", ROOMS, width=40),
    Column("在用", "active", excel.BOOL, width=8),
    Column("备注", "note", excel.TEXT, max_length=200, width=20),
)
# Empty cells: None, except these (an empty 值班人数 is 0, an empty 在用 is 是).
EMPTY = {"staff_on_duty": 0, "active": True}
HEADERS = {c.header: c for c in COLUMNS}
HEADER_OF = {c.key: c.header for c in COLUMNS}
DAYS = [day for day, _ in DAY_CHOICES]


# -- export -----------------------------------------------------------------------------


def _rows(user: Any, unit_code: str) -> Iterator[list[Any]]:
    qs = queries.facilities(user, unit_code=unit_code).prefetch_related("rooms")
    for f in qs.order_by("unit__code", "type__order", "name"):
        hours = {h.day: h for h in f.hours.all()}
        yield [
            f.name,
            f.type.name,
            f.unit.code,
            f.address or None,
            f.lat,
            f.lon,
            f.floor_area,
            f.activity_area,
            f.office_area,
            f.commercial_area,
            f.staff_on_duty,
            *(services.format_hours(hours.get(day)) for day in DAYS),
            services.format_rooms(f.rooms.all()) or None,
            YES if f.active else NO,
            f.note or None,
        ]


def write_facilities(user: Any, out: IO[bytes], *, unit_code: str = "") -> int:
    """The facilities the user may see (under ``unit_code``), with the import's headers.
    An export with no rows is the import template. Returns the number of rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_LABEL)
    for i, c in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = c.width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for c in COLUMNS:
        cell = WriteOnlyCell(ws, value=c.header)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    count = 0
    for values in _rows(user, unit_code):
        ws.append(values)
        count += 1
    notes = wb.create_sheet("填写说明")
    for line in (
        "同一区划下设施名称已存在的行更新该设施，否则新增；整个文件有任何错误都不会写入。",
        "类型填设施类型名称或代码；所属区划代码须在您的管辖范围内。",
        "开放时间写作 08:30-17:30、全天或休息；节假日应全天开放（规划（十二））。",
        "功能室写作 名称:面积:功能1/功能2，多个用分号分隔，如 多功能活动室:80:会议议事/学习培训。",
    ):
        notes.append([line])
    wb.save(out)
    return count


# -- import -----------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_sheet(self, out: IO[bytes]) -> None:
        write_errors(self.errors, out)


def _converters() -> dict[str, Any]:
    """One converter per column: the registry importer's for its kinds, ours for hours and
    rooms. Each raises with a message for the (row, column, message) list."""
    today = timezone.localdate()
    out: dict[str, Any] = {}
    for col in COLUMNS:
        if col.kind == HOURS:
            out[col.key] = lambda v: services.parse_hours(str(v))
        elif col.kind == ROOMS:
            out[col.key] = lambda v: services.parse_rooms(str(v))
        else:
            out[col.key] = importing._converter(col, today)
    return out


def _parse(source: Any) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str, str]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[tuple[int, str, str]] = []
    columns: list[Column | None] = []
    convert = _converters()
    try:
        for number, values in read_rows(source, prefer_sheet=SHEET_LABEL):
            if not columns:
                columns = [HEADERS.get(clean_header(v)) for v in values]
                missing = [c.header for c in COLUMNS if c.required and c not in columns]
                if missing:
                    errors.append((number, "", "缺少必填列：" + "、".join(missing)))
                    return [], errors
                continue
            if is_blank(values):
                continue
            data: dict[str, Any] = {}
            cells = dict(zip(columns, values, strict=False))
            for col in COLUMNS:
                if col not in columns:
                    continue
                value = cells.get(col)
                if value is None or (isinstance(value, str) and not value.strip()):
                    if col.required:
                        errors.append((number, col.header, f"{col.header}必填"))
                    data[col.key] = EMPTY.get(col.key)
                    continue
                try:
                    data[col.key] = convert[col.key](value)
                except importing._CellError as exc:
                    errors.append((number, col.header, str(exc)))
                except DomainError as exc:
                    errors.append((number, col.header, exc.message))
            rows.append((number, data))
    except UnreadableWorkbook as exc:
        return [], [(0, "", str(exc))]
    if not columns:
        errors.append((1, "", "文件是空的：第1行应是表头。"))
    return rows, errors


def _input(data: dict[str, Any], existing: Facility | None) -> services.FacilityInput:
    """A service input from a row; columns left out of the file keep the existing values."""
    fields = {
        k: data[k]
        for k in services.FacilityInput.__dataclass_fields__
        if k in data and k not in ("hours", "rooms")
    }
    if existing is not None:
        for key in (
            "address",
            "lat",
            "lon",
            "floor_area",
            "activity_area",
            "office_area",
            "commercial_area",
            "staff_on_duty",
            "active",
            "note",
        ):
            fields.setdefault(key, getattr(existing, key))
    hours = None
    if any(day in data for day in DAYS):
        hours = {day: data.get(day) for day in DAYS}
    return services.FacilityInput(**fields, hours=hours, rooms=data.get("rooms"))


def import_facilities(source: Any, *, actor: Any) -> ImportResult:
    """Create or update the facilities of an .xlsx file; all rows or none.

    A row updates the facility of the same name in the same unit, else creates one.
    Errors are (Excel row, column header, message); with any error nothing is written.
    """
    result = ImportResult()
    if not getattr(actor, "may_write_registry", False):
        result.errors.append((0, "", "您的角色不能导入设施档案。"))
        return result
    rows, result.errors = _parse(source)
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for number, data in rows:
                existing = (
                    Facility.objects.in_scope(actor)
                    .filter(unit__code=data.get("unit_code"), name=(data.get("name") or "").strip())
                    .first()
                )
                try:
                    with transaction.atomic():
                        item = _input(data, existing)
                        if existing is None:
                            services.create_facility(item, actor=actor)
                            result.created += 1
                        else:
                            services.update_facility(existing, item, actor=actor)
                            result.updated += 1
                except DomainError as exc:
                    header = HEADER_OF.get(_field_column(exc.field), "")
                    result.errors.append((number, header, exc.message))
            if result.errors:
                raise _Rejected
    except _Rejected:
        result.created = result.updated = 0
    return result


class _Rejected(Exception):
    """Rolls the import's transaction back when a row failed."""


def _field_column(name: str | None) -> str:
    return {"type": "type_code", "unit": "unit_code"}.get(name or "", name or "")
