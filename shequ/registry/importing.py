"""Excel import of the registry: read, check every row, then write everything or nothing.

Two passes over the data, one over the file. The first pass reads each row once, converts
and checks its cells, and keeps a compact record; the checks that need the database
(people already registered, households, existing units) then run once for the whole file
with a few batched queries instead of one query per row. Only a file without a single
error reaches the second pass, which writes in batches inside one transaction (with
``bulk_create``; persons, the one kind that comes by the 100,000, with ``_RowInserter``)
and records one audit row for the whole import.

Persons are checked in chunks of rows; a large file's chunks go to two forked worker
processes (the per-row work is Python: ID check digit, AES-GCM, HMAC) while this process
reads the next ones and takes the results in row order. See ``_check_chunks``.
"""

from __future__ import annotations

import multiprocessing as mp
import re
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from operator import mul
from typing import IO, Any, NamedTuple

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from shequ.accounts.scope import scope_code
from shequ.audit.models import Action, AuditEntry
from shequ.core.idcard import IdNumber, InvalidIdNumber, parse_id_number
from shequ.core.masking import mask_id_number, mask_phone
from shequ.errors import Conflict, Forbidden, Invalid
from shequ.registry import excel, pii
from shequ.registry.excel import Column, Sheet
from shequ.registry.models import (
    CODE_LENGTH,
    LEVEL_OF_LENGTH,
    AdminUnit,
    Building,
    Certificate,
    CertificateLevel,
    Household,
    Person,
    PersonTag,
    Post,
    Residence,
    Tag,
    Worker,
)
from shequ.registry.pii import cipher, normalise_phone

BATCH = 2000
# Rows of one file; a bigger file is refused before anything is checked.
MAX_ROWS = 200_000
# Errors kept for the page and the error workbook; all of them are counted.
KEEP_ERRORS = 1000
# Rows the header may be preceded by (a title line such as “泰安社区居民花名册”).
HEADER_SEARCH_ROWS = 5
# Values per IN (...) list: below SQLite's historic limit of 999 parameters.
_IN_CHUNK = 900

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel shows it: the header is row 1
    column: str
    message: str


@dataclass
class ImportResult:
    kind: str
    label: str
    file_name: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_count == 0


class ImportFileError(Invalid):
    """The file as a whole cannot be imported (not an .xlsx, wrong headers, no rows)."""

    code = "bad_file"


class _CellError(Exception):
    """A cell that cannot be converted; the message is shown as is."""


# ---------------------------------------------------------------------------------------
# Cell conversion: one converter per column, chosen once per file.
# ---------------------------------------------------------------------------------------

_LIST_SPLIT = re.compile(r"[,，、;；\s]+")
_CERT_SPLIT = re.compile(r"[,，、;；\n]+")
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_CODE_TEXT = re.compile(r"[0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15}")
_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_TRUE = frozenset({"是", "Y", "YES", "TRUE", "1", "√"})
_FALSE = frozenset({"否", "N", "NO", "FALSE", "0", "×"})
_TAG_OF_LABEL = {label: value for value, label in excel.zh_labels(Tag).items()}
_CERT_OF_LABEL = {label: value for value, label in excel.zh_labels(CertificateLevel).items()}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def _ascii_digits(value: str) -> str:
    # Full-width digits typed with a Chinese IME (１２３) count as digits.
    return value if value.isascii() else unicodedata.normalize("NFKC", value)


def _number_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else None
    if isinstance(value, str):
        return _ascii_digits(value).replace(" ", "")
    return None


_ID_PLAIN = re.compile(r"[0-9]{17}[0-9X]")
# GB 11643 check code: weights of the 17 body digits, and their sum times ord("0"), which
# a weighted sum over the ASCII bytes has too much.
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_ZERO_SUM = ord("0") * sum(_ID_WEIGHTS)
_ID_CHECK = b"10X98765432"


def _plain_id_number(value: str, today: str) -> IdNumber | None:
    """A valid ID number typed plainly (18 ASCII characters, upper-case X) without
    parse_id_number's Unicode normalisation and digit-by-digit sum, or None: then
    parse_id_number decides (and says what is wrong). ``today`` is ``YYYYMMDD``."""
    if len(value) != 18 or not _ID_PLAIN.fullmatch(value):
        return None
    digits = value.encode("ascii")
    if _ID_CHECK[(sum(map(mul, digits, _ID_WEIGHTS)) - _ID_ZERO_SUM) % 11] != digits[17]:
        return None
    if not "19000101" <= value[6:14] <= today:
        return None
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
    return IdNumber(
        number=value, region=value[:6], birth_date=birth, sex="M" if digits[16] & 1 else "F"
    )


