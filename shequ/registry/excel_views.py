"""Excel pages: import (upload, check, write all or nothing), templates, exports, errors.

The import runs inside the upload request, so it needs neither a worker process nor a
place to keep the upload between requests. It checks and writes thousands of rows a
second (benchmarks/import_persons.py): a community's or a street's file takes seconds, a
district-wide file of 100,000 persons tens of seconds, so the web server's worker timeout
must allow that (or such a file goes through ``manage.py import_registry``). The page
shows the upload's progress and then an indeterminate bar while the server checks and
writes (see excel_import.html).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from shequ.errors import DomainError
from shequ.registry import excel, importing

# The page shows this many errors; the rest are counted and are in the error workbook.
SHOWN_ERRORS = 200
_SESSION_ERRORS = "registry_import_errors"


def _sheet_or_404(kind: str) -> excel.Sheet:
    if kind not in excel.SHEETS:
        raise Http404("没有这种导入导出类型")
    return excel.SHEETS[kind]


def _xlsx_response(write: Callable[[IO[bytes]], Any], filename: str) -> FileResponse:
    # A temporary file rather than memory: an export of 100,000 persons is several MB.
    # FileResponse closes it when the response is done.
    target = tempfile.TemporaryFile()  # noqa: SIM115
    write(target)
    target.seek(0)
    response = FileResponse(
        target, as_attachment=True, filename=filename, content_type=excel.XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    if not request.user.may_write_registry:
        raise PermissionDenied("您的角色不能导入基础数据。")
    kind = request.POST.get("kind") or request.GET.get("kind") or "persons"
    result = error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if kind not in excel.SHEETS:
            error = "请选择导入类型。"
        elif upload is None:
            error = "请选择要导入的 .xlsx 文件。"
        elif upload.size > settings.IMPORT_MAX_BYTES:
            error = f"文件超过 {settings.IMPORT_MAX_BYTES // 2**20} MB，请拆分后分别导入。"
        else:
            try:
                result = importing.import_workbook(
                    kind, upload, actor=request.user, file_name=upload.name
                )
            except DomainError as exc:
                error = exc.message
        if result is not None and not result.ok:
            # Kept for the error workbook; messages never contain a clear ID number.
            request.session[_SESSION_ERRORS] = {
                "file": result.file_name,
                "kind": result.kind,
                "errors": [[e.row, e.column, e.message] for e in result.errors],
            }
    context = {
        "kind": kind,
        "sheets": list(excel.SHEETS.values()),
        "result": result,
        "error": error,
        "shown": result.errors[:SHOWN_ERRORS] if result else [],
        "more": result.error_count - min(len(result.errors), SHOWN_ERRORS) if result else 0,
        "max_mb": settings.IMPORT_MAX_BYTES // 2**20,
    }
    if request.headers.get("HX-Request"):
        return render(request, "registry/excel_result.html", context)
    return render(request, "registry/excel_import.html", context)


@login_required
@require_GET
def export_page(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/excel_export.html", {"sheets": list(excel.SHEETS.values())})


@login_required
@require_GET
def template(request: HttpRequest, kind: str) -> HttpResponse:
    _sheet_or_404(kind)
    return _xlsx_response(
        lambda out: excel.write_template(kind, out), excel.template_filename(kind)
    )


@login_required
@require_GET
def export(request: HttpRequest, kind: str) -> HttpResponse:
    _sheet_or_404(kind)
    return _xlsx_response(
        lambda out: excel.write_export(kind, request.user, out),
        excel.export_filename(kind, timezone.localdate()),
    )


@login_required
@require_GET
def errors(request: HttpRequest) -> HttpResponse:
    saved = request.session.get(_SESSION_ERRORS)
    if not saved:
        raise Http404("没有可下载的错误清单")
    name = saved["file"].rsplit(".", 1)[0] or "导入"
    return _xlsx_response(
        lambda out: excel.write_errors(saved["errors"], out), f"{name}_错误清单.xlsx"
    )
