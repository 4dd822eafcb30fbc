"""``manage.py generate_visit_tasks [--date YYYY-MM-DD] [--enqueue]``: the daily care job."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from shequ.care.tasks import daily_care_job


class Command(BaseCommand):
    help = "同步关爱对象并生成本期探访任务（可每日运行，重复运行不会重复生成）。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按此日期生成（默认今天）, YYYY-MM-DD")
        parser.add_argument(
            "--enqueue", action="store_true", help="交给后台任务队列执行，而不是立即执行"
        )

    def handle(self, *args, **options):
        on = options["date"]
        if on:
            try:
                date.fromisoformat(on)
            except ValueError:
                raise CommandError("--date 应为 YYYY-MM-DD") from None
        if options["enqueue"]:
            result = daily_care_job.enqueue(on)
            self.stdout.write(f"已加入任务队列：{result.id}")
            return
        counts = daily_care_job.call(on)
        self.stdout.write(
            "新纳入 {opened} 人，退出 {closed} 人，生成任务 {tasks} 项，"
            "标记未完成 {missed} 项，移交 {reassigned} 项。".format(**counts)
        )