def parse_date(value: Any) -> date:
    """A date from an Excel date cell, ``2022-06-18``, ``2022/6/18``, ``2022年6月18日`` or
    ``20220618``; raises _CellError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _number_text(value) if not isinstance(value, str) else _ascii_digits(value).strip()
    if text:
        match = _DATE_TEXT.fullmatch(text)
        parts = (
            match.groups()
            if match
            else ((text[:4], text[4:6], text[6:]) if len(text) == 8 and text.isdigit() else None)
        )
        if parts:
            try:
                return date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                raise _CellError(f"日期“{text}”不存在") from None
    raise _CellError("日期格式不正确，应为 YYYY-MM-DD（如 2022-06-18）")


def _converter(column: Column, today: date) -> Callable[[Any], Any]:
    header, kind = column.header, column.kind

    def limit(number: float) -> float:
        low, high = column.minimum, column.maximum
        if low is not None and high is not None and not low <= number <= high:
            raise _CellError(f"{header}应在 {low:g}–{high:g} 之间")
        if low is not None and number < low:
            raise _CellError(f"{header}不能小于 {low:g}")
        return number

    if kind == excel.TEXT:
        max_length = column.max_length

        def text(value: Any) -> str:
            value = (value if value.__class__ is str else _text(value)).strip()
            if max_length and len(value) > max_length:
                raise _CellError(f"{header}不能超过 {max_length} 个字")
            return value

        return text

    if kind == excel.CODE:

        def code(value: Any) -> str:
            digits = _number_text(value)
            if digits is None or not _CODE_TEXT.fullmatch(digits):
                raise _CellError(f"{header}应为 6、9、12 或 15 位数字")
            return digits

        return code

    if kind == excel.INT:

        def integer(value: Any) -> int:
            if isinstance(value, bool):
                raise _CellError(f"{header}应为整数")
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            elif isinstance(value, str):
                try:
                    value = int(_ascii_digits(value).replace(",", ""))
                except ValueError:
                    raise _CellError(f"{header}应为整数，不能是“{value[:20]}”") from None
            if not isinstance(value, int):
                raise _CellError(f"{header}应为整数")
            if abs(value) > 2_000_000_000:  # beyond an integer column of the database
                raise _CellError(f"{header}数值过大")
            limit(value)
            return value

        return integer

    if kind == excel.FLOAT:

        def number(value: Any) -> float:
            if isinstance(value, str):
                try:
                    value = float(_ascii_digits(value))
                except ValueError:
                    raise _CellError(f"{header}应为数字，不能是“{value[:20]}”") from None
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                raise _CellError(f"{header}应为数字")
            return limit(float(value))

        return number

    if kind == excel.BOOL:

        def yes_no(value: Any) -> bool:
            if isinstance(value, bool):
                return value
            text = _text(value).strip().upper()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise _CellError(f"{header}应填写“是”或“否”")

        return yes_no

    if kind == excel.CHOICE:
        lookup = {label: value for label, value in column.choices}
        if column.key == "level":
            lookup.update({k: str(v) for k, v in excel.LEVEL_ALIASES.items()})
        allowed = "、".join(label for label, _ in column.choices)

        def choice(value: Any) -> str:
            text = _text(value).strip()
            if text not in lookup:
                raise _CellError(f"{header}“{text[:20]}”不正确，应为：{allowed}")
            return lookup[text]

        return choice

    if kind == excel.DATE:

        def a_date(value: Any) -> date:
            day = parse_date(value)
            if day > today:
                raise _CellError(f"{header}不能晚于今天")
            if day.year < 1900:
                raise _CellError(f"{header}早于1900年")
            return day

        return a_date

    if kind == excel.ID_NUMBER:
        today_text = f"{today:%Y%m%d}"

        def id_number(value: Any) -> IdNumber:
            if not isinstance(value, str):
                raise _CellError(
                    "身份证号须以文本格式填写（设为数字格式时 Excel 会丢失后几位），"
                    "请将该列设为文本后重新录入"
                )
            plain = _plain_id_number(value, today_text)
            if plain is not None:
                return plain
            try:
                return parse_id_number(value, today=today)
            except InvalidIdNumber as exc:
                raise _CellError(str(exc)) from None

        return id_number

    if kind == excel.PHONE:

        def phone(value: Any) -> str:
            try:
                return normalise_phone(_text(value))
            except Invalid as exc:
                raise _CellError(exc.message) from None

        return phone

    if kind == excel.TAGS:

        def tags(value: Any) -> tuple[str, ...]:
            found: list[str] = []
            for label in _LIST_SPLIT.split(_text(value)):
                if not label:
                    continue
                tag = _TAG_OF_LABEL.get(label)
                if tag is None:
                    raise _CellError(f"未知的标签“{label[:20]}”，可用：{'、'.join(_TAG_OF_LABEL)}")
                if tag not in found:
                    found.append(tag)
            return tuple(found)

        return tags

    if kind == excel.CERTIFICATES:

        def certificates(value: Any) -> tuple[tuple[str, date], ...]:
            found: dict[str, date] = {}
            for item in _CERT_SPLIT.split(_text(value)):
                item = item.strip()
                if not item:
                    continue
                label, sep, when = item.replace("：", ":").partition(":")
                label, when = label.strip(), when.strip()
                level = _CERT_OF_LABEL.get(label)
                if level is None or not sep:
                    levels = "、".join(_CERT_OF_LABEL)
                    raise _CellError(
                        f"证书“{item[:30]}”格式不正确，应为 等级:取得日期，"
                        f"如 社会工作师:2022-06-18；等级为 {levels}"
                    )
                if level in found:
                    raise _CellError(f"证书“{label}”重复")
                try:
                    obtained = parse_date(when)
                except _CellError as exc:
                    raise _CellError(f"证书“{label}”的{exc}") from None
                if obtained > today:
                    raise _CellError(f"证书“{label}”的取得日期不能晚于今天")
                found[level] = obtained
            return tuple(found.items())

        return certificates

    raise ValueError(f"no converter for {kind}")  # pragma: no cover - specs are fixed


# ---------------------------------------------------------------------------------------
# The header row
# ---------------------------------------------------------------------------------------


def _read_header(rows: Iterator[tuple[int, list[Any]]], sheet: Sheet) -> list[tuple[int, Column]]:
    """Find the header among the first rows; returns (cell index, column) of each column."""
    known = {c.header: c for c in sheet.columns}
    first: set[str] = set()
    for _ in range(HEADER_SEARCH_ROWS):
        try:
            number, values = next(rows)
        except StopIteration:
            break
        headers = [excel.clean_header(v) for v in values]
        first = first or {h for h in headers if h}
        if not any(h in known for h in headers):
            continue
        layout: list[tuple[int, Column]] = []
        unknown: list[str] = []
        seen: set[str] = set()
        for idx, header in enumerate(headers):
            if not header:
                continue
            if header in seen:
                raise ImportFileError(f"第 {number} 行表头中“{header}”出现了两次。")
            seen.add(header)
            if header in known:
                layout.append((idx, known[header]))
            else:
                unknown.append(header)
        missing = [c.header for c in sheet.columns if c.required and c.header not in seen]
        if missing or unknown:
            raise ImportFileError(_header_message(sheet, missing, unknown, seen))
        return layout
    if not first:
        raise ImportFileError("文件是空的：第一个工作表中没有表头和数据。")
    raise ImportFileError(
        f"文件前 {HEADER_SEARCH_ROWS} 行中找不到「{sheet.label}」的表头"
        f"（应为 {'、'.join(sheet.headers)}）。请下载「{sheet.label}」导入模板，按模板填写。"
        + _guess_kind(first, exclude=sheet.kind)
    )


def _guess_kind(headers: set[str], exclude: str = "") -> str:
    for other in excel.SHEETS.values():
        required = {c.header for c in other.columns if c.required}
        if other.kind != exclude and headers and required <= headers:
            return f"这似乎是「{other.label}」的导入文件，请在导入类型中选择「{other.label}」。"
    return ""


def _header_message(sheet: Sheet, missing: list[str], unknown: list[str], seen: set[str]) -> str:
    parts = [f"表头与「{sheet.label}」导入模板不一致："]
    if missing:
        parts.append(f"缺少必填列 {'、'.join(missing)}；")
    if unknown:
        parts.append(f"无法识别的列 {'、'.join(unknown)}；")
    parts.append(f"应使用的列名为 {'、'.join(sheet.headers)}。")
    return "".join(parts) + _guess_kind(seen, exclude=sheet.kind)


# ---------------------------------------------------------------------------------------
# Importers, one per kind
# ---------------------------------------------------------------------------------------


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Units:
    """The admin units a row may name: all codes (for a clear message) and those in scope."""

    def __init__(self, actor: Any) -> None:
        self.scope = scope_code(actor)
        self.in_scope = {
            code: (pk, active)
            for code, pk, active in AdminUnit.objects.in_scope(actor).values_list(
                "code", "id", "active"
            )
        }
        self.all_codes = set(AdminUnit.objects.values_list("code", flat=True))

    def problem(self, code: str) -> str | None:
        found = self.in_scope.get(code)
        if found is None:
            if code in self.all_codes:
                return f"区划代码 {code} 不在您的管辖范围内"
            return f"区划代码 {code} 不存在"
        if not found[1]:
            return f"区划代码 {code} 已停用"
        return None


class _Importer:
    sheet: Sheet
    model: type

    def __init__(self, actor: Any, on: date) -> None:
        self.actor = actor
        self.on = on
        self.errors: list[RowError] = []
        self.error_count = 0
        self.rows = 0
        self.units = _Units(actor)
        self.order = {c.header: i for i, c in enumerate(self.sheet.columns)}
        self.layout: list[tuple[int, Column, Callable[[Any], Any]]] = []
        self.keys = [c.key for c in self.sheet.columns]

    # -- reading ------------------------------------------------------------------------

    def set_layout(self, layout: list[tuple[int, Column]]) -> None:
        self.layout = [(idx, col, _converter(col, self.on)) for idx, col in layout]

    def error(self, row: int, column: Column | str, message: str) -> None:
        if len(self.errors) >= KEEP_ERRORS * 5:
            self.error_count += 1
            return
        header = column.header if isinstance(column, Column) else column
        # A message may quote a cell; an ID number typed into the wrong column is masked
        # (the list is shown, kept in the session and downloaded).
        message = _ID_LIKE.sub(lambda m: mask_id_number(m.group()), message)
        self.keep(RowError(row, header, message))

    def keep(self, error: RowError) -> None:
        """Count an error already made (by error(), here or in a worker) and keep it."""
        self.error_count += 1
        if len(self.errors) < KEEP_ERRORS * 5:
            self.errors.append(error)

    def data_rows(self, rows: Iterable[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
        """The rows that are not blank, counted; a file with too many is refused."""
        for number, values in rows:
            if excel.is_blank(values):
                continue
            if self.rows >= MAX_ROWS:
                raise ImportFileError(f"文件超过 {MAX_ROWS:,} 行，请拆分为多个文件分别导入。")
            self.rows += 1
            yield number, values

    def read(self, rows: Iterable[tuple[int, list[Any]]], progress: Progress | None) -> None:
        """Convert and check every row after the header."""
        for number, values in self.data_rows(rows):
            self.add_row(number, values)
            if progress and self.rows % 5000 == 0:
                progress("check", self.rows)

    def convert(self, number: int, values: list[Any]) -> tuple[dict[str, Any], set[str]]:
        """The row's values by column key (None when blank or wrong) and the keys of the
        cells that are wrong (already reported)."""
        record = dict.fromkeys(self.keys)
        failed: set[str] = set()
        size = len(values)
        for idx, column, convert in self.layout:
            raw = values[idx] if idx < size else None
            if raw.__class__ is str:
                raw = raw.strip() or None
            if raw is None:
                if column.required:
                    self.error(number, column, f"{column.header}不能为空")
                    failed.add(column.key)
                continue
            try:
                record[column.key] = convert(raw)
            except _CellError as exc:
                self.error(number, column, str(exc))
                failed.add(column.key)
        return record, failed

    def add_row(self, number: int, values: list[Any]) -> None:
        record, failed = self.convert(number, values)
        # The row's own checks run on the cells that are right, so that one upload
        # reports every error of the row; a row with any error is not kept.
        self.add(number, record, failed)

    def unit_id(self, number: int, column: str, code: str | None) -> int | None:
        if code is None:
            return None
        problem = self.units.problem(code)
        if problem:
            self.error(number, self.sheet[column], problem)
            return None
        return self.units.in_scope[code][0]

    def add(self, number: int, record: dict[str, Any], failed: set[str]) -> None:
        raise NotImplementedError

    def check(self) -> None:
        """Checks needing the database, once for the whole file."""

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (e.row, self.order.get(e.column, 99)))[
            :KEEP_ERRORS
        ]

    # -- writing ------------------------------------------------------------------------

    def write(self, progress: Progress | None) -> tuple[int, int, list[int]]:
        """(created, updated, [first id, last id] of the created rows)."""
        raise NotImplementedError


def _id_range(objs: Iterable[Any]) -> list[int]:
    ids = [o.pk for o in objs if o.pk is not None]
    return [min(ids), max(ids)] if ids else []


# ---------------------------------------------------------------------------------------
# Persons, the kind that comes by the 100,000: rows are checked in chunks, by worker
# processes when the file is large. A chunk's check needs no database and no other row:
# cells, unit, grade, keyed hash, and (for a row without error) the encrypted values, so
# that the write is inserts only. What needs all rows (duplicates within the file) or the
# database (registered persons, households) runs here, in row order.
# ---------------------------------------------------------------------------------------

# Rows per chunk: a few ms of work, so that the workers take turns evenly.
CHUNK = 2500
# Up to this many rows a file is checked in this process; forking costs more than it saves.
PARALLEL_MIN = 5000
# Worker processes for a larger file (the machine this runs on has 2 cores); 0: none.
WORKERS = 2

# A kept person row is a list; check() resolves the household in place.
_ROW, _HEAD, _CODE, _UNIT, _HOUSEHOLD, _RELATION, _TAGS, _GRADE = range(8)
# _HEAD: the person's columns below, up to unit_id; index of the ID hash in it:
_HASH = 4
_PERSON_COLUMNS = (
    "name",
    "sex",
    "birth_date",
    "id_number_enc",
    "id_number_hash",
    "id_number_mask",
    "phone_enc",
    "phone_hash",
    "phone_mask",
    "unit_id",
    "household_id",
    "relation",
)


class _Checked(NamedTuple):
    """What one chunk's row checks found; sent back from a worker process."""

    rows: int
    # (row, ID hash or "", kept row or None) of every row with a valid ID number or kept.
    entries: list[tuple[int, str, list[Any] | None]]
    errors: list[RowError]  # in row order, as many as error() keeps
    error_count: int


