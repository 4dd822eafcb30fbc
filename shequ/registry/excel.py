"""The registry as Excel (.xlsx): one column spec per kind, templates, exports and a reader.

The column specs are the single source of the Chinese headers: the template, the export and
the importer (``importing.py``) all read them, so the three cannot drift apart.

Writing uses openpyxl. Reading does not use openpyxl's cell reader: it parses the sheet XML
with expat directly (``read_rows``). openpyxl's read-only mode builds a dict and a ``Text``
object per cell and, for files without a ``<dimension>`` (every write-only file, ours
included), parses the whole sheet twice; on this project's 2-core machine it alone reads
fewer person rows a second than the whole import is meant to reach (10,000). The reader
here is three to four times faster. It reuses openpyxl's stylesheet code to know which
number formats are dates, and a test compares it with openpyxl cell by cell.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any
from xml.etree import ElementTree
from xml.parsers import expat

from django.db.models import Prefetch
from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from shequ.registry.models import (
    AdminUnit,
    Building,
    CertificateLevel,
    GridRole,
    Household,
    Level,
    Person,
    PersonTag,
    Post,
    Tag,
    Worker,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Cell kinds: how the importer converts a cell, and how the template formats a column.
TEXT = "text"
CODE = "code"  # administrative division code, 6/9/12/15 digits
INT = "int"
FLOAT = "float"
BOOL = "bool"  # 是/否
CHOICE = "choice"
DATE = "date"
ID_NUMBER = "id_number"
PHONE = "phone"
TAGS = "tags"
CERTIFICATES = "certificates"

# Kinds Excel must keep as text: a code or an ID number typed into a "General" cell
# becomes a number, and an 18-digit number loses its last three digits.
_TEXT_KINDS = frozenset({TEXT, CODE, ID_NUMBER, PHONE, TAGS, CERTIFICATES})

YES, NO = "是", "否"

# 城乡分类代码 of the statistics bureau (统计用区划和城乡划分代码).
URBAN_RURAL_CODES = {
    "111": "主城区",
    "112": "城乡结合区",
    "121": "镇中心区",
    "122": "镇乡结合区",
    "123": "特殊区域",
    "210": "乡中心区",
    "220": "村庄",
}

# Everyday names for the levels besides the model's own labels.
LEVEL_ALIASES = {
    "区": Level.DISTRICT,
    "县": Level.DISTRICT,
    "街道": Level.STREET,
    "镇": Level.STREET,
    "乡": Level.STREET,
    "社区": Level.COMMUNITY,
    "村": Level.COMMUNITY,
}

RELATIONS = (
    "户主",
    "配偶",
    "子",
    "女",
    "父母",
    "祖父母",
    "孙子女",
    "兄弟姐妹",
    "儿媳",
    "女婿",
    "其他",
)


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str = TEXT
    required: bool = False
    max_length: int = 0
    minimum: float | None = None
    maximum: float | None = None
    # (label shown in Excel, stored value); labels form the drop-down.
    choices: tuple[tuple[str, str], ...] = ()
    # A drop-down that also allows other values (e.g. 与户主关系).
    suggestions: tuple[str, ...] = ()
    note: str = ""
    width: int = 14

    @property
    def is_text(self) -> bool:
        return self.kind in _TEXT_KINDS


@dataclass(frozen=True)
class Sheet:
    kind: str
    label: str
    columns: tuple[Column, ...]
    rules: tuple[str, ...] = ()

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def __getitem__(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)


def zh_labels(choices: Any) -> dict[str, str]:
    """{value: Chinese label} of model choices. The file format must not follow the page
    language, so translation is switched off: the labels are the Chinese source strings."""
    with translation.override(None):
        return {value: str(label) for value, label in choices.choices}


def _labels(choices: Any) -> tuple[tuple[str, str], ...]:
    return tuple((label, value) for value, label in zh_labels(choices).items() if value)


_UNIT_CODE_NOTE = "6位区、9位街道/镇、12位社区/村或15位网格代码，须在您的管辖范围内"

UNITS = Sheet(
    "units",
    "区划",
    (
        Column(
            "区划代码",
            "code",
            CODE,
            required=True,
            width=18,
            note="6/9/12/15位数字：区6位、街道/镇9位、社区/村12位、网格15位",
        ),
        Column("名称", "name", required=True, max_length=100, width=20),
        Column(
            "层级",
            "level",
            CHOICE,
            required=True,
            choices=_labels(Level),
            note="区、街道/镇、社区/村或网格，须与代码位数一致",
        ),
        Column(
            "上级代码", "parent", CODE, width=18, note="可不填：由区划代码推出；填写时须与之一致"
        ),
        Column(
            "城乡分类代码",
            "urban_rural_code",
            CHOICE,
            choices=tuple((k, k) for k in URBAN_RURAL_CODES),
            note="；".join(f"{k} {v}" for k, v in URBAN_RURAL_CODES.items()),
        ),
        Column("户数", "households", INT, minimum=0, note="非负整数"),
        Column("常住人口", "population", INT, minimum=0, note="非负整数"),
        Column("中心纬度", "centre_lat", FLOAT, minimum=-90, maximum=90, note="十进制度，如 43.03"),
        Column(
            "中心经度", "centre_lon", FLOAT, minimum=-180, maximum=180, note="十进制度，如 125.15"
        ),
    ),
    rules=(
        "区划代码已存在的行更新该区划；不存在的行新增，其上级须已存在或在同一文件中。",
        "更新已有区划时，留空的列保持原值。",
    ),
)

BUILDINGS = Sheet(
    "buildings",
    "楼栋",
    (
        Column("所属区划代码", "unit", CODE, required=True, width=18, note=_UNIT_CODE_NOTE),
        Column("楼号", "number", required=True, max_length=40, note="如 1号楼"),
        Column("地址", "address", max_length=200, width=28),
        Column("层数", "floors", INT, minimum=1, maximum=200, note="1–200 的整数"),
        Column("纬度", "lat", FLOAT, minimum=-90, maximum=90, note="十进制度"),
        Column("经度", "lon", FLOAT, minimum=-180, maximum=180, note="十进制度"),
    ),
    rules=(
        "同一区划下楼号已存在的行更新该楼栋，否则新增。",
        "更新已有楼栋时，留空的列保持原值。",
    ),
)

HOUSEHOLDS = Sheet(
    "households",
    "户",
    (
        Column(
            "户编号",
            "number",
            required=True,
            max_length=40,
            width=16,
            note="全区唯一；已存在的户编号更新该户",
        ),
        Column("所属区划代码", "unit", CODE, required=True, width=18, note=_UNIT_CODE_NOTE),
        Column(
            "楼号",
            "building",
            max_length=40,
            note="可不填；填写时须是本区划（或其上级）已登记的楼栋",
        ),
        Column("门牌/室号", "room", max_length=40, note="如 1单元101"),
        Column("地址", "address", max_length=200, width=28),
    ),
    rules=(
        "户编号已存在的行更新该户（不能改变所属区划），否则新增。",
        "更新已有的户时，留空的列保持原值。",
    ),
)

PERSONS = Sheet(
    "persons",
    "居民",
    (
        Column("姓名", "name", required=True, max_length=50),
        Column(
            "身份证号",
            "id_number",
            ID_NUMBER,
            required=True,
            width=22,
            note="18位公民身份号码，请设为文本格式；性别和出生日期由号码得出",
        ),
        Column("电话", "phone", PHONE, width=16, note="11位手机号或带区号的固定电话，可不填"),
        Column("所属区划代码", "unit", CODE, required=True, width=18, note=_UNIT_CODE_NOTE),
        Column(
            "户编号",
            "household",
            max_length=40,
            width=16,
            note="可不填；填写时须是已登记的户，且该户在所属区划内。导入后从导入日起在该户居住",
        ),
        Column(
            "与户主关系",
            "relation",
            max_length=20,
            suggestions=RELATIONS,
            note="如 户主、配偶、子、女",
        ),
        Column(
            "标签",
            "tags",
            TAGS,
            width=18,
            note="可填多个，用逗号或顿号分隔：" + "、".join(zh_labels(Tag).values()),
        ),
        Column(
            "残疾等级",
            "grade",
            INT,
            minimum=1,
            maximum=4,
            note="1–4级，仅在标签含 残疾 或 重残 时填写",
        ),
    ),
    rules=("每个身份证号只能登记一次：文件内重复或系统中已登记的都会使整个文件被拒绝。",),
)

WORKERS = Sheet(
    "workers",
    "社区工作者",
    (
        Column("姓名", "name", required=True, max_length=50),
        Column("所在区划代码", "unit", CODE, required=True, width=18, note=_UNIT_CODE_NOTE),
        Column("电话", "phone", PHONE, width=16),
        Column(
            "岗位",
            "post",
            CHOICE,
            choices=_labels(Post),
            note="正职、副职或社区工作者；不填为社区工作者",
        ),
        Column("等级", "level", INT, minimum=1, maximum=18, note="三岗十八级的 1–18 级；不填为 1"),
        Column("党建专岗", "party_post", BOOL, note="是或否；不填为否"),
        Column(
            "网格角色",
            "grid_role",
            CHOICE,
            choices=(("无", ""), *_labels(GridRole)),
            note="不填为无",
        ),
        Column("灾害信息员", "disaster_officer", BOOL, note="是或否；不填为否"),
        Column(
            "证书",
            "certificates",
            CERTIFICATES,
            width=30,
            note="等级:取得日期，多个用逗号分隔，如 社会工作师:2022-06-18。等级为 "
            + "、".join(zh_labels(CertificateLevel).values()),
        ),
        Column("入职日期", "joined_on", DATE, note="日期，如 2020-03-01"),
    ),
    rules=("同一区划已登记同名社区工作者的行会被拒绝，以免重复导入。",),
)

SHEETS: dict[str, Sheet] = {s.kind: s for s in (UNITS, BUILDINGS, HOUSEHOLDS, PERSONS, WORKERS)}

GENERAL_RULES = (
    "第1行是表头，请勿修改列名；列的顺序可以调整，可以删去非必填列。",
    "导入是整体的：任何一行有错误，整个文件都不会写入，页面会列出所有错误的行和列。",
    "只能引用您管辖范围内的区划。",
    "日期可写作 2022-06-18、2022/6/18 或设为 Excel 日期格式。",
)


def sheet_for(kind: str) -> Sheet:
    try:
        return SHEETS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}") from None


# ---------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C0392B")
_HEADER_FILL = PatternFill("solid", fgColor="EEF2F7")
_TEMPLATE_ROWS = 100_000  # data validations reach this far down


def _header_note(column: Column) -> str:
    parts = ["必填。" if column.required else "选填。"]
    if column.note:
        parts.append(column.note)
    if column.kind == CHOICE and not column.note:
        parts.append("可选：" + "、".join(label for label, _ in column.choices))
    return "".join(parts)


def write_template(kind: str, out: IO[bytes]) -> None:
    """An empty sheet with the headers (required ones in red, each with a comment),
    drop-downs where the values are a fixed list, and a sheet of instructions."""
    sheet = sheet_for(kind)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet.label
    for idx, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=idx, value=column.header)
        cell.font = _REQUIRED_FONT if column.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.comment = Comment(_header_note(column), "社区服务平台", width=260, height=120)
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = column.width
        if column.is_text:
            ws.column_dimensions[letter].number_format = "@"
        elif column.kind == DATE:
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        values = _dropdown_values(column)
        if values:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(values) + '"',
                allow_blank=True,
                # Suggestions only: 与户主关系 may be any short text.
                showErrorMessage=not column.suggestions,
                errorTitle="取值不正确",
                error="请从下拉列表中选择：" + "、".join(values),
            )
            dv.add(f"{letter}2:{letter}{_TEMPLATE_ROWS}")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"

    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明"])
    for cell in notes[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    for column in sheet.columns:
        notes.append([column.header, YES if column.required else NO, _header_note(column)[3:]])
    notes.append([])
    for rule in (*GENERAL_RULES, *sheet.rules):
        notes.append([rule])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 90
    for row in notes.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(out)


def _dropdown_values(column: Column) -> list[str]:
    if column.kind == BOOL:
        return [YES, NO]
    if column.kind == CHOICE:
        return [label for label, _ in column.choices]
    return list(column.suggestions)


# ---------------------------------------------------------------------------------------
# Exports: what in_scope(user) gives, personal numbers masked (the masks are all we store
# in clear; an export never decrypts).
# ---------------------------------------------------------------------------------------

_LEVEL_LABELS = zh_labels(Level)
_POST_LABELS = zh_labels(Post)
_GRID_ROLE_LABELS = zh_labels(GridRole)
_TAG_LABELS = zh_labels(Tag)
_CERT_LABELS = zh_labels(CertificateLevel)
DISABILITY_TAGS = (Tag.DISABLED, Tag.SEVERE_DISABILITY)


def _yes_no(value: bool) -> str:
    return YES if value else NO


def _unit_rows(user: Any) -> Iterator[list[Any]]:
    qs = (
        AdminUnit.objects.in_scope(user)
        .order_by("code")
        .values_list(
            "code",
            "name",
            "level",
            "parent__code",
            "urban_rural_code",
            "households",
            "population",
            "centre_lat",
            "centre_lon",
        )
    )
    for code, name, level, parent, urc, households, population, lat, lon in qs.iterator(2000):
        yield [
            code,
            name,
            _LEVEL_LABELS.get(level, level),
            parent or None,
            urc or None,
            households,
            population,
            lat,
            lon,
        ]


def _building_rows(user: Any) -> Iterator[list[Any]]:
    qs = (
        Building.objects.in_scope(user)
        .order_by("unit__code", "number")
        .values_list("unit__code", "number", "address", "floors", "lat", "lon")
    )
    for code, number, address, floors, lat, lon in qs.iterator(2000):
        yield [code, number, address or None, floors, lat, lon]


def _household_rows(user: Any) -> Iterator[list[Any]]:
    qs = (
        Household.objects.in_scope(user)
        .order_by("number")
        .values_list("number", "unit__code", "building__number", "room", "address")
    )
    for number, code, building, room, address in qs.iterator(2000):
        yield [number, code, building, room or None, address or None]


def _person_rows(user: Any) -> Iterator[list[Any]]:
    open_tags = Prefetch(
        "tags",
        queryset=PersonTag.objects.filter(ended_on__isnull=True)
        .only("person_id", "tag", "grade")
        .order_by("tag"),
    )
    qs = (
        Person.objects.in_scope(user)
        .active()
        .order_by("unit__code", "pk")
        .select_related("unit", "household")
        .prefetch_related(open_tags)
        .only("name", "id_number_mask", "phone_mask", "relation", "unit__code", "household__number")
    )
    for p in qs.iterator(chunk_size=2000):
        tags = list(p.tags.all())
        grade = next((t.grade for t in tags if t.tag in DISABILITY_TAGS and t.grade), None)
        yield [
            p.name,
            p.id_number_mask,
            p.phone_mask or None,
            p.unit.code,
            p.household.number if p.household else None,
            p.relation or None,
            ",".join(_TAG_LABELS[t.tag] for t in tags) or None,
            grade,
        ]


def _worker_rows(user: Any) -> Iterator[list[Any]]:
    qs = (
        Worker.objects.in_scope(user)
        .active()
        .order_by("unit__code", "name", "pk")
        .select_related("unit")
        .prefetch_related("certificates")
    )
    for w in qs.iterator(chunk_size=2000):
        certs = ",".join(
            f"{_CERT_LABELS[c.level]}:{c.obtained_on.isoformat()}"
            for c in sorted(w.certificates.all(), key=lambda c: c.obtained_on)
        )
        yield [
            w.name,
            w.unit.code,
            w.phone_mask or None,
            _POST_LABELS[w.post],
            w.level,
            _yes_no(w.party_post),
            _GRID_ROLE_LABELS.get(w.grid_role, "无"),
            _yes_no(w.disaster_officer),
            certs or None,
            w.joined_on,
        ]


_EXPORT_ROWS: dict[str, Callable[[Any], Iterator[list[Any]]]] = {
    "units": _unit_rows,
    "buildings": _building_rows,
    "households": _household_rows,
    "persons": _person_rows,
    "workers": _worker_rows,
}


def write_export(kind: str, user: Any, out: IO[bytes]) -> int:
    """Write the rows of ``kind`` the user may see, with the import headers; returns the
    number of data rows. Write-only mode keeps memory flat for 100,000 rows."""
    sheet = sheet_for(kind)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet.label)
    for idx, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = column.width
    ws.freeze_panes = "A2"
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = _HEADER_FONT
        header.append(cell)
    ws.append(header)
    date_columns = [i for i, c in enumerate(sheet.columns) if c.kind == DATE]
    count = 0
    for values in _EXPORT_ROWS[kind](user):
        for i in date_columns:
            if values[i] is not None:
                cell = WriteOnlyCell(ws, value=values[i])
                cell.number_format = "yyyy-mm-dd"
                values[i] = cell
        ws.append(values)
        count += 1
    wb.save(out)
    return count


def export_filename(kind: str, on: date) -> str:
    return f"{sheet_for(kind).label}_{on:%Y%m%d}.xlsx"


def template_filename(kind: str) -> str:
    return f"{sheet_for(kind).label}_导入模板.xlsx"


def write_errors(errors: Iterable[tuple[int, str, str]], out: IO[bytes]) -> None:
    """The error list of a rejected import as a sheet of 行, 列, 错误."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误")
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 80
    ws.append([WriteOnlyCell(ws, value=h) for h in ("行", "列", "错误")])
    for row, column, message in errors:
        ws.append([row, column, message])
    wb.save(out)


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


