"""``manage.py import_divisions FILE [--root 220403] [--recode OLD=NEW ...] [--dry-run]``.

Shows the plan (added, renamed, removed, re-code candidates) and applies it in one
transaction. Re-codes are applied only when confirmed with ``--recode``; removed units are
deactivated, never deleted. See :mod:`shequ.registry.divisions`.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shequ.registry.divisions import (
    DEFAULT_ROOT,
    DivisionError,
    apply_divisions,
    parse_recode,
    plan_divisions,
    read_divisions,
)


def _pair(text: str) -> tuple[str, str]:
    try:
        return parse_recode(text)
    except DivisionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Command(BaseCommand):
    help = "导入区划名单（统计用区划代码 CSV：code,name,level,parent_code），先显示变更计划再应用。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV 文件（UTF-8），列 code,name,level,parent_code")
        parser.add_argument(
            "--root",
            default=DEFAULT_ROOT,
            help=f"只导入此代码及其下级（默认 {DEFAULT_ROOT} 西安区）",
        )
        parser.add_argument(
            "--recode",
            action="extend",
            nargs="+",
            type=_pair,
            default=[],
            metavar="OLD=NEW",
            help="确认改码候选：旧代码=新代码（可多个）",
        )
        parser.add_argument(
            "--no-recode",
            action="store_true",
            help="不确认的改码候选按“撤销旧单位、新建新单位”处理",
        )
        parser.add_argument("--dry-run", action="store_true", help="只显示计划，不修改数据库")

    def handle(self, *args: Any, **options: Any) -> None:
        root = str(options["root"]).strip()
        try:
            divisions = read_divisions(options["file"], root)
            plan = plan_divisions(divisions, root)
        except DivisionError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"区划导入计划（{options['file']}，根 {root}，{len(divisions)} 个单位）："
        )
        for line in plan.describe():
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write("试运行：未作任何修改。")
            return
        if plan.is_empty and not options["recode"]:
            self.stdout.write("无变化。")
            return
        try:
            result = apply_divisions(
                divisions,
                root,
                recodes=options["recode"],
                split_candidates=options["no_recode"],
            )
        except DivisionError as exc:
            raise CommandError(f"{exc}（未作任何修改）") from None
        self.stdout.write(self.style.SUCCESS("已应用：" + result.summary()))