class _PersonImporter(_Importer):
    sheet = excel.PERSONS
    model = Person

    def __init__(self, actor: Any, on: date) -> None:
        super().__init__(actor, on)
        # Made here, before any fork: the workers inherit them.
        self.blind_index = pii.blind_indexer()
        self.adapt_date = connections[router.db_for_write(Person)].ops.adapt_datefield_value
        self.first_row: dict[str, int] = {}
        self.records: list[list[Any]] = []

    def read(self, rows: Iterable[tuple[int, list[Any]]], progress: Progress | None) -> None:
        done = 0

        def merge(checked: _Checked) -> None:
            nonlocal done
            self.merge(checked)
            before, done = done, done + checked.rows
            if progress and done // 5000 > before // 5000:
                progress("check", done)

        _check_chunks(self.check_chunk, _batched(self.data_rows(rows), CHUNK), merge)

    # -- in a worker (or here, for a small file) ----------------------------------------

    def check_chunk(self, rows: list[tuple[int, list[Any]]]) -> _Checked:
        """The checks of these rows that need neither the database nor other rows."""
        # The chunk's own error list; in this process the file's list is put back after.
        kept = self.errors, self.error_count
        self.errors, self.error_count = [], 0
        try:
            entries = [self._check_row(number, values) for number, values in rows]
            entries = [e for e in entries if e[1] or e[2] is not None]
            self._protect([e[2] for e in entries if e[2] is not None])
            return _Checked(len(rows), entries, self.errors, self.error_count)
        finally:
            self.errors, self.error_count = kept

    def _check_row(self, number: int, values: list[Any]) -> tuple[int, str, list[Any] | None]:
        r, failed = self.convert(number, values)
        id_number: IdNumber | None = r["id_number"]
        digest = self.blind_index(id_number.number) if id_number is not None else ""
        unit_id = self.unit_id(number, "unit", r["unit"])
        tags = r["tags"] or ()
        grade = r["grade"]
        ok = not failed and unit_id is not None
        if grade is not None and "tags" not in failed and not _disabled(tags):
            self.error(number, self.sheet["grade"], "填写残疾等级时，标签须含“残疾”或“重残”")
            ok = False
        if not ok:
            return number, digest, None
        # _HEAD is a placeholder until _protect(): (name, IdNumber, hash, phone) for now.
        head = (r["name"], id_number, digest, r["phone"] or "")
        return number, digest, [number, head, r["unit"], unit_id, r["household"],
                                r["relation"] or "", tags, grade]  # fmt: skip

    def _protect(self, records: list[list[Any]]) -> None:
        """Encrypt, hash and mask the ID and phone numbers of the kept rows: one batch of
        tokens per chunk (one os.urandom call each, drawn in the process that uses them)."""
        id_tokens = pii.encrypt_many([r[_HEAD][1].number for r in records])
        phone_tokens = iter(pii.encrypt_many([r[_HEAD][3] for r in records if r[_HEAD][3]]))
        blind_index, adapt_date = self.blind_index, self.adapt_date
        for r, id_token in zip(records, id_tokens, strict=True):
            name, number, digest, phone = r[_HEAD]
            r[_HEAD] = (
                name,
                number.sex,
                adapt_date(number.birth_date),
                id_token,
                digest,
                mask_id_number(number.number),
                next(phone_tokens) if phone else "",
                blind_index(phone) if phone else "",
                pii.mask_normalised_phone(phone) if phone else "",
            )

    # -- here -----------------------------------------------------------------------------

    def merge(self, checked: _Checked) -> None:
        """Take a chunk's findings in row order; a row whose ID number an earlier row has
        is reported here, where all rows pass."""
        errors, kept = checked.errors, 0
        id_column = self.sheet["id_number"]
        first_row = self.first_row
        for number, digest, record in checked.entries:
            while kept < len(errors) and errors[kept].row <= number:
                self.keep(errors[kept])
                kept += 1
            if digest:
                first = first_row.get(digest)
                if first is not None:
                    self.error(number, id_column, f"身份证号与第 {first} 行重复")
                    continue
                first_row[digest] = number
            if record is not None:
                self.records.append(record)
        for error in errors[kept:]:
            self.keep(error)
        # Errors the chunk counted beyond those it kept.
        self.error_count += checked.error_count - len(errors)

    def check(self) -> None:
        id_column = self.sheet["id_number"]
        registered = _person_ids(list(self.first_row))
        for digest, row in self.first_row.items():
            if digest in registered:
                # Say so without telling where the person is registered (maybe out of scope).
                self.error(row, id_column, "该身份证号已登记，不能重复登记")
        numbers = list({r[_HOUSEHOLD] for r in self.records if r[_HOUSEHOLD]})
        households: dict[str, tuple[int, int, str]] = {}
        for chunk in _chunks(numbers, _IN_CHUNK):
            for number, pk, unit_id, code in (
                Household.objects.in_scope(self.actor)
                .filter(number__in=chunk)
                .values_list("number", "id", "unit_id", "unit__code")
            ):
                households[number] = (pk, unit_id, code)
        household_column = self.sheet["household"]
        for r in self.records:
            number = r[_HOUSEHOLD]
            if not number:
                r[_HOUSEHOLD] = None
                continue
            found = households.get(number)
            if found is None:
                self.error(r[_ROW], household_column, f"户编号 {number} 不存在或不在您的管辖范围内")
            elif not found[2].startswith(r[_CODE]):
                self.error(
                    r[_ROW],
                    household_column,
                    f"户 {number} 属于区划 {found[2]}，不在所属区划 {r[_CODE]} 内",
                )
            else:
                # The household's unit is the more precise one (a grid rather than a community).
                r[_HOUSEHOLD], r[_UNIT] = found[0], found[1]
        self.first_row = {}  # no longer needed: its memory is the write's

    def write(self, progress: Progress | None) -> tuple[int, int, list[int]]:
        insert_person = _RowInserter(Person, _PERSON_COLUMNS)
        insert_residence = _RowInserter(Residence, ("person_id", "household_id", "started_on"))
        insert_tag = _RowInserter(PersonTag, ("person_id", "tag", "grade", "started_on"))
        on = self.adapt_date(self.on)
        ids: list[int] = []
        for batch in _chunks(self.records, BATCH):
            insert_person([(*r[_HEAD], r[_UNIT], r[_HOUSEHOLD], r[_RELATION]) for r in batch])
            # The new ids, found by the keyed hash (unique) rather than by insertion order.
            pk_of = _person_ids([r[_HEAD][_HASH] for r in batch])
            residences, tags = [], []
            for r in batch:
                pk = pk_of[r[_HEAD][_HASH]]
                if r[_HOUSEHOLD]:
                    residences.append((pk, r[_HOUSEHOLD], on))
                for tag in r[_TAGS]:
                    tags.append((pk, tag, r[_GRADE] if tag in excel.DISABILITY_TAGS else None, on))
            insert_residence(residences)
            insert_tag(tags)
            ids.extend(pk_of.values())
            if progress:
                progress("write", len(ids))
        return len(ids), 0, [min(ids), max(ids)] if ids else []


