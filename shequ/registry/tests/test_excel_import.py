"""Excel import: every kind of bad row rejects the whole file and writes nothing; a good
file writes everything (encrypted, with residences and one audit row)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from shequ.audit.models import AuditEntry
from shequ.conftest import id_number
from shequ.core.masking import mask_id_number
from shequ.errors import Conflict, Forbidden
from shequ.registry import excel, importing
from shequ.registry.importing import ImportFileError, import_workbook
from shequ.registry.models import (
    AdminUnit,
    Building,
    Certificate,
    Household,
    Person,
    PersonTag,
    Residence,
    Tag,
    Worker,
)
from shequ.registry.pii import cipher, id_hash_of

ON = date(2026, 3, 2)
PERSON_HEADERS = excel.PERSONS.headers


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The personas' Argon2 hashing is most of a test's time otherwise.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def xlsx(headers: list, rows: list[list], *, title: str | None = None) -> io.BytesIO:
    """A workbook as Excel saves it (shared strings), header in row 1 unless ``title``."""
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (
            Person,
            Household,
            Residence,
            PersonTag,
            AuditEntry,
            AdminUnit,
            Building,
            Worker,
            Certificate,
        )
    }


def person_row(
    seq: int,
    *,
    name="孙丽",
    unit="220403001001001",
    household="H-A-1",
    relation="配偶",
    tags=None,
    grade=None,
    phone="13904370001",
    birth=date(1952, 4, 9),
    sex="F",
):
    return [name, id_number(seq, birth, sex), phone, unit, household, relation, tags, grade]


# ---------------------------------------------------------------------------------------
# A good file
# ---------------------------------------------------------------------------------------


def test_good_persons_file_imports_everything_encrypted(people, personas):
    clerk = personas["clerk_a"]
    before = counts()
    rows = [
        person_row(40, tags="独居,残疾", grade=2),
        person_row(
            41,
            name="周强",
            household="H-A-2",
            unit="220403001001",
            relation="子",
            birth=date(1985, 1, 2),
            sex="M",
            phone=None,
        ),
        person_row(42, name="吴敏", household=None, relation=None, tags="低保"),
    ]
    result = import_workbook(
        "persons", xlsx(PERSON_HEADERS, rows), actor=clerk, file_name="居民.xlsx", on=ON
    )
    assert result.ok, result.errors
    assert (result.rows, result.created, result.updated) == (3, 3, 0)
    after = counts()
    assert after["Person"] == before["Person"] + 3
    assert after["Residence"] == before["Residence"] + 2
    assert after["PersonTag"] == before["PersonTag"] + 3
    assert after["AuditEntry"] == before["AuditEntry"] + 1

    clear = id_number(40, date(1952, 4, 9), "F")
    sun = Person.objects.get(id_number_hash=id_hash_of(clear))
    assert sun.name == "孙丽" and sun.sex == "F" and sun.birth_date == date(1952, 4, 9)
    assert clear not in sun.id_number_enc and cipher().decrypt(sun.id_number_enc) == clear
    assert sun.id_number_mask == mask_id_number(clear)
    assert sun.phone_mask == "139****0001" and cipher().decrypt(sun.phone_enc) == "13904370001"
    assert sun.household == people["h_a"] and sun.unit.code == "220403001001001"
    assert sun.relation == "配偶" and sun.created_at is not None
    residence = sun.residences.get()
    assert (residence.household, residence.started_on, residence.ended_on) == (
        people["h_a"],
        ON,
        None,
    )
    assert {(t.tag, t.grade, t.started_on) for t in sun.tags.all()} == {
        (Tag.LIVING_ALONE, None, ON),
        (Tag.DISABLED, 2, ON),
    }

    # A person named with the community joins the household's grid (the precise unit).
    zhou = Person.objects.get(name="周强")
    assert zhou.unit.code == "220403001001002" and zhou.sex == "M" and zhou.phone_enc == ""
    wu = Person.objects.get(name="吴敏")
    assert wu.household is None and not wu.residences.exists()

    entry = AuditEntry.objects.get(action="import")
    assert entry.actor == clerk and entry.model == "registry.person"
    assert entry.changes["rows"] == 3 and entry.changes["file"] == "居民.xlsx"
    assert "居民" in entry.summary and clear not in str(entry.changes)


def test_header_may_follow_a_title_and_columns_may_be_reordered(people, personas):
    headers = ["身份证号", "姓名", "所属区划代码"]
    rows = [
        [id_number(43), "郑和", "220403001001"],
        [None, None, None],
        [id_number(44), "", "220403001001"],
    ]
    result = import_workbook(
        "persons", xlsx(headers, rows, title="泰安社区居民花名册"), actor=personas["clerk_a"]
    )
    # Title in row 1, header in row 2: the bad row is Excel's row 5 (a blank row between).
    assert [(e.row, e.column) for e in result.errors] == [(5, "姓名")]


# ---------------------------------------------------------------------------------------
# Bad rows: the whole file is rejected and nothing is written
# ---------------------------------------------------------------------------------------

_BAD_CHECK_DIGIT = id_number(45)[:-1] + ("0" if id_number(45)[-1] != "0" else "1")

BAD_PERSON_ROWS = {
    "bad check digit": (lambda r: r.__setitem__(1, _BAD_CHECK_DIGIT), "身份证号", "校验位错误"),
    "ID number as a number cell": (
        lambda r: r.__setitem__(1, 220403195204090000),
        "身份证号",
        "文本格式",
    ),
    "unknown unit code": (
        lambda r: r.__setitem__(3, "220403009009"),
        "所属区划代码",
        "区划代码 220403009009 不存在",
    ),
    "malformed unit code": (
        lambda r: r.__setitem__(3, "22040300"),
        "所属区划代码",
        "6、9、12 或 15 位数字",
    ),
    "out-of-scope unit code": (
        lambda r: r.__setitem__(3, "220403002001"),
        "所属区划代码",
        "不在您的管辖范围内",
    ),
    "missing name": (lambda r: r.__setitem__(0, "  "), "姓名", "姓名不能为空"),
    "text in a number column": (lambda r: r.__setitem__(7, "二级"), "残疾等级", "应为整数"),
    "number out of range": (
        lambda r: (r.__setitem__(6, "残疾"), r.__setitem__(7, 5)),
        "残疾等级",
        "1–4",
    ),
    "grade without disability": (lambda r: r.__setitem__(7, 2), "残疾等级", "须含“残疾”"),
    "unknown tag": (lambda r: r.__setitem__(6, "独居,孤寡"), "标签", "未知的标签“孤寡”"),
    "bad phone": (lambda r: r.__setitem__(2, "12345"), "电话", "电话号码格式不正确"),
    "unknown household": (lambda r: r.__setitem__(4, "H-X-9"), "户编号", "H-X-9 不存在"),
    "household of another grid": (
        lambda r: r.__setitem__(4, "H-A-2"),
        "户编号",
        "不在所属区划 220403001001001 内",
    ),
    "household out of scope": (
        lambda r: r.__setitem__(4, "H-B-1"),
        "户编号",
        "不存在或不在您的管辖范围内",
    ),
    "already registered": (
        lambda r: r.__setitem__(1, id_number(1, date(1938, 5, 1), "F")),
        "身份证号",
        "该身份证号已登记",
    ),
}


@pytest.mark.parametrize("case", list(BAD_PERSON_ROWS))
def test_a_bad_person_row_rejects_the_whole_file(case, people, personas):
    change, column, message = BAD_PERSON_ROWS[case]
    bad = person_row(46, household="H-A-1", tags=None)
    change(bad)
    # Good rows before and after the bad one: none of them may be written either.
    rows = [person_row(47), bad, person_row(48, name="钱进")]
    before = counts()
    result = import_workbook("persons", xlsx(PERSON_HEADERS, rows), actor=personas["clerk_a"])
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, column)], result.errors
    assert message in result.errors[0].message
    assert counts() == before


def test_messages_never_quote_an_id_number(people, personas):
    typed_in_the_wrong_column = id_number(62)
    rows = [person_row(61, tags=typed_in_the_wrong_column)]
    result = import_workbook("persons", xlsx(PERSON_HEADERS, rows), actor=personas["clerk_a"])
    [error] = result.errors
    assert error.column == "标签" and typed_in_the_wrong_column not in error.message
    assert mask_id_number(typed_in_the_wrong_column) in error.message


def test_out_of_scope_unit_for_clerk_b(people, personas):
    rows = [person_row(49, unit="220403001001", household=None)]
    before = counts()
    result = import_workbook("persons", xlsx(PERSON_HEADERS, rows), actor=personas["clerk_b"])
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "所属区划代码", "区划代码 220403001001 不在您的管辖范围内")
    ]
    assert counts() == before


def test_duplicate_person_in_the_file(people, personas):
    rows = [person_row(50), person_row(51), person_row(50, name="孙丽丽")]
    before = counts()
    result = import_workbook("persons", xlsx(PERSON_HEADERS, rows), actor=personas["clerk_a"])
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (4, "身份证号", "身份证号与第 2 行重复")
    ]
    assert counts() == before


def test_every_error_is_listed_in_row_then_column_order(people, personas):
    rows = [
        ["", _BAD_CHECK_DIGIT, None, "220403001001", None, None, None, None],
        person_row(52),
        person_row(53, unit="220403009009", household=None, tags="孤寡"),
    ]
    result = import_workbook("persons", xlsx(PERSON_HEADERS, rows), actor=personas["clerk_a"])
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "姓名"),
        (2, "身份证号"),
        (4, "所属区划代码"),
        (4, "标签"),
    ]
    assert result.error_count == 4


def test_a_conflict_while_writing_rolls_everything_back(people, personas, monkeypatch):
    # Someone registers the person between the check and the write: the unique index
    # catches it and the transaction takes back the rows already inserted.
    monkeypatch.setattr(importing._PersonImporter, "check", lambda self: None)
    monkeypatch.setattr(importing, "BATCH", 1)  # the first person is written before the clash
    duplicate = person_row(55, household=None)
    duplicate[1] = id_number(1, date(1938, 5, 1), "F")
    rows = [person_row(54, household=None), duplicate]
    before = counts()
    with pytest.raises(Conflict):
        import_workbook("persons", xlsx(PERSON_HEADERS, rows), actor=personas["clerk_a"])
    assert counts() == before


def test_only_writers_may_import(people, personas):
    with pytest.raises(Forbidden):
        import_workbook("persons", xlsx(PERSON_HEADERS, [person_row(56)]), actor=personas["leader"])


# ---------------------------------------------------------------------------------------
# Files that are not importable as a whole
# ---------------------------------------------------------------------------------------


def test_wrong_headers_give_a_clear_message(personas):
    with pytest.raises(ImportFileError) as exc:
        import_workbook(
            "persons",
            xlsx(["姓名", "身分证号", "所属区划代码"], [["a", "b", "c"]]),
            actor=personas["clerk_a"],
        )
    assert "缺少必填列 身份证号" in exc.value.message
    assert "无法识别的列 身分证号" in exc.value.message


def test_a_file_of_another_kind_is_named(personas):
    units = xlsx(excel.UNITS.headers, [["220403001001003", "第三网格", "网格"]])
    with pytest.raises(ImportFileError) as exc:
        import_workbook("persons", units, actor=personas["clerk_a"])
    assert "这似乎是「区划」的导入文件" in exc.value.message


@pytest.mark.parametrize(
    "content, message",
    [
        ("姓名,身份证号\n".encode(), "不是有效的 Excel"),  # a CSV
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "另存为 .xlsx"),  # an old .xls
        (b"", "不是有效的 Excel"),
    ],
)
def test_a_non_xlsx_file_gives_a_clear_message(personas, content, message):
    with pytest.raises(ImportFileError) as exc:
        import_workbook("persons", io.BytesIO(content), actor=personas["clerk_a"])
    assert message in exc.value.message


def test_a_broken_xlsx_gives_a_clear_message(personas):
    good = xlsx(PERSON_HEADERS, [person_row(57)]).getvalue()
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut off mid-way
            dst.writestr(item, data)
    broken.seek(0)
    with pytest.raises(ImportFileError) as exc:
        import_workbook("persons", broken, actor=personas["clerk_a"])
    assert "已损坏" in exc.value.message


def test_header_only_file(personas):
    with pytest.raises(ImportFileError) as exc:
        import_workbook("persons", xlsx(PERSON_HEADERS, []), actor=personas["clerk_a"])
    assert "没有数据行" in exc.value.message


# ---------------------------------------------------------------------------------------
# Units, buildings, households, workers
# ---------------------------------------------------------------------------------------


def test_units_import_creates_and_updates_within_scope(personas, units):
    rows = [
        ["220403001001", "泰安社区", "社区", None, "111", 1200, 3100, 43.02, 125.14],
        ["220403001001003", "泰安社区第三网格", "网格", "220403001001", None, 300],
    ]
    before = counts()
    result = import_workbook("units", xlsx(excel.UNITS.headers, rows), actor=personas["clerk_a"])
    assert result.ok, result.errors
    assert (result.created, result.updated) == (1, 1)
    community = AdminUnit.objects.get(code="220403001001")
    assert (community.urban_rural_code, community.households, community.population) == (
        "111",
        1200,
        3100,
    )
    grid = AdminUnit.objects.get(code="220403001001003")
    assert grid.parent == community and grid.level == "grid" and grid.households == 300
    assert counts()["AuditEntry"] == before["AuditEntry"] + 1


@pytest.mark.parametrize(
    "row, column, message",
    [
        (["220403002001009", "仙城第九网格", "网格"], "区划代码", "不在您的管辖范围内"),
        (["220403001001004", "第四网格", "社区"], "层级", "层级应为“网格”"),
        (["220403001001004", "第四网格", "网格", "220403001002"], "上级代码", "220403001001"),
        (["220403001001004", "第四网格", "网格", None, "999"], "城乡分类代码", "不正确"),
        (["220403001001004", "第四网格", "网格", None, None, -3], "户数", "不能小于 0"),
        (["220403001001004", "第四网格", "网格", None, None, 10**12], "户数", "数值过大"),
        (
            ["220403001001004", "第四网格", "网格", None, None, None, None, "北纬43"],
            "中心纬度",
            "应为数字",
        ),
        (["220403001009001", "孤网格", "网格"], "区划代码", "不在您的管辖范围内"),
    ],
)
def test_bad_unit_rows(personas, units, row, column, message):
    before = counts()
    good = ["220403001001005", "第五网格", "网格"]
    result = import_workbook(
        "units", xlsx(excel.UNITS.headers, [good, row]), actor=personas["clerk_a"]
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, column)], result.errors
    assert message in result.errors[0].message
    assert counts() == before


def test_new_unit_needs_its_parent(personas, units):
    rows = [["220403001003001", "新社区网格", "网格"]]
    result = import_workbook("units", xlsx(excel.UNITS.headers, rows), actor=personas["officer_a"])
    assert "上级区划 220403001003 不存在" in result.errors[0].message
    # With the parent in the same file it works, parents first.
    rows.append(["220403001003", "新社区", "社区"])
    result = import_workbook("units", xlsx(excel.UNITS.headers, rows), actor=personas["officer_a"])
    assert result.ok and result.created == 2
    assert AdminUnit.objects.get(code="220403001003001").parent.code == "220403001003"


def test_buildings_and_households_import(personas, units):
    clerk = personas["clerk_a"]
    result = import_workbook(
        "buildings",
        xlsx(
            excel.BUILDINGS.headers,
            [
                ["220403001001", "8号楼", "泰安路8号", 6, 43.01, 125.1],
                ["220403001001001", "9号楼", "泰安路9号", "六", None, None],
            ],
        ),
        actor=clerk,
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "层数")]
    assert not Building.objects.exists()

    result = import_workbook(
        "buildings",
        xlsx(
            excel.BUILDINGS.headers,
            [
                ["220403001001", "8号楼", "泰安路8号", 6, 43.01, 125.1],
            ],
        ),
        actor=clerk,
    )
    assert result.ok and result.created == 1
    # A household of a grid finds the building of its community.
    result = import_workbook(
        "households",
        xlsx(
            excel.HOUSEHOLDS.headers,
            [
                ["H-8-101", "220403001001001", "8号楼", "1单元101", "泰安路8号1单元101"],
                ["H-8-102", "220403001001001", "7号楼", "1单元102", None],
            ],
        ),
        actor=clerk,
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "楼号")]
    assert not Household.objects.exists()


def test_household_numbers_are_unique_across_the_district(people, personas):
    result = import_workbook(
        "households",
        xlsx(
            excel.HOUSEHOLDS.headers,
            [
                ["H-B-1", "220403001001001", None, None, "泰安路"],
                ["H-N-1", "220403001001001", None, None, None],
                ["H-N-1", "220403001001002", None, None, None],
                ["H-A-2", "220403001001001", None, None, None],
            ],
        ),
        actor=personas["clerk_a"],
    )
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "户编号", "户编号 H-B-1 已被其他单位使用"),
        (4, "户编号", "户编号与第 3 行重复"),
        (5, "户编号", "户编号 H-A-2 已登记在区划 220403001001002，不能通过导入改变所属区划"),
    ]


def test_workers_import(personas, units):
    headers = excel.WORKERS.headers
    rows = [
        [
            "刘芳",
            "220403001001",
            "13604370011",
            "正职",
            12,
            "是",
            "网格长",
            "否",
            "社会工作师:2022-06-18，助理社会工作师：2019/5/1",
            datetime(2020, 3, 1),
        ],
        ["陈伟", "220403001001001", None, None, None, None, None, "是", None, "2021-07-01"],
    ]
    result = import_workbook("workers", xlsx(headers, rows), actor=personas["clerk_a"])
    assert result.ok, result.errors
    liu = Worker.objects.get(name="刘芳")
    assert (liu.post, liu.level, liu.party_post, liu.grid_role, liu.disaster_officer) == (
        "head",
        12,
        True,
        "grid_leader",
        False,
    )
    assert liu.joined_on == date(2020, 3, 1) and liu.phone_mask == "136****0011"
    assert cipher().decrypt(liu.phone_enc) == "13604370011"
    assert {(c.level, c.obtained_on) for c in liu.certificates.all()} == {
        ("social_worker", date(2022, 6, 18)),
        ("assistant", date(2019, 5, 1)),
    }
    chen = Worker.objects.get(name="陈伟")
    assert (chen.post, chen.level, chen.disaster_officer) == ("staff", 1, True)

    # The same people again: rejected as already registered.
    result = import_workbook("workers", xlsx(headers, rows), actor=personas["clerk_a"])
    assert [e.row for e in result.errors] == [2, 3]


@pytest.mark.parametrize(
    "row, column, message",
    [
        (
            ["赵六", "220403001001", None, None, None, None, None, None, "社会工作师:2022-13-45"],
            "证书",
            "日期“2022-13-45”不存在",
        ),
        (
            ["赵六", "220403001001", None, None, None, None, None, None, "社会工作师 2022-06-18"],
            "证书",
            "格式不正确",
        ),
        (
            ["赵六", "220403001001", None, None, None, None, None, None, None, "去年三月"],
            "入职日期",
            "日期格式不正确",
        ),
        (
            ["赵六", "220403001001", None, None, None, None, None, None, None, "2099-01-01"],
            "入职日期",
            "不能晚于今天",
        ),
        (["赵六", "220403001001", None, "主任"], "岗位", "应为：正职、副职、社区工作者"),
        (["赵六", "220403001001", None, None, 19], "等级", "1–18"),
        (["赵六", "220403001001", None, None, None, "有"], "党建专岗", "“是”或“否”"),
    ],
)
def test_bad_worker_rows(personas, units, row, column, message):
    before = counts()
    result = import_workbook(
        "workers", xlsx(excel.WORKERS.headers, [row]), actor=personas["clerk_a"]
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, column)], result.errors
    assert message in result.errors[0].message
    assert counts() == before


# ---------------------------------------------------------------------------------------
# Round trips: an export imports back unchanged
# ---------------------------------------------------------------------------------------


def _export(kind, user) -> io.BytesIO:
    out = io.BytesIO()
    excel.write_export(kind, user, out)
    out.seek(0)
    return out


def test_round_trip_units(personas, units):
    admin = personas["admin"]
    AdminUnit.objects.filter(code="220403001001").update(
        urban_rural_code="111", households=9, centre_lat=43.1, centre_lon=125.2
    )
    before = list(
        AdminUnit.objects.values_list(
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
    result = import_workbook("units", _export("units", admin), actor=admin)
    assert result.ok and (result.created, result.updated) == (0, len(before))
    assert (
        list(
            AdminUnit.objects.values_list(
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
        == before
    )


def test_round_trip_buildings_and_households(personas, units):
    clerk = personas["clerk_a"]
    import_workbook(
        "buildings",
        xlsx(
            excel.BUILDINGS.headers,
            [
                ["220403001001001", "1号楼", "泰安路1号", 5, 43.01, 125.1],
                ["220403001001002", "2号楼", None, None, None, None],
            ],
        ),
        actor=clerk,
    )
    import_workbook(
        "households",
        xlsx(
            excel.HOUSEHOLDS.headers,
            [
                ["H-1", "220403001001001", "1号楼", "1单元101", "泰安路1号1单元101"],
                ["H-2", "220403001001002", "2号楼", None, None],
                ["H-3", "220403001001", None, "3-1", "泰安路3号"],
            ],
        ),
        actor=clerk,
    )
    fields = ("unit__code", "number", "address", "floors", "lat", "lon")
    buildings = list(Building.objects.order_by("number").values_list(*fields))
    hh_fields = ("number", "unit__code", "building__number", "room", "address")
    households = list(Household.objects.order_by("number").values_list(*hh_fields))
    building_file, household_file = _export("buildings", clerk), _export("households", clerk)

    # Into an empty registry: everything comes back as it was.
    Household.objects.all().delete()
    Building.objects.all().delete()
    assert import_workbook("buildings", building_file, actor=clerk).created == 2
    assert import_workbook("households", household_file, actor=clerk).created == 3
    assert list(Building.objects.order_by("number").values_list(*fields)) == buildings
    assert list(Household.objects.order_by("number").values_list(*hh_fields)) == households

    # Over the same data: every row is an update that changes nothing.
    household_file.seek(0)
    result = import_workbook("households", household_file, actor=clerk)
    assert (result.created, result.updated) == (0, 3)
    assert list(Household.objects.order_by("number").values_list(*hh_fields)) == households


# ---------------------------------------------------------------------------------------
# The reader gives what openpyxl gives
# ---------------------------------------------------------------------------------------

_cell = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
)


def _openpyxl_rows(data: bytes) -> list[list]:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = []
    for row in wb.worksheets[0].iter_rows(values_only=True):
        row = [None if v == "" else v for v in row]
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    wb.close()
    return rows


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(_cell, min_size=1, max_size=6), min_size=1, max_size=6),
    write_only=st.booleans(),
)
def test_reader_matches_openpyxl(rows, write_only):
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("数据") if write_only else wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    expected = [(n, r) for n, r in enumerate(_openpyxl_rows(out.getvalue()), start=1) if r]
    # openpyxl pads missing rows with empty ones; the reader skips them.
    got = [(n, values) for n, values in excel.read_rows(io.BytesIO(out.getvalue())) if values]
    assert got == expected


def test_reader_joins_rich_text_and_skips_phonetic_guides():
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    wb = Workbook()
    wb.active.append([CellRichText("王", TextBlock(InlineFont(b=True), "秀兰")), "李"])
    out = io.BytesIO()
    wb.save(out)
    patched = io.BytesIO()
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/sharedStrings.xml":
                # A phonetic guide as Excel writes for East Asian text: not part of the value.
                data = data.replace(
                    b"<t>\xe6\x9d\x8e</t>", b'<t>\xe6\x9d\x8e</t><rPh sb="0" eb="1"><t>li</t></rPh>'
                )
                assert b"rPh" in data
            dst.writestr(item, data)
    patched.seek(0)
    assert [v for _n, v in excel.read_rows(patched)] == [["王秀兰", "李"]]