class UnreadableWorkbook(Exception):
    """The upload is not an .xlsx workbook we can read; ``str(exc)`` is for the user."""


_NOT_XLSX = (
    "文件不是有效的 Excel 工作簿（.xlsx）。如果是 .xls、.et 或 .csv 文件，"
    "请用 Excel 或 WPS 另存为 .xlsx 后再导入。"
)
_BROKEN = "Excel 文件已损坏或格式无法识别，请用 Excel 或 WPS 打开后重新保存再导入。"

_MAIN_NS = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# Parts we hold in memory whole (the shared strings) may not unpack beyond this.
_MAX_PART_BYTES = 512 * 1024 * 1024
_CHUNK = 256 * 1024


def _tags(local: str) -> tuple[str, ...]:
    return tuple(f"{ns} {local}" for ns in _MAIN_NS)


def _parser() -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = 65536

    def refuse_doctype(*_args: Any) -> None:
        # No part of an .xlsx has a DOCTYPE; refusing it rules out entity expansion bombs.
        raise UnreadableWorkbook(_BROKEN)

    parser.StartDoctypeDeclHandler = refuse_doctype
    return parser


def _parse_part(zf: zipfile.ZipFile, name: str) -> ElementTree.Element:
    info = zf.getinfo(name)
    if info.file_size > _MAX_PART_BYTES:
        raise UnreadableWorkbook("Excel 文件过大，无法导入。")
    data = zf.read(info)
    if b"<!DOCTYPE" in data[:2048].upper():
        raise UnreadableWorkbook(_BROKEN)
    return ElementTree.fromstring(data)