def _disabled(tags: tuple[str, ...]) -> bool:
    return any(t in excel.DISABILITY_TAGS for t in tags)


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _person_ids(hashes: list[str]) -> dict[str, int]:
    """{ID hash: id} of the persons registered under any of ``hashes``. Plain SQL: Django
    prepares every value of an ``__in`` list in Python, which for 100,000 hashes takes
    longer than the queries."""
    connection = connections[router.db_for_read(Person)]
    quote = connection.ops.quote_name
    meta = Person._meta
    column = quote(meta.get_field("id_number_hash").column)
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    select = f"SELECT {column}, {pk} FROM {table} WHERE {column} IN "
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(hashes, _IN_CHUNK):
            cursor.execute(select + f"({', '.join(['%s'] * len(chunk))})", chunk)
            found.update(cursor.fetchall())
    return found


# Set in each worker process: the chunk check of the import that forked it.
_worker_check: Callable[[list[Any]], _Checked] | None = None


def _start_worker(check: Callable[[list[Any]], _Checked]) -> None:
    global _worker_check
    _worker_check = check


def _check_in_worker(chunk: list[Any]) -> _Checked:
    assert _worker_check is not None
    return _worker_check(chunk)


def _check_chunks(
    check: Callable[[list[Any]], _Checked],
    chunks: Iterator[list[Any]],
    merge: Callable[[_Checked], None],
) -> None:
    """``merge(check(chunk))`` for every chunk, in order. A file of more than PARALLEL_MIN
    rows is checked by WORKERS forked processes while this one reads the next chunks;
    without fork (Windows, macOS' default) or for a small file, here."""
    head: list[list[Any]] = []
    rows = 0
    for chunk in chunks:
        head.append(chunk)
        rows += len(chunk)
        if rows > PARALLEL_MIN:
            break
    if rows <= PARALLEL_MIN or WORKERS < 1 or "fork" not in mp.get_all_start_methods():
        for chunk in chain(head, chunks):
            merge(check(chunk))
        return
    # fork: the workers inherit the importer (converters, units, keys) instead of
    # unpickling it, and never touch the database connection they inherit.
    context = mp.get_context("fork")
    with context.Pool(WORKERS, initializer=_start_worker, initargs=(check,)) as pool:
        pending: deque[Any] = deque()
        for chunk in chain(head, chunks):
            pending.append(pool.apply_async(_check_in_worker, (chunk,)))
            # A few chunks ahead keep the workers busy; more would only take memory.
            if len(pending) > 2 * WORKERS:
                merge(pending.popleft().get())
        while pending:
            merge(pending.popleft().get())


