"""``manage.py import_registry KIND FILE --user USERNAME``: the import page from a shell.

Same service, same checks, same scope: the user named is the one the import is done as.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shequ.errors import DomainError
from shequ.registry import excel, importing

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "从 .xlsx 导入区划、楼栋、户、居民或社区工作者（整体导入：有任何错误则不写入）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(excel.SHEETS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="以该用户的角色和管辖范围导入")

    def handle(self, *args: Any, kind: str, file: Path, user: str, **options: Any) -> None:
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"用户 {user} 不存在或已停用。")
        if not file.is_file():
            raise CommandError(f"文件 {file} 不存在。")
        verbose = options["verbosity"] > 1

        def progress(phase: str, rows: int) -> None:
            if verbose:
                word = "已校验" if phase == "check" else "已写入"
                self.stderr.write(f"{word} {rows:,} 行", ending="\r")
                sys.stderr.flush()

        try:
            with file.open("rb") as source:
                result = importing.import_workbook(
                    kind, source, actor=actor, file_name=file.name, progress=progress
                )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not result.ok:
            for error in result.errors[:SHOWN_ERRORS]:
                self.stderr.write(f"第 {error.row} 行\t{error.column}\t{error.message}")
            more = result.error_count - min(len(result.errors), SHOWN_ERRORS)
            if more > 0:
                self.stderr.write(f"……另有 {more} 处错误")
            raise CommandError(f"{result.error_count} 处错误，文件未导入，未写入任何数据。")
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入{result.label} {result.rows:,} 行：新增 {result.created:,}，"
                f"更新 {result.updated:,}（{result.seconds:.1f} 秒）。"
            )
        )
