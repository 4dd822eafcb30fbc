"""Excel pages: who may import, template and export downloads, the result of an upload."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shequ.audit.models import AuditEntry
from shequ.registry import excel
from shequ.registry.models import Person
from shequ.registry.tests.test_excel_import import person_row, xlsx
from shequ.web.tests.conftest import browser, log_in, page, shoot  # noqa: F401 - fixtures

IMPORT = reverse("registry:import")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _upload(client, kind: str, data: bytes, name: str = "居民.xlsx", **headers):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(IMPORT, {"kind": kind, "file": upload}, **headers)


def _sheet(response) -> list[list]:
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return rows


def test_import_page_needs_login(client, db):
    response = client.get(IMPORT)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_import_page_needs_a_write_role(login, personas):
    client = login(personas["leader"])
    assert client.get(IMPORT).status_code == 403
    assert _upload(client, "persons", b"x").status_code == 403
    assert login(personas["grid_a"]).get(IMPORT).status_code == 403


def test_import_page_for_a_clerk(login, personas):
    response = login(personas["clerk_a"]).get(IMPORT)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="file"' in html and "<progress" in html and "hx-post" in html
    for kind in excel.SHEETS:
        assert reverse("registry:excel_template", args=[kind]) in html


def test_template_download(login, personas):
    response = login(personas["leader"]).get(reverse("registry:excel_template", args=["persons"]))
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    assert _sheet(response)[0] == excel.PERSONS.headers


def test_unknown_kind_is_404(login, personas):
    client = login(personas["clerk_a"])
    assert client.get(reverse("registry:excel_template", args=["cats"])).status_code == 404
    assert client.get(reverse("registry:excel_export", args=["cats"])).status_code == 404


def test_export_has_no_foreign_rows(login, people, personas):
    response = login(personas["clerk_b"]).get(reverse("registry:excel_export", args=["persons"]))
    rows = _sheet(response)
    assert [r[0] for r in rows[1:]] == ["赵明"]
    assert rows[1][1] == people["zhao"].id_number_mask
    response = login(personas["clerk_b"]).get(reverse("registry:excel_export", args=["households"]))
    assert [r[0] for r in _sheet(response)[1:]] == ["H-B-1"]


def test_export_page_for_everybody(login, personas):
    response = login(personas["leader"]).get(reverse("registry:excel_export_page"))
    assert response.status_code == 200
    assert reverse("registry:excel_export", args=["units"]) in response.content.decode()


def test_upload_of_a_bad_file_shows_the_error_table(login, people, personas):
    client = login(personas["clerk_a"])
    bad = person_row(70)
    bad[1] = bad[1][:-1] + ("1" if bad[1][-1] != "1" else "2")
    data = xlsx(excel.PERSONS.headers, [person_row(71), bad, person_row(72, unit="220403009")])
    persons, audits = Person.objects.count(), AuditEntry.objects.count()
    response = _upload(client, "persons", data.getvalue())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="import-errors"' in html
    assert "没有写入任何数据" in html
    assert '<td class="num">3</td><td>身份证号</td><td>身份证号校验位错误' in html
    assert '<td class="num">4</td><td>所属区划代码</td><td>区划代码 220403009 不存在' in html
    assert (Person.objects.count(), AuditEntry.objects.count()) == (persons, audits)

    # The same list as a workbook.
    errors = client.get(reverse("registry:excel_errors"))
    assert _sheet(errors) == [
        ["行", "列", "错误"],
        [3, "身份证号", "身份证号校验位错误，请核对是否输错"],
        [4, "所属区划代码", "区划代码 220403009 不存在"],
    ]


def test_upload_through_htmx_returns_the_result_only(login, people, personas):
    client = login(personas["clerk_a"])
    response = _upload(
        client,
        "persons",
        xlsx(excel.PERSONS.headers, [person_row(73)]).getvalue(),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'data-testid="import-ok"' in html and "新增 1" in html
    assert Person.objects.filter(name="孙丽").exists()


def test_upload_of_a_non_xlsx_file(login, personas):
    response = _upload(
        login(personas["clerk_a"]), "persons", "姓名,身份证号\n".encode(), name="居民.csv"
    )
    html = response.content.decode()
    assert 'data-testid="import-error"' in html and "另存为 .xlsx" in html


def test_upload_with_wrong_headers(login, personas):
    data = xlsx(["姓名", "身份证"], [["张三", "x"]]).getvalue()
    html = _upload(login(personas["clerk_a"]), "persons", data).content.decode()
    assert "缺少必填列 身份证号、所属区划代码" in html


def test_upload_without_a_file(login, personas):
    html = login(personas["clerk_a"]).post(IMPORT, {"kind": "persons"}).content.decode()
    assert "请选择要导入的 .xlsx 文件" in html


def test_error_workbook_needs_a_failed_import(login, personas):
    assert login(personas["clerk_a"]).get(reverse("registry:excel_errors")).status_code == 404


# ---------------------------------------------------------------------------------------
# In the browser (``make test-browser``): the upload goes through htmx and the result
# replaces only the result area.
# ---------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_in_the_browser(page, live_server, people, personas, tmp_path):  # noqa: F811
    log_in(page, live_server, "clerk_a", "pw-clerk_a-2026")
    page.wait_for_selector("text=泰安社区")
    page.click("text=Excel导入导出")
    assert page.locator("#import-progress progress").count() == 1

    bad = person_row(80, unit="220403002001", household=None)
    path = tmp_path / "居民.xlsx"
    path.write_bytes(xlsx(excel.PERSONS.headers, [person_row(81), bad]).getvalue())
    page.set_input_files("#import-file", str(path))
    page.click("button:has-text('上传并导入')")
    table = page.locator("[data-testid=import-errors]")
    table.wait_for()
    assert "不在您的管辖范围内" in table.inner_text()
    shoot(page, "05-import-errors")
    assert not Person.objects.filter(name="孙丽").exists()

    path.write_bytes(xlsx(excel.PERSONS.headers, [person_row(81)]).getvalue())
    page.set_input_files("#import-file", str(path))
    page.click("button:has-text('上传并导入')")
    page.locator("[data-testid=import-ok]").wait_for()
    assert page.locator("[data-testid=import-errors]").count() == 0
    assert Person.objects.filter(name="孙丽").count() == 1