class _RowInserter:
    """``executemany`` of one ``INSERT`` for the one import that writes 100,000 rows.

    ``bulk_create`` runs several Python calls per field of every object (pre_save,
    get_db_prep_save, placeholder SQL): for a 15-field Person that measured about 90 µs a
    row on this project's machine, most of the time of a large import. Here the statement is
    prepared once and the driver binds each row in C (sqlite3's executemany; COPY on
    PostgreSQL), about 15 µs a row. Only columns whose database value is the Python value
    (text, numbers, ids) may be given, and dates already adapted (``adapt_datefield_value``,
    so that a worker process can do it); every other column gets its model default,
    auto_now fields the current time. The smaller kinds keep ``bulk_create``.
    """

    _PLAIN = frozenset({
        "CharField", "TextField", "ForeignKey", "PositiveSmallIntegerField",
        "PositiveIntegerField", "IntegerField", "SmallIntegerField", "BigIntegerField",
        "BooleanField", "FloatField", "DateField",
    })  # fmt: skip

    def __init__(self, model: type, names: tuple[str, ...]) -> None:
        self.connection = connection = connections[router.db_for_write(model)]
        quote = connection.ops.quote_name
        fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
        now = timezone.now()
        defaults = []
        self.constants: tuple[Any, ...] = ()
        for attname, f in fields.items():
            if attname not in names:
                auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                defaults.append(f)
                value = now if auto else f.get_default()
                self.constants += (f.get_db_prep_save(value, connection),)
        for name in names:
            kind = fields[name].get_internal_type()
            if kind not in self._PLAIN:
                raise ValueError(f"{model.__name__}.{name}: {kind} needs bulk_create")
        columns = [fields[name] for name in names] + defaults
        table = quote(model._meta.db_table)
        column_list = ", ".join(quote(f.column) for f in columns)
        self.sql = (
            f"INSERT INTO {table} ({column_list}) VALUES ({', '.join(['%s'] * len(columns))})"
        )
        # On PostgreSQL, COPY: the server parses no statement per row (5 s → 0.5 s for
        # 10,000 persons in a measurement); it runs inside the surrounding transaction.
        self.copy_sql = (
            f"COPY {table} ({column_list}) FROM STDIN" if connection.vendor == "postgresql" else ""
        )

    def __call__(self, rows: list[tuple]) -> None:
        if not rows:
            return
        constants = self.constants
        params = [(*row, *constants) for row in rows] if constants else rows
        with self.connection.cursor() as cursor:
            if self.copy_sql:
                # The driver's own cursor: wrap its errors into Django's (IntegrityError).
                with (
                    self.connection.wrap_database_errors,
                    cursor.cursor.copy(self.copy_sql) as copy,
                ):
                    for row in params:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, params)


