"""Place demo facilities, build the demo street network and compute walking access, on a
registry that ``load_demo`` has filled (``demo.build_demo`` does the work)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shequ.errors import DomainError
from shequ.facilities import demo


class Command(BaseCommand):
    help = "演示数据：为各社区/村放置服务设施（替换已有设施），生成演示路网并计算步行可达性。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--root", default="220403", help="区划代码前缀（默认西安区）")
        parser.add_argument("--no-network", action="store_true", help="不生成演示路网")
        parser.add_argument("--no-compute", action="store_true", help="不计算步行可达性")

    def handle(
        self, *args, seed: int, root: str, no_network: bool, no_compute: bool, **options
    ) -> None:
        try:
            result = demo.build_demo(
                seed,
                root=root,
                network=not no_network,
                compute=not no_compute,
                progress=self._progress,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"设施：{result['facilities']} 处")
        if result["network"]:
            self.stdout.write(f"演示路网：{result['network']}")
        if result["run"]:
            self.stdout.write(self.style.SUCCESS(f"步行可达性：{result['run'].message}"))

    def _progress(self, percent: int, message: str) -> None:
        self.stdout.write(f"  {percent:3d}% {message}")
