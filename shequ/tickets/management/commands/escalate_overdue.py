"""督办 overdue tickets now, on a timer, or start the self-scheduling Django task.

manage.py escalate_overdue                 # once (e.g. from cron every 5 minutes)
manage.py escalate_overdue --loop 300      # a timer in the foreground
manage.py escalate_overdue --schedule      # queue the task chain for `manage.py db_worker`
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from shequ.tickets import services, tasks


class Command(BaseCommand):
    help = "督办超期诉求（一次、定时循环，或排入 Django 任务队列）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=int,
            metavar="SECONDS",
            default=0,
            help="每隔 SECONDS 秒执行一次，直到中断",
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="排入周期任务（由 db_worker 执行），已排入则不重复",
        )
        parser.add_argument(
            "--interval",
            type=int,
            default=tasks.INTERVAL_SECONDS,
            help="周期任务的间隔秒数（默认 300）",
        )
        parser.add_argument("--limit", type=int, default=1000, help="每次最多处理的诉求数")

    def handle(self, *args, loop: int, schedule: bool, interval: int, limit: int, **options):
        if schedule:
            queued = tasks.schedule(interval)
            self.stdout.write("已排入周期督办任务。" if queued else "周期督办任务已在队列中。")
            return
        while True:
            n = services.escalate_overdue(limit=limit)
            self.stdout.write(f"escalated={n}")
            if loop <= 0:
                return
            time.sleep(loop)