class _UnitImporter(_Importer):
    sheet = excel.UNITS
    model = AdminUnit

    def __init__(self, actor: Any, on: date) -> None:
        super().__init__(actor, on)
        self.records: dict[str, tuple[int, dict[str, Any]]] = {}
        self.existing: dict[str, AdminUnit] = {}

    def add(self, number: int, r: dict[str, Any], failed: set[str]) -> None:
        code = r["code"]
        ok = not failed
        if code is None:
            return
        if code in self.records:
            self.error(number, self.sheet["code"], f"区划代码与第 {self.records[code][0]} 行重复")
            return
        level = LEVEL_OF_LENGTH[len(code)]
        if r["level"] is not None and r["level"] != level:
            self.error(
                number, self.sheet["level"], f"{len(code)} 位区划代码的层级应为“{level.label}”"
            )
            ok = False
        parent = code[: CODE_LENGTH[level] - 3] if len(code) > 6 else None
        if r["parent"] is not None and r["parent"] != parent:
            self.error(
                number,
                self.sheet["parent"],
                f"上级代码应为 {parent}（区划代码的前 {len(parent)} 位）"
                if parent
                else "区级区划没有上级代码",
            )
            ok = False
        scope = self.units.scope or ""
        if self.units.scope is None or not code.startswith(scope):
            self.error(number, self.sheet["code"], f"区划代码 {code} 不在您的管辖范围内")
            ok = False
        if ok:
            r["parent"] = parent
            self.records[code] = (number, r)

    def check(self) -> None:
        self.existing = {
            u.code: u
            for chunk in _chunks(list(self.records), _IN_CHUNK)
            for u in AdminUnit.objects.filter(code__in=chunk)
        }
        for code, (number, r) in self.records.items():
            parent = r["parent"]
            if code in self.existing or (parent is None and self.units.scope == ""):
                continue
            if parent is None:
                self.error(number, self.sheet["code"], "只有全区管理员可以新增区级区划")
            elif parent not in self.records and parent not in self.units.all_codes:
                self.error(
                    number,
                    self.sheet["parent"],
                    f"上级区划 {parent} 不存在（请先导入上级，或放在同一文件中）",
                )

    _FIELDS = ("name", "urban_rural_code", "households", "population", "centre_lat", "centre_lon")

    def write(self, progress: Progress | None) -> tuple[int, int, list[int]]:
        ids = dict(AdminUnit.objects.values_list("code", "id"))
        urban = dict(AdminUnit.objects.values_list("code", "is_urban"))
        updated = []
        for code, unit in self.existing.items():
            r = self.records[code][1]
            for name in self._FIELDS:
                if r[name] is not None:
                    setattr(unit, name, r[name])
            if r["urban_rural_code"]:
                unit.is_urban = r["urban_rural_code"].startswith("1")
            updated.append(unit)
        AdminUnit.objects.bulk_update(updated, [*self._FIELDS, "is_urban"], batch_size=BATCH)
        created: list[AdminUnit] = []
        # Parents first: a level's rows need the ids of the level above.
        for length in (6, 9, 12, 15):
            level_rows = []
            for code, (_n, r) in self.records.items():
                if len(code) != length or code in self.existing:
                    continue
                urc = r["urban_rural_code"] or ""
                level_rows.append(
                    AdminUnit(
                        code=code,
                        name=r["name"],
                        level=r["level"],
                        parent_id=ids.get(r["parent"]) if r["parent"] else None,
                        urban_rural_code=urc,
                        is_urban=urc.startswith("1") if urc else urban.get(r["parent"], True),
                        households=r["households"] or 0,
                        population=r["population"] or 0,
                        centre_lat=r["centre_lat"],
                        centre_lon=r["centre_lon"],
                    )
                )
            AdminUnit.objects.bulk_create(level_rows, batch_size=BATCH)
            for unit in level_rows:
                ids[unit.code] = unit.pk
                urban[unit.code] = unit.is_urban
            created.extend(level_rows)
            if progress:
                progress("write", len(created) + len(updated))
        return len(created), len(updated), _id_range(created)