def _find_all(element: ElementTree.Element, local: str, namespaces: tuple[str, ...]) -> list:
    found: list = []
    for ns in namespaces:
        found.extend(element.iter(f"{{{ns}}}{local}"))
    return found


@dataclass
class _Book:
    sheets: list[tuple[str, str]]  # (name, part path)
    shared_strings_path: str | None
    styles_path: str | None
    epoch: datetime


def _read_book(zf: zipfile.ZipFile) -> _Book:
    rels_root = _parse_part(zf, "_rels/.rels")
    workbook_path = None
    for rel in rels_root.iter(f"{{{_PKG_REL_NS}}}Relationship"):
        if rel.get("Type", "").endswith("/officeDocument"):
            workbook_path = rel.get("Target", "").lstrip("/")
    if not workbook_path:
        raise UnreadableWorkbook(_NOT_XLSX)
    base = posixpath.dirname(workbook_path)
    rels_path = posixpath.join(base, "_rels", posixpath.basename(workbook_path) + ".rels")
    targets: dict[str, str] = {}
    shared = styles = None
    for rel in _parse_part(zf, rels_path).iter(f"{{{_PKG_REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(base, target))
        )
        targets[rel.get("Id", "")] = path
        kind = rel.get("Type", "")
        if kind.endswith("/sharedStrings"):
            shared = path
        elif kind.endswith("/styles"):
            styles = path
    root = _parse_part(zf, workbook_path)
    epoch = CALENDAR_WINDOWS_1900
    for pr in _find_all(root, "workbookPr", _MAIN_NS):
        if pr.get("date1904", "").lower() in ("1", "true"):
            epoch = CALENDAR_MAC_1904
    sheets = []
    for sheet in _find_all(root, "sheet", _MAIN_NS):
        rid = next((sheet.get(f"{{{ns}}}id") for ns in _REL_NS if sheet.get(f"{{{ns}}}id")), None)
        if rid in targets:
            sheets.append((sheet.get("name", ""), targets[rid]))
    if not sheets:
        raise UnreadableWorkbook("Excel 文件中没有工作表。")
    return _Book(sheets, shared, styles, epoch)


