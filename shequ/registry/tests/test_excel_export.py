"""Excel export and templates: only what in_scope gives, personal numbers masked, the
import headers; the management commands."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from shequ.registry import excel, services
from shequ.registry.models import Certificate, Person
from shequ.registry.pii import cipher
from shequ.registry.tests.test_excel_import import person_row, xlsx


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def exported(kind: str, user) -> list[list]:
    out = io.BytesIO()
    count = excel.write_export(kind, user, out)
    out.seek(0)
    wb = load_workbook(out, read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    assert rows[0] == excel.SHEETS[kind].headers
    assert count == len(rows) - 1
    return rows[1:]


def _clear_numbers() -> set[str]:
    c = cipher()
    return {c.decrypt(p.id_number_enc) for p in Person.objects.all()} | {
        c.decrypt(p.phone_enc) for p in Person.objects.exclude(phone_enc="")
    }


def test_persons_export_has_only_scope_and_masked_numbers(people, personas):
    rows = exported("persons", personas["clerk_a"])
    assert sorted(r[0] for r in rows) == ["李建国", "王秀兰"]
    wang = next(r for r in rows if r[0] == "王秀兰")
    assert wang[1] == people["wang"].id_number_mask and "*" in wang[1]
    assert wang[2] == "138****1234"
    assert wang[3:7] == ["220403001001001", "H-A-1", "户主", "独居"]
    li = next(r for r in rows if r[0] == "李建国")
    assert (li[6], li[7]) == ("残疾", 2)
    cells = {str(v) for r in rows for v in r if v is not None}
    assert not cells & _clear_numbers()

    assert [r[0] for r in exported("persons", personas["clerk_b"])] == ["赵明"]
    assert len(exported("persons", personas["leader"])) == 3
    assert exported("persons", personas["handler"]) == []


def test_moved_out_persons_are_not_exported(people, personas):
    services.update_person(people["li"], actor=personas["admin"], status="moved_out")
    assert [r[0] for r in exported("persons", personas["clerk_a"])] == ["王秀兰"]


def test_units_buildings_households_exports_follow_scope(people, personas):
    units = exported("units", personas["clerk_a"])
    assert [r[0] for r in units] == ["220403001001", "220403001001001", "220403001001002"]
    assert units[0][1:4] == ["泰安社区", "社区/村", "220403001"]
    assert [r[1] for r in exported("buildings", personas["clerk_a"])] == ["1号楼"]
    assert exported("buildings", personas["clerk_b"]) == []
    assert [r[0] for r in exported("households", personas["clerk_b"])] == ["H-B-1"]
    assert exported("households", personas["clerk_a"])[0] == [
        "H-A-1",
        "220403001001001",
        "1号楼",
        None,
        "泰安路1号1单元101",
    ]


def test_workers_export(personas, units):
    worker = services.create_worker(
        actor=personas["admin"],
        name="刘芳",
        unit_code="220403001001",
        phone="13604370011",
        post="head",
        level=12,
        party_post=True,
    )
    Certificate.objects.create(worker=worker, level="social_worker", obtained_on=date(2022, 6, 18))
    services.create_worker(actor=personas["admin"], name="孙强", unit_code="220403002001")
    rows = exported("workers", personas["clerk_a"])
    assert len(rows) == 1
    assert rows[0][:9] == [
        "刘芳",
        "220403001001",
        "136****0011",
        "正职",
        12,
        "是",
        "无",
        "否",
        "社会工作师:2022-06-18",
    ]


@pytest.mark.parametrize("kind", list(excel.SHEETS))
def test_template_has_headers_notes_and_dropdowns(kind):
    out = io.BytesIO()
    excel.write_template(kind, out)
    out.seek(0)
    wb = load_workbook(out)
    sheet = excel.SHEETS[kind]
    ws = wb.worksheets[0]
    assert ws.title == sheet.label
    assert [c.value for c in ws[1]] == sheet.headers
    assert all(c.comment is not None and c.comment.text for c in ws[1])
    assert ws.max_row == 1
    dropdowns = {
        str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation
    }
    for idx, column in enumerate(sheet.columns):
        letter = chr(ord("A") + idx)
        if column.kind in (excel.CHOICE, excel.BOOL):
            assert letter in dropdowns, column.header
    notes = wb["填写说明"]
    assert [
        r[0] for r in notes.iter_rows(min_row=2, max_row=len(sheet.columns) + 1, values_only=True)
    ] == sheet.headers
    # An empty template imports as "no rows", not as a header problem.
    out.seek(0)
    assert [values for _n, values in excel.read_rows(out)] == [sheet.headers]


def test_person_template_dropdowns(settings):
    out = io.BytesIO()
    excel.write_template("workers", out)
    out.seek(0)
    ws = load_workbook(out).worksheets[0]
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"正职,副职,社区工作者"' in formulas and '"是,否"' in formulas


def test_management_commands(people, personas, tmp_path):
    target = tmp_path / "hh.xlsx"
    call_command("export_registry", "households", "--user", "clerk_b", "--out", str(target))
    wb = load_workbook(target, read_only=True)
    assert [r[0] for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True)] == ["H-B-1"]
    wb.close()

    good = tmp_path / "persons.xlsx"
    good.write_bytes(xlsx(excel.PERSONS.headers, [person_row(60)]).getvalue())
    out = io.StringIO()
    call_command("import_registry", "persons", str(good), "--user", "clerk_a", stdout=out)
    assert "已导入居民 1 行" in out.getvalue()

    # The same file again: the person is registered now, so it is rejected with the row.
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("import_registry", "persons", str(good), "--user", "clerk_a", stderr=err)
    assert "第 2 行\t身份证号\t该身份证号已登记" in err.getvalue()

    with pytest.raises(CommandError, match="不能导入"):
        call_command("import_registry", "persons", str(good), "--user", "leader")