class _BuildingImporter(_Importer):
    sheet = excel.BUILDINGS
    model = Building

    def __init__(self, actor: Any, on: date) -> None:
        super().__init__(actor, on)
        self.records: dict[tuple[int, str], tuple[int, dict[str, Any]]] = {}

    def add(self, number: int, r: dict[str, Any], failed: set[str]) -> None:
        unit_id = self.unit_id(number, "unit", r["unit"])
        if unit_id is None or r["number"] is None:
            return
        key = (unit_id, r["number"])
        if key in self.records:
            self.error(
                number, self.sheet["number"], f"楼号与第 {self.records[key][0]} 行重复（同一区划）"
            )
        elif not failed:
            self.records[key] = (number, r)

    _FIELDS = ("address", "floors", "lat", "lon")

    def write(self, progress: Progress | None) -> tuple[int, int, list[int]]:
        unit_ids = list({unit_id for unit_id, _ in self.records})
        existing = {
            (b.unit_id, b.number): b
            for chunk in _chunks(unit_ids, _IN_CHUNK)
            for b in Building.objects.filter(unit_id__in=chunk)
        }
        created, updated = [], []
        for key, (_n, r) in self.records.items():
            building = existing.get(key)
            if building is None:
                created.append(
                    Building(
                        unit_id=key[0],
                        number=key[1],
                        address=r["address"] or "",
                        floors=r["floors"],
                        lat=r["lat"],
                        lon=r["lon"],
                    )
                )
                continue
            for name in self._FIELDS:
                if r[name] is not None:
                    setattr(building, name, r[name])
            updated.append(building)
        Building.objects.bulk_update(updated, list(self._FIELDS), batch_size=BATCH)
        Building.objects.bulk_create(created, batch_size=BATCH)
        if progress:
            progress("write", len(created) + len(updated))
        return len(created), len(updated), _id_range(created)


class _HouseholdImporter(_Importer):
    sheet = excel.HOUSEHOLDS
    model = Household

    def __init__(self, actor: Any, on: date) -> None:
        super().__init__(actor, on)
        self.records: dict[str, tuple[int, int, dict[str, Any]]] = {}
        self.existing: dict[str, Household] = {}

    def add(self, number: int, r: dict[str, Any], failed: set[str]) -> None:
        ok = not failed
        if r["number"] in self.records:
            self.error(
                number, self.sheet["number"], f"户编号与第 {self.records[r['number']][0]} 行重复"
            )
            ok = False
        unit_id = self.unit_id(number, "unit", r["unit"])
        if ok and unit_id is not None:
            self.records[r["number"]] = (number, unit_id, r)

    def check(self) -> None:
        number_column = self.sheet["number"]
        scope = self.units.scope or ""
        for chunk in _chunks(list(self.records), _IN_CHUNK):
            for h in Household.objects.filter(number__in=chunk).select_related("unit"):
                row, unit_id, r = self.records[h.number]
                if not h.unit.code.startswith(scope):
                    self.error(row, number_column, f"户编号 {h.number} 已被其他单位使用")
                elif h.unit_id != unit_id:
                    self.error(
                        row,
                        number_column,
                        f"户编号 {h.number} 已登记在区划 {h.unit.code}，不能通过导入改变所属区划",
                    )
                else:
                    self.existing[h.number] = h
        # A building is looked up in the household's unit and then in its ancestors.
        wanted = {r["unit"] for _row, _u, r in self.records.values() if r["building"]}
        codes = {code[:n] for code in wanted for n in (6, 9, 12, 15) if n <= len(code)}
        buildings: dict[tuple[str, str], int] = {}
        for chunk in _chunks(list(codes), _IN_CHUNK):
            for code, number, pk in (
                Building.objects.in_scope(self.actor)
                .filter(unit__code__in=chunk)
                .values_list("unit__code", "number", "id")
            ):
                buildings[(code, number)] = pk
        building_column = self.sheet["building"]
        for row, _unit_id, r in self.records.values():
            if not r["building"]:
                continue
            code = r["unit"]
            pk = next(
                (
                    buildings[(code[:n], r["building"])]
                    for n in (15, 12, 9, 6)
                    if n <= len(code) and (code[:n], r["building"]) in buildings
                ),
                None,
            )
            if pk is None:
                self.error(
                    row, building_column, f"区划 {code} 及其上级中没有楼号为“{r['building']}”的楼栋"
                )
            r["building_id"] = pk

    def write(self, progress: Progress | None) -> tuple[int, int, list[int]]:
        created, updated = [], []
        for number, (_row, unit_id, r) in self.records.items():
            household = self.existing.get(number)
            if household is None:
                created.append(
                    Household(
                        number=number,
                        unit_id=unit_id,
                        building_id=r.get("building_id"),
                        room=r["room"] or "",
                        address=r["address"] or "",
                    )
                )
                continue
            if r.get("building_id"):
                household.building_id = r["building_id"]
            for name in ("room", "address"):
                if r[name] is not None:
                    setattr(household, name, r[name])
            updated.append(household)
        Household.objects.bulk_update(updated, ["building", "room", "address"], batch_size=BATCH)
        Household.objects.bulk_create(created, batch_size=BATCH)
        if progress:
            progress("write", len(created) + len(updated))
        return len(created), len(updated), _id_range(created)


