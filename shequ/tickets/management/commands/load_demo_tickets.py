"""A year of demo requests for the district in the database (see shequ.tickets.demo)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shequ.tickets.demo import generate_demo_tickets


class Command(BaseCommand):
    help = "生成演示诉求（约一年，确定性）"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--days", type=int, default=365)

    def handle(self, *args, seed: int, scale: float, days: int, **options):
        stats = generate_demo_tickets(seed, scale, days=days)
        states = "，".join(f"{k} {v}" for k, v in sorted(stats.by_status.items()))
        self.stdout.write(f"诉求 {stats.tickets} 件（{states}）；热点：{stats.hotspots}")