def _read_shared_strings(zf: zipfile.ZipFile, path: str | None) -> list[str]:
    if not path or path not in zf.namelist():
        return []
    info = zf.getinfo(path)
    if info.file_size > _MAX_PART_BYTES:
        raise UnreadableWorkbook("Excel 文件过大，无法导入。")
    strings: list[str] = []
    parts: list[str] = []
    state = {"text": False, "phonetic": 0}
    si, t, rph = _tags("si"), _tags("t"), _tags("rPh")

    def start(name: str, _attrs: dict) -> None:
        if name in t:
            state["text"] = not state["phonetic"]
        elif name in si:
            parts.clear()
        elif name in rph:
            state["phonetic"] += 1  # phonetic guide (furigana), not part of the value

    def end(name: str) -> None:
        if name in t:
            state["text"] = False
        elif name in si:
            strings.append("".join(parts))
        elif name in rph:
            state["phonetic"] -= 1

    def chars(data: str) -> None:
        if state["text"]:
            parts.append(data)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    with zf.open(info) as stream:
        parser.ParseFile(stream)
    return strings


def _date_styles(zf: zipfile.ZipFile, path: str | None) -> tuple[frozenset, frozenset]:
    """Indexes of the cell styles whose number format is a date (or a duration)."""
    if not path or path not in zf.namelist():
        return frozenset(), frozenset()
    stylesheet = Stylesheet.from_tree(_parse_part(zf, path))
    return frozenset(stylesheet.date_formats), frozenset(stylesheet.timedelta_formats)


