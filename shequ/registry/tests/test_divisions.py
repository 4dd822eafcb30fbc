"""Division lists: reading the NBS CSV, planning a later list over the current one, applying
it with confirmed re-codes, and refusing bad input without changing anything."""

from __future__ import annotations

import csv
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from shequ.audit.models import AuditEntry
from shequ.registry.divisions import (
    DEFAULT_CSV,
    DivisionError,
    apply_divisions,
    is_urban_code,
    plan_divisions,
    read_divisions,
)
from shequ.registry.models import AdminUnit, Household, Level, Person

# A community and a village taken from the real list; the test lists change them.
TAIAN, XINYUAN, YONGTAI, HONGMIN = "220403001001", "220403001002", "220403001007", "220403002003"
FENGSHOU, DENGTA_VILLAGE = "220403100200", "220403100223"


def _rows() -> list[dict[str, str]]:
    with DEFAULT_CSV.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(
    path: Path, rows: list[dict[str, str]], columns=("code", "name", "level", "parent_code")
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _row(rows: list[dict[str, str]], code: str) -> dict[str, str]:
    return next(r for r in rows if r["code"] == code)


def _run(*args: str) -> str:
    out = StringIO()
    call_command("import_divisions", *args, stdout=out)
    return out.getvalue()


def _snapshot() -> list[tuple]:
    return list(AdminUnit.objects.order_by("pk").values_list("pk", "code", "name", "active"))


@pytest.fixture
def loaded(db):
    _run(str(DEFAULT_CSV))
    return {u.code: u for u in AdminUnit.objects.all()}


@pytest.fixture
def later_list(tmp_path, loaded):
    """A later list: 新苑社区 renamed, one community added, 鸿民社区 removed, 永泰社区
    re-coded 007 → 009. 永泰社区 has a grid and a person attached."""
    yongtai = loaded[YONGTAI]
    grid = AdminUnit.objects.create(
        code=YONGTAI + "001", name="永泰社区第一网格", level=Level.GRID, parent=yongtai
    )
    household = Household.objects.create(number="H-YT-1", unit=grid, address="永泰小区1号楼")
    person = Person.objects.create(
        name="王秀兰",
        sex="F",
        birth_date=date(1950, 1, 1),
        id_number_enc="x",
        id_number_hash="h-yongtai",
        id_number_mask="2204**********0021",
        unit=grid,
        household=household,
    )
    rows = [r for r in _rows() if r["code"] != HONGMIN]
    for r in rows:
        if r["code"] == XINYUAN:
            r["name"] = "新苑测试社区"
        if r["code"] == YONGTAI:
            r["code"] = "220403001009"
    rows.append(
        {
            "code": "220403001008",
            "name": "测试新增社区",
            "level": "village",
            "parent_code": "220403001",
        }
    )
    return {
        "path": _write(tmp_path / "later.csv", rows),
        "person": person,
        "grid": grid,
        "yongtai": yongtai,
        "household": household,
    }


def test_reads_the_real_district_subtree_only():
    divisions = read_divisions(DEFAULT_CSV)
    by_level = {level: [d for d in divisions if d.level == level] for level in Level.values}
    assert [d.name for d in by_level["district"]] == ["西安区"]
    assert len(by_level["street"]) == 7  # 6 街道 and 灯塔镇
    communities = by_level["community"]
    assert sum(d.is_urban for d in communities) == 16
    assert sum(not d.is_urban for d in communities) == 23
    assert all(d.code.startswith("220403") for d in divisions)
    assert divisions[0].code == "220403"  # parents first


def test_is_urban_follows_the_code():
    assert is_urban_code("220403001001")  # 社区 001–199
    assert not is_urban_code("220403100200")  # 村 200–399
    assert is_urban_code("220403001")  # 街道
    assert not is_urban_code("220403100")  # 镇
    assert not is_urban_code("220403100200001")  # a grid takes its village's class
    assert is_urban_code("220403")


def test_initial_load_creates_the_tree(loaded):
    units = AdminUnit.objects.all()
    assert units.count() == 47
    assert units.filter(level=Level.STREET).count() == 7
    assert units.filter(level=Level.COMMUNITY, is_urban=True).count() == 16
    assert units.filter(level=Level.COMMUNITY, is_urban=False).count() == 23
    assert loaded["220403100"].is_urban is False and loaded["220403001"].is_urban is True
    assert loaded[TAIAN].name == "泰安社区" and loaded[TAIAN].parent == loaded["220403001"]
    assert loaded[DENGTA_VILLAGE].parent.name == "灯塔镇"
    assert loaded["220403"].parent is None
    assert AuditEntry.objects.filter(model="registry.adminunit", action="create").count() == 47
    assert "无变化" in _run(str(DEFAULT_CSV))  # importing the same list again changes nothing


def test_plan_of_a_later_list(later_list):
    plan = plan_divisions(read_divisions(later_list["path"]))
    assert [d.code for d in plan.added] == ["220403001008", "220403001009"]
    assert [(u.code, d.name) for u, d in plan.renamed] == [(XINYUAN, "新苑测试社区")]
    assert sorted(u.code for u in plan.removed) == [YONGTAI, HONGMIN]
    assert [(r.old_code, r.new_code) for r in plan.recode_candidates] == [(YONGTAI, "220403001009")]
    assert plan.attached[YONGTAI]["下级单元"] == 1
    assert plan.attached[HONGMIN] == {}
    text = "\n".join(plan.describe())
    assert "--recode 220403001007=220403001009" in text


def test_apply_with_recode_keeps_the_records(later_list):
    before_audit = AuditEntry.objects.count()
    out = _run(str(later_list["path"]), "--recode", f"{YONGTAI}=220403001009")
    assert "改码 2" in out  # the community and its grid

    yongtai = AdminUnit.objects.get(pk=later_list["yongtai"].pk)
    assert yongtai.code == "220403001009" and yongtai.name == "永泰社区" and yongtai.active
    grid = AdminUnit.objects.get(pk=later_list["grid"].pk)
    assert grid.code == "220403001009001" and grid.parent_id == yongtai.pk
    person = Person.objects.get(pk=later_list["person"].pk)
    assert person.unit_id == grid.pk and person.household_id == later_list["household"].pk
    assert Person.objects.filter(unit__code__startswith="220403001009").count() == 1

    assert AdminUnit.objects.get(code=XINYUAN).name == "新苑测试社区"
    added = AdminUnit.objects.get(code="220403001008")
    assert added.name == "测试新增社区" and added.parent.code == "220403001" and added.is_urban
    hongmin = AdminUnit.objects.get(code=HONGMIN)
    assert hongmin.active is False  # deactivated, never deleted
    assert not AdminUnit.objects.filter(code=YONGTAI).exists()
    # one audit row per change: 2 re-codes, 1 rename, 1 addition, 1 deactivation
    assert AuditEntry.objects.count() - before_audit == 5
    recode_row = AuditEntry.objects.get(
        model="registry.adminunit",
        object_id=str(yongtai.pk),
        action="update",
        changes__has_key="code",
    )
    assert recode_row.changes["code"] == [YONGTAI, "220403001009"]


def test_dry_run_changes_nothing(later_list):
    before = _snapshot()
    out = _run(str(later_list["path"]), "--dry-run")
    assert "试运行" in out and "改码候选" in out
    assert _snapshot() == before


def test_unconfirmed_candidate_is_refused(later_list):
    before = _snapshot()
    with pytest.raises(CommandError, match="--recode 220403001007=220403001009"):
        _run(str(later_list["path"]))
    assert _snapshot() == before


def test_no_recode_splits_the_candidate(later_list):
    _run(str(later_list["path"]), "--no-recode")
    old = AdminUnit.objects.get(pk=later_list["yongtai"].pk)
    assert old.code == YONGTAI and old.active is False
    assert AdminUnit.objects.get(code=YONGTAI + "001").active is False
    assert AdminUnit.objects.get(code="220403001009").pk != old.pk
    assert Person.objects.get(pk=later_list["person"].pk).unit.code == YONGTAI + "001"


@pytest.mark.parametrize(
    "pair",
    [
        f"{HONGMIN}=220403001009",  # not a candidate (other name, other parent)
        f"{YONGTAI}=220403001008",  # the added code of another name
        f"{YONGTAI}={TAIAN}",  # an existing code
    ],
)
def test_bad_recode_is_an_error_and_changes_nothing(later_list, pair):
    before, audit_rows = _snapshot(), AuditEntry.objects.count()
    with pytest.raises(CommandError, match="未作任何修改"):
        _run(str(later_list["path"]), "--recode", pair)
    assert _snapshot() == before
    assert AuditEntry.objects.count() == audit_rows


def test_malformed_recode_argument(later_list):
    with pytest.raises(CommandError):
        _run(str(later_list["path"]), "--recode", "220403001007-220403001009")


def test_village_becoming_a_community_is_a_candidate(tmp_path, loaded):
    """村改居: 丰收村 (…200) reappears as 丰收社区 (…001) under the same town."""
    rows = _rows()
    for r in rows:
        if r["code"] == FENGSHOU:
            r["code"], r["name"] = "220403100001", "丰收社区"
    path = _write(tmp_path / "village.csv", rows)
    _run(str(path), "--recode", f"{FENGSHOU}=220403100001")
    unit = AdminUnit.objects.get(pk=loaded[FENGSHOU].pk)
    assert (unit.code, unit.name, unit.is_urban) == ("220403100001", "丰收社区", True)


def test_recoding_a_street_moves_its_communities(tmp_path, loaded):
    rows = _rows()
    for r in rows:
        if r["code"].startswith("220403006"):
            r["code"] = "220403007" + r["code"][9:]
            if r["parent_code"].startswith("220403006"):
                r["parent_code"] = "220403007"
    path = _write(tmp_path / "street.csv", rows)
    plan = plan_divisions(read_divisions(path))
    assert {(r.old_code, r.new_code) for r in plan.recode_candidates} == {
        ("220403006", "220403007"),
        ("220403006001", "220403007001"),
        ("220403006003", "220403007003"),
    }
    _run(str(path), "--recode", "220403006=220403007")
    street = AdminUnit.objects.get(pk=loaded["220403006"].pk)
    assert street.code == "220403007" and street.name == "安家街道"
    anmin = AdminUnit.objects.get(pk=loaded["220403006001"].pk)
    assert anmin.code == "220403007001" and anmin.active and anmin.parent_id == street.pk


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda rows: rows.append(
                {
                    "code": "220403009001",
                    "name": "孤儿社区",
                    "level": "village",
                    "parent_code": "220403009",
                }
            ),
            "不在文件中",
        ),
        (lambda rows: rows.append(_row(rows, DENGTA_VILLAGE).copy()), "代码重复"),
        (lambda rows: _row(rows, DENGTA_VILLAGE).update(level="town"), "不符"),
    ],
)
def test_bad_rows_are_refused(tmp_path, loaded, mutate, message):
    rows = _rows()
    mutate(rows)
    path = _write(tmp_path / "bad.csv", rows)
    before = _snapshot()
    with pytest.raises(CommandError, match=message):
        _run(str(path))
    assert _snapshot() == before


