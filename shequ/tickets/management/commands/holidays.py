"""The holiday table deadlines count on: load a year from chinesecalendar, import a CSV,
export, check which years are missing.

    manage.py holidays check
    manage.py holidays load 2027              # after upgrading chinesecalendar
    manage.py holidays import 2027.csv        # date,is_workday,name — from the notice
    manage.py holidays export 2026
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shequ.core.workdays import YearNotAnnounced
from shequ.errors import DomainError
from shequ.tickets import clock, deadlines
from shequ.tickets.models import CalendarDay


class Command(BaseCommand):
    help = "节假日安排表：检查、从 chinesecalendar 载入、导入 CSV、导出"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="列出缺少的年份")
        load = sub.add_parser("load", help="从 chinesecalendar 载入年份")
        load.add_argument("years", nargs="+", type=int)
        imp = sub.add_parser("import", help="导入 CSV：date,is_workday,name")
        imp.add_argument("file", type=Path)
        exp = sub.add_parser("export", help="导出一年为 CSV")
        exp.add_argument("year", type=int)

    def handle(self, *args, action: str, **options):
        if action == "check":
            missing = deadlines.missing_years(timezone.localtime(clock.now()).date())
            self.stdout.write("缺少：" + "、".join(map(str, missing)) if missing else "完整")
        elif action == "load":
            try:
                written = deadlines.load_official(options["years"])
            except YearNotAnnounced as exc:
                raise CommandError(str(exc)) from None
            for year, n in written.items():
                self.stdout.write(f"{year}: {n} 天")
        elif action == "import":
            try:
                n = deadlines.import_csv(options["file"].read_text(encoding="utf-8-sig"))
            except DomainError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(f"导入 {n} 天")
        else:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["date", "is_workday", "name"])
            for day in CalendarDay.objects.filter(date__year=options["year"]):
                writer.writerow([day.date.isoformat(), int(day.is_workday), day.name])
            self.stdout.write(out.getvalue(), ending="")
