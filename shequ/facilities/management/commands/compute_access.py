"""Compute walking access now (in this process), or queue it for the background worker."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shequ.errors import DomainError
from shequ.facilities import accessibility, services


class Command(BaseCommand):
    help = "计算每栋楼到各类设施的步行距离（--queue 交给后台任务）。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--queue", action="store_true", help="提交后台任务，不在本进程计算")
        parser.add_argument(
            "--network", help="路网文件（默认 ACCESS_NETWORK_FILE 或 var/network.npz）"
        )

    def handle(self, *args, queue: bool, network: str | None, **options) -> None:
        if queue:
            with transaction.atomic():
                run = services.request_access_run(reason="命令行提交")
            self.stdout.write(f"已提交：计算 #{run.pk}")
            return
        try:
            net = accessibility.load_district_network(network)
            path = network or accessibility.network_path()
            run = accessibility.compute_access(
                net, progress=self._progress, network_name=str(path).rsplit("/", 1)[-1]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(run.message))

    def _progress(self, percent: int, message: str) -> None:
        self.stdout.write(f"  {percent:3d}% {message}")
