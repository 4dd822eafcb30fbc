"""``manage.py load_demo [--seed N] [--scale S] [--as-of DATE] [--reset]``.

Builds the demo district: the real units of 西安区 from the NBS list plus generated grids,
buildings, households, persons, staff and the demo log-ins (printed at the end). Scale 1 is
about 65,000 households; ``--scale 0.05`` is a tiny demo for tests. Running it again on a
database that has the demo says so and changes nothing; ``--reset`` rebuilds it.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from shequ.registry import demo
from shequ.registry.divisions import DEFAULT_ROOT, DivisionError


class Command(BaseCommand):
    help = "生成演示数据：西安区真实区划 + 生成的网格、楼栋、居民、社区工作者和演示账号。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="规模（1 ≈ 6.5万户；测试用 0.05）"
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=demo.DEMO_AS_OF,
            help=f"数据截至日期（默认 {demo.DEMO_AS_OF}，年龄与日期以此为准）",
        )
        parser.add_argument("--reset", action="store_true", help="先清除已有的演示数据再生成")
        parser.add_argument(
            "--registry-only", action="store_true", help="只生成基础网格，不生成设施、诉求和巡访"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        scale, seed = options["scale"], options["seed"]
        if not 0 < scale <= 10:
            raise CommandError("--scale 应在 0 到 10 之间。")
        as_of = min(options["as_of"], timezone.localdate())
        demo.ensure_field_key()
        if not options["reset"] and demo.demo_present(DEFAULT_ROOT):
            self.stdout.write("数据库中已有演示数据（或居民数据），未作修改。重建请加 --reset。")
            return
        try:
            plan = demo.generate(seed, scale, as_of)
            with transaction.atomic():
                if options["reset"]:
                    removed = demo.reset(DEFAULT_ROOT)
                    self.stdout.write(f"已清除演示数据（居民 {removed}）。")
                    if demo.demo_present(DEFAULT_ROOT):
                        raise demo.DemoError(
                            "该区划下已有居民数据（不是演示数据），不生成演示数据。"
                        )
                result = demo.write(plan)
        except (demo.DemoError, DivisionError) as exc:
            raise CommandError(str(exc)) from None
        if not options["registry_only"]:
            self.scale = scale
            self._capabilities(seed, as_of)
        self._summary(plan, result, time.monotonic() - started)

    def _capabilities(self, seed: int, as_of: date) -> None:
        """The other capabilities' demo data, each built on the registry just written."""
        from shequ.care.demo import generate_demo_care
        from shequ.facilities.demo import build_demo
        from shequ.tickets.demo import generate_demo_tickets

        step = time.monotonic()
        built = build_demo(seed)
        self.stdout.write(
            f"  设施 {built['facilities']} 处，步行可达性已计算（{time.monotonic() - step:.1f} 秒）"
        )
        step = time.monotonic()
        # A year of requests and visits up to today, so the pages show the current month.
        tickets = generate_demo_tickets(seed, min(self.scale, 1.0))
        self.stdout.write(
            f"  诉求 {tickets.tickets} 件，热点 {len(tickets.hotspots)} 处"
            f"（{time.monotonic() - step:.1f} 秒）"
        )
        step = time.monotonic()
        care = generate_demo_care(seed, today=timezone.localdate())
        self.stdout.write(
            f"  巡访对象 {care.get('targets')}，探访 {care.get('visits')}，"
            f"服务工单 {care.get('orders')}（{time.monotonic() - step:.1f} 秒）"
        )

    def _summary(self, plan: demo.DemoPlan, result: demo.WriteResult, elapsed: float) -> None:
        out = self.stdout.write
        real = sum(1 for u in plan.units if u.level != "grid")
        out(
            self.style.SUCCESS(
                f"演示数据已生成（seed={plan.seed}，scale={plan.scale}，截至 {plan.as_of}）："
            )
        )
        out(
            f"  区划单位 {real}（真实），网格 {len(plan.units) - real}（生成），"
            f"楼栋 {result.buildings}，户 {result.households}，居民 {result.persons}，"
            f"标签 {result.tags}，社区工作者 {result.workers - result.volunteers}，"
            f"楼栋长/单元长 {result.volunteers}"
        )
        out(f"  用时 {elapsed:.1f} 秒（写入 {result.seconds:.1f} 秒）")
        out("  位置与边界为生成数据（geometry_generated=True），不是测绘数据。")
        out(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
        for spec in demo.DEMO_USERS:
            note = "（已存在，未修改）" if spec.username in result.skipped_users else ""
            out(f"  {spec.username:<8} {spec.description}{note}")
