"""The person import checks a large file in chunks, in forked worker processes: the outcome
(rows written, errors listed, nothing written on error) is the same as checking in-process.
The fast paths behind it (ID number check, bulk encryption, blind index) agree with the
one-value functions they stand in for."""

import io
import os
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from shequ.audit.models import AuditEntry
from shequ.conftest import id_number
from shequ.core.idcard import InvalidIdNumber, make_id_number, parse_id_number
from shequ.core.masking import mask_phone
from shequ.registry import excel, importing, pii
from shequ.registry.importing import import_workbook
from shequ.registry.models import Person, PersonTag, Residence

pytestmark = pytest.mark.skipif(
    "fork" not in __import__("multiprocessing").get_all_start_methods(),
    reason="the parallel check needs the fork start method",
)

ON = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 3 rows and workers from the 5th row on, so a test file of a few rows takes
    the parallel path; returns a function switching between parallel and in-process."""

    def use(workers: int) -> None:
        monkeypatch.setattr(importing, "WORKERS", workers)

    monkeypatch.setattr(importing, "CHUNK", 3)
    monkeypatch.setattr(importing, "PARALLEL_MIN", 4)
    return use


@pytest.fixture
def worker_pids(monkeypatch, tmp_path):
    """The ids of the processes that checked chunks (each appends its own to a file)."""
    record = tmp_path / "pids"
    original = importing._PersonImporter.check_chunk

    def check_chunk(self, rows):
        with record.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return original(self, rows)

    monkeypatch.setattr(importing._PersonImporter, "check_chunk", check_chunk)

    def pids() -> set[int]:
        found = {int(line) for line in record.read_text().split()} if record.exists() else set()
        record.unlink(missing_ok=True)
        return found

    return pids


def xlsx(rows: list[list]) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(excel.PERSONS.headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def good_rows(count: int) -> list[list]:
    rows = []
    for i in range(count):
        household = ("H-A-1", "H-A-2", None)[i % 3]
        unit = {"H-A-1": "220403001001001", "H-A-2": "220403001001002"}.get(
            household, "220403001001"
        )
        tags, grade = [(None, None), ("独居", None), ("残疾,低保", 1 + i % 4)][i % 3]
        rows.append([
            f"居民{i}",
            id_number(10 + i, date(1950, 1, 1) + timedelta(days=97 * i), "MF"[i % 2]),
            f"1390437{i:04d}" if i % 2 else None,
            unit,
            household,
            "配偶" if household else None,
            tags,
            grade,
        ])  # fmt: skip
    return rows


def stored() -> list[tuple]:
    """What the import wrote, in clear, independent of random nonces and ids."""
    decrypt = pii.cipher().decrypt
    persons = []
    for p in Person.objects.order_by("name"):
        residences = sorted(
            (r.household.number, r.started_on, r.ended_on) for r in p.residences.all()
        )
        tags = sorted((t.tag, t.grade, t.started_on) for t in p.tags.all())
        persons.append((
            p.name, p.sex, p.birth_date, decrypt(p.id_number_enc), p.id_number_hash,
            p.id_number_mask, decrypt(p.phone_enc) if p.phone_enc else "", p.phone_hash,
            p.phone_mask, p.unit.code, p.household.number if p.household else None, p.relation,
            tuple(residences), tuple(tags),
        ))  # fmt: skip
    return persons


def run(rows: list[list], actor, **kwargs):
    return import_workbook("persons", xlsx(rows), actor=actor, on=ON, **kwargs)


def test_parallel_import_writes_what_the_in_process_import_writes(
    people, personas, small_chunks, worker_pids
):
    clerk = personas["clerk_a"]
    rows = good_rows(14)
    before = Person.objects.count()
    progress: list[tuple[str, int]] = []

    small_chunks(2)
    result = run(rows, clerk, progress=lambda phase, done: progress.append((phase, done)))
    assert result.ok, result.errors
    assert (result.rows, result.created) == (14, 14)
    assert worker_pids() - {os.getpid()}, "no chunk was checked in a worker process"
    assert Person.objects.count() == before + 14
    assert Residence.objects.filter(person__name__startswith="居民").count() == 10
    assert PersonTag.objects.filter(person__name__startswith="居民").count() == 5 + 2 * 4
    assert ("checked", 14) in progress and progress[-1] == ("write", 14)
    parallel = stored()

    # The same file again, in this process, after taking the first import back.
    Person.objects.filter(name__startswith="居民").delete()
    small_chunks(0)
    result = run(rows, clerk)
    assert result.ok and result.created == 14
    assert worker_pids() == {os.getpid()}
    assert stored() == parallel
    assert AuditEntry.objects.filter(action="import").count() == 2


def test_parallel_errors_are_those_of_the_in_process_check(
    people, personas, small_chunks, worker_pids
):
    rows = good_rows(16)
    bad_check_digit = rows[1][1][:-1] + ("0" if rows[1][1][-1] != "0" else "1")
    rows[1][1] = bad_check_digit  # chunk 1
    rows[4][3] = "220403009009"  # chunk 2: unknown unit
    rows[6][1] = rows[0][1]  # chunk 3: the ID number of row 2 (chunk 1)
    rows[7][7] = 3  # chunk 3: a grade without a disability tag ...
    rows[7][6] = "独居"
    rows[7][0] = None  # ... and no name
    rows[10][1] = id_number(1, date(1938, 5, 1), "F")  # chunk 4: already registered
    rows[12][4] = "H-X-9"  # chunk 5: unknown household
    rows[15][1] = rows[9][1]  # chunk 6: the ID number of row 11 (chunk 4)
    expected = [
        (3, "身份证号", "身份证号校验位错误，请核对是否输错"),
        (6, "所属区划代码", "区划代码 220403009009 不存在"),
        (8, "身份证号", "身份证号与第 2 行重复"),
        (9, "姓名", "姓名不能为空"),
        (9, "残疾等级", "填写残疾等级时，标签须含“残疾”或“重残”"),
        (12, "身份证号", "该身份证号已登记，不能重复登记"),
        (14, "户编号", "户编号 H-X-9 不存在或不在您的管辖范围内"),
        (17, "身份证号", "身份证号与第 11 行重复"),
    ]
    before = (Person.objects.count(), Residence.objects.count(), PersonTag.objects.count())
    audit = AuditEntry.objects.count()

    found = {}
    for workers in (2, 0):
        small_chunks(workers)
        result = run(rows, personas["clerk_a"])
        pids = worker_pids()
        assert (pids - {os.getpid()}) if workers else pids == {os.getpid()}
        assert not result.ok and result.rows == 16
        found[workers] = [(e.row, e.column, e.message) for e in result.errors]
        assert result.error_count == len(expected)
        assert (Person.objects.count(), Residence.objects.count()) == before[:2]
        assert PersonTag.objects.count() == before[2] and AuditEntry.objects.count() == audit
    assert found[2] == found[0] == expected


def test_a_small_file_is_checked_in_this_process(people, personas, monkeypatch, worker_pids):
    monkeypatch.setattr(importing, "CHUNK", 3)
    monkeypatch.setattr(importing, "PARALLEL_MIN", 10)  # more than the 7 rows of the file
    result = run(good_rows(7), personas["clerk_a"])
    assert result.ok and result.created == 7
    assert worker_pids() == {os.getpid()}


def test_too_many_rows_are_refused_on_the_parallel_path(people, personas, small_chunks):
    small_chunks(2)
    importing_max = importing.MAX_ROWS
    try:
        importing.MAX_ROWS = 10
        with pytest.raises(importing.ImportFileError, match="超过 10 行"):
            run(good_rows(12), personas["clerk_a"])
    finally:
        importing.MAX_ROWS = importing_max
    assert not Person.objects.filter(name__startswith="居民").exists()


# ---------------------------------------------------------------------------------------
# The fast paths agree with the functions they stand in for
# ---------------------------------------------------------------------------------------

_TODAY = date(2026, 3, 2)


@given(
    birth=st.dates(min_value=date(1890, 1, 1), max_value=date(2030, 12, 31)),
    seq=st.integers(0, 99),
    sex=st.sampled_from("MF"),
    change=st.one_of(
        st.none(),
        st.tuples(st.integers(0, 17), st.sampled_from("0123456789Xx")),
    ),
)
def test_plain_id_number_agrees_with_parse_id_number(birth, seq, sex, change):
    value = make_id_number("220403", birth, seq, sex)
    if change is not None:  # one character typed differently: often a wrong number
        at, char = change
        value = value[:at] + char + value[at + 1 :]
    fast = importing._plain_id_number(value, f"{_TODAY:%Y%m%d}")
    try:
        slow = parse_id_number(value, today=_TODAY)
    except InvalidIdNumber:
        slow = None
    if fast is not None:
        assert slow is not None and fast == slow
    elif slow is not None:
        # Only a number the fast path does not take on (a lower-case x) may be left to
        # parse_id_number; every other valid number goes the fast way.
        assert "x" in value


@pytest.mark.parametrize("phone", ["13904370001", "0437-1234567", "04371234567", "010-12345678"])
def test_mask_of_a_normalised_phone(phone):
    normalised = pii.normalise_phone(phone)
    assert pii.mask_normalised_phone(normalised) == mask_phone(normalised)


def test_bulk_encryption_and_blind_index_agree_with_the_cipher(settings):
    cipher = pii.cipher()
    values = ["220403195204090023", "13904370001", "", "孙丽"]
    tokens = pii.encrypt_many(values)
    assert [cipher.decrypt(t) for t in tokens] == values
    assert len({t[:19] for t in pii.encrypt_many(["x"] * 50)}) == 50  # fresh nonces
    blind_index = pii.blind_indexer()
    for value in [*values, " 22040319520409002x "]:
        assert blind_index(value) == cipher.blind_index(value)