def test_missing_file_and_wrong_columns(tmp_path, db):
    with pytest.raises(CommandError, match="文件不存在"):
        _run(str(tmp_path / "nope.csv"))
    path = _write(tmp_path / "cols.csv", _rows(), columns=("code", "name", "level"))
    with pytest.raises(CommandError, match="列名"):
        _run(str(path))
    with pytest.raises(CommandError, match="根代码"):
        _run(str(DEFAULT_CSV), "--root", "220499")
    assert not AdminUnit.objects.exists()


def test_apply_is_atomic(later_list, monkeypatch):
    """A failure half-way (here: while deactivating) leaves the database as it was."""
    from shequ.registry import divisions

    before = _snapshot()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(divisions, "_deactivate_subtree", boom)
    with pytest.raises(RuntimeError):
        apply_divisions(read_divisions(later_list["path"]), recodes=[(YONGTAI, "220403001009")])
    assert _snapshot() == before


def test_padded_nbs_codes_are_trimmed(tmp_path, db):
    rows = [
        {"code": "220403000000", "name": "西安区", "level": "county", "parent_code": ""},
        {
            "code": "220403001000",
            "name": "太安街道",
            "level": "town",
            "parent_code": "220403000000",
        },
        {
            "code": "220403001001",
            "name": "泰安社区",
            "level": "village",
            "parent_code": "220403001000",
        },
    ]
    divisions = read_divisions(_write(tmp_path / "padded.csv", rows))
    assert [(d.code, d.parent_code) for d in divisions] == [
        ("220403", None),
        ("220403001", "220403"),
        ("220403001001", "220403001"),
    ]


def test_division_error_is_a_value_error():
    assert issubclass(DivisionError, ValueError)
