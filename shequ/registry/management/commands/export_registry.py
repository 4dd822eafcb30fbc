"""``manage.py export_registry KIND --user USERNAME --out FILE``: what the user may see,
as the export page gives it (personal numbers masked)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shequ.registry import excel


class Command(BaseCommand):
    help = "把用户管辖范围内的区划、楼栋、户、居民或社区工作者导出为 .xlsx（号码脱敏）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(excel.SHEETS))
        parser.add_argument("--user", required=True, help="按该用户的管辖范围导出")
        parser.add_argument("--out", required=True, type=Path, help="输出文件 .xlsx")

    def handle(self, *args: Any, kind: str, user: str, out: Path, **options: Any) -> None:
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"用户 {user} 不存在或已停用。")
        with out.open("wb") as target:
            count = excel.write_export(kind, actor, target)
        self.stdout.write(
            self.style.SUCCESS(f"已导出{excel.SHEETS[kind].label} {count:,} 行到 {out}。")
        )