_COLUMN_CACHE: dict[str, int] = {}


def _column_number(letters: str) -> int:
    number = _COLUMN_CACHE.get(letters)
    if number is None:
        number = 0
        for ch in letters.upper():
            number = number * 26 + ord(ch) - 64
        _COLUMN_CACHE[letters] = number
    return number


_DIGITS = "0123456789"


def _sheet_rows(
    stream: IO[bytes],
    shared: list[str],
    date_styles: frozenset,
    duration_styles: frozenset,
    epoch: datetime,
    max_columns: int,
) -> Iterator[tuple[int, list[Any]]]:
    """(Excel row number, values) for every row present in the sheet part, in order."""
    local_names = {
        f"{ns} {tag}": tag for ns in _MAIN_NS for tag in ("c", "v", "t", "row", "is", "rPh")
    }
    local = local_names.get
    done: list[tuple[int, list[Any]]] = []
    values: list[Any] = []
    texts: list[str] = []
    # Mutable parse state in locals of the closures (faster than attribute access).
    row_number = 0
    column = 0
    cell_type = "n"
    cell_style = ""
    capture = False
    in_inline = False
    phonetic = 0

    def start(name: str, attrs: dict) -> None:
        nonlocal row_number, column, cell_type, cell_style, capture, in_inline, phonetic
        tag = local(name)
        if tag == "c":
            ref = attrs.get("r")
            column = _column_number(ref.rstrip(_DIGITS)) if ref else column + 1
            cell_type = attrs.get("t", "n")
            cell_style = attrs.get("s", "")
            texts.clear()
        elif tag == "v":
            capture = True
        elif tag == "t":
            capture = in_inline and not phonetic
        elif tag == "row":
            ref = attrs.get("r")
            row_number = int(ref) if ref else row_number + 1
            column = 0
            values.clear()
        elif tag == "is":
            in_inline = True
        elif tag == "rPh":
            phonetic += 1

    def end(name: str) -> None:
        nonlocal capture, in_inline, phonetic
        tag = local(name)
        if tag == "c":
            if column > max_columns:
                return
            text = "".join(texts)
            value: Any = None
            if text:
                if cell_type == "n":
                    is_float = "." in text or "E" in text or "e" in text
                    value = float(text) if is_float else int(text)
                    if cell_style and int(cell_style) in date_styles:
                        value = from_excel(
                            value, epoch, timedelta=int(cell_style) in duration_styles
                        )
                elif cell_type == "s":
                    value = shared[int(text)]
                elif cell_type in ("inlineStr", "str", "e"):
                    value = text
                elif cell_type == "b":
                    value = text.strip() in ("1", "true")
                elif cell_type == "d":
                    value = datetime.fromisoformat(text)
                else:
                    value = text
            if value is None or value == "":
                return
            missing = column - 1 - len(values)
            if missing > 0:
                values.extend([None] * missing)
            if missing >= 0:
                values.append(value)
            else:  # a cell repeated out of order: the later one wins
                values[column - 1] = value
        elif tag == "v" or tag == "t":
            capture = False
        elif tag == "row":
            done.append((row_number, values.copy()))
        elif tag == "is":
            in_inline = False
        elif tag == "rPh":
            phonetic -= 1

    def chars(data: str) -> None:
        if capture:
            texts.append(data)

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    while True:
        chunk = stream.read(_CHUNK)
        parser.Parse(chunk, not chunk)
        if done:
            yield from done
            done.clear()
        if not chunk:
            return


