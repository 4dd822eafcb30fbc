"""``manage.py load_demo_care [--seed N] [--today YYYY-MM-DD] [--reset]``: care demo data on an
existing demo registry (``load_demo`` calls :func:`shequ.care.demo.generate_demo_care` itself)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shequ.care import clock
from shequ.care.demo import generate_demo_care


class Command(BaseCommand):
    help = "在已有的演示基础网格上生成一年的巡访关爱数据。"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", help="演示的“今天”，默认今天（YYYY-MM-DD）")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="先清除已有的关爱数据（对象、任务、探访、工单、服务商）",
        )

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else clock.today()
        except ValueError:
            raise CommandError("--today 应为 YYYY-MM-DD") from None
        if options["reset"]:
            reset_care_data()
        try:
            counts = generate_demo_care(options["seed"], today=today)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            "关爱对象 {targets}（在册 {open_targets}），探访 {visits} 次，任务 {tasks} 项"
            "（完成 {tasks_done}），居家服务工单 {orders} 张，服务商 {providers} 家。".format(
                **counts
            )
        )


@transaction.atomic
def reset_care_data() -> None:
    """Delete every care row (policies stay), children first."""
    from shequ.care.models import CareTarget, Provider, ServiceOrder, Visit, VisitTask

    for model in (ServiceOrder, Visit, VisitTask, CareTarget, Provider):
        model.objects.all().delete()