class _WorkerImporter(_Importer):
    sheet = excel.WORKERS
    model = Worker

    def __init__(self, actor: Any, on: date) -> None:
        super().__init__(actor, on)
        self.records: dict[tuple[int, str], tuple[int, dict[str, Any]]] = {}

    def add(self, number: int, r: dict[str, Any], failed: set[str]) -> None:
        unit_id = self.unit_id(number, "unit", r["unit"])
        if unit_id is None or r["name"] is None:
            return
        key = (unit_id, r["name"])
        if key in self.records:
            self.error(
                number, self.sheet["name"], f"与第 {self.records[key][0]} 行是同一区划的同名人员"
            )
        elif not failed:
            self.records[key] = (number, r)

    def check(self) -> None:
        unit_ids = list({unit_id for unit_id, _ in self.records})
        for chunk in _chunks(unit_ids, _IN_CHUNK):
            for key in (
                Worker.objects.active().filter(unit_id__in=chunk).values_list("unit_id", "name")
            ):
                if key in self.records:
                    self.error(
                        self.records[key][0],
                        self.sheet["name"],
                        "该区划已登记同名社区工作者；如确为不同人员，请在系统中单独登记",
                    )

    def write(self, progress: Progress | None) -> tuple[int, int, list[int]]:
        encrypt = cipher().encrypt
        workers, certificates = [], []
        for (unit_id, name), (_row, r) in self.records.items():
            phone = r["phone"] or ""
            workers.append(
                Worker(
                    name=name,
                    unit_id=unit_id,
                    phone_enc=encrypt(phone) if phone else "",
                    phone_mask=mask_phone(phone) if phone else "",
                    post=r["post"] or Post.STAFF,
                    level=r["level"] or 1,
                    party_post=bool(r["party_post"]),
                    grid_role=r["grid_role"] or "",
                    disaster_officer=bool(r["disaster_officer"]),
                    joined_on=r["joined_on"],
                )
            )
        Worker.objects.bulk_create(workers, batch_size=BATCH)
        for worker, (_row, r) in zip(workers, self.records.values(), strict=True):
            for level, obtained in r["certificates"] or ():
                certificates.append(
                    Certificate(worker_id=worker.pk, level=level, obtained_on=obtained)
                )
        Certificate.objects.bulk_create(certificates, batch_size=BATCH)
        if progress:
            progress("write", len(workers))
        return len(workers), 0, _id_range(workers)


_IMPORTERS: dict[str, type[_Importer]] = {
    "units": _UnitImporter,
    "buildings": _BuildingImporter,
    "households": _HouseholdImporter,
    "persons": _PersonImporter,
    "workers": _WorkerImporter,
}


# ---------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------


@contextmanager
def _large_page_cache() -> Iterator[None]:
    """On SQLite, a 64 MB page cache while writing: the default 2 MB makes every insert into
    the person indexes (hash, name, birth date) read pages back; restored afterwards."""
    connection = connections[router.db_for_write(Person)]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -65536")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def import_workbook(
    kind: str,
    source: str | IO[bytes],
    *,
    actor: Any,
    file_name: str = "",
    on: date | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import an .xlsx of ``kind`` (units, buildings, households, persons, workers).

    Returns the result: either everything written (``ok``) or the errors of every bad row
    and nothing written. Raises Forbidden for a role that may not write the registry and
    ImportFileError when the file as a whole is not an importable workbook.
    ``progress(phase, rows)`` is called every few thousand rows: phase "check" while rows
    are read and checked, "checked" once when every check is done, "write" while writing.
    """
    if not getattr(actor, "may_write_registry", False):
        raise Forbidden("您的角色不能导入基础数据。")
    if kind not in _IMPORTERS:
        raise Invalid(f"未知的导入类型：{kind}", field="kind")
    started = time.perf_counter()
    importer = _IMPORTERS[kind](actor, on or timezone.localdate())
    sheet = importer.sheet
    rows = excel.read_rows(source, prefer_sheet=sheet.label, max_columns=len(sheet.columns) + 50)
    try:
        importer.set_layout(_read_header(rows, sheet))
        importer.read(rows, progress)
    except excel.UnreadableWorkbook as exc:
        raise ImportFileError(str(exc)) from None
    finally:
        rows.close()
    if importer.rows == 0:
        raise ImportFileError("文件中只有表头，没有数据行。")
    importer.check()
    if progress:
        progress("checked", importer.rows)
    result = ImportResult(kind=kind, label=sheet.label, file_name=file_name, rows=importer.rows)
    if importer.error_count:
        result.errors = importer.sorted_errors()
        result.error_count = importer.error_count
        result.seconds = time.perf_counter() - started
        return result
    try:
        with transaction.atomic(), _large_page_cache():
            result.created, result.updated, ids = importer.write(progress)
            AuditEntry.objects.create(
                actor=actor if getattr(actor, "pk", None) else None,
                action=Action.IMPORT,
                model=importer.model._meta.label_lower,
                object_id="",
                summary=f"导入{sheet.label} {result.rows} 行（{file_name}）"[:200],
                changes={
                    "kind": kind,
                    "file": file_name[:100],
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "created_ids": ids,
                },
            )
    except IntegrityError:
        # Someone registered the same person (or household) between the check and the
        # write: the transaction is rolled back, so still nothing is written.
        raise Conflict(
            "导入期间数据被他人修改（如同一身份证号刚被登记），本次未写入任何数据，请重新导入。",
            code="import_conflict",
        ) from None
    result.seconds = time.perf_counter() - started
    return result