def read_rows(
    source: str | IO[bytes], *, prefer_sheet: str | None = None, max_columns: int = 200
) -> Iterator[tuple[int, list[Any]]]:
    """Stream (Excel row number, cell values) from a sheet of an .xlsx workbook.

    The sheet named ``prefer_sheet`` if there is one, else the first. Values are as
    openpyxl's ``values_only`` gives them (str, int, float, bool, datetime), except that
    trailing empty cells are not padded and empty strings are ``None``. Formulas give their
    cached value. Raises :class:`UnreadableWorkbook` with a message for the user.
    """
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnreadableWorkbook(_NOT_XLSX) from None
    try:
        with zf:
            try:
                book = _read_book(zf)
                shared = _read_shared_strings(zf, book.shared_strings_path)
                date_styles, duration_styles = _date_styles(zf, book.styles_path)
                path = next((p for n, p in book.sheets if n == prefer_sheet), book.sheets[0][1])
                stream = zf.open(path)
            except KeyError:
                raise UnreadableWorkbook(_NOT_XLSX) from None
            with stream:
                yield from _sheet_rows(
                    stream, shared, date_styles, duration_styles, book.epoch, max_columns
                )
    except UnreadableWorkbook:
        raise
    except (
        expat.ExpatError,
        ElementTree.ParseError,
        zipfile.BadZipFile,
        KeyError,
        IndexError,
        ValueError,
        TypeError,
        OverflowError,
        EOFError,
        OSError,
    ):
        raise UnreadableWorkbook(_BROKEN) from None


def is_blank(values: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


_HEADER_CLEAN = re.compile(r"[\s*＊]")


def clean_header(value: Any) -> str:
    """A header as typed: spaces and the asterisks some people add to required columns go."""
    return _HEADER_CLEAN.sub("", str(value)) if value is not None else ""


def workbook_bytes(write: Callable[[IO[bytes]], Any]) -> bytes:
    buffer = io.BytesIO()
    write(buffer)
    return buffer.getvalue()
