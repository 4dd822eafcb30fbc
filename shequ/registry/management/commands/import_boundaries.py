from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shequ.accounts.models import User
from shequ.errors import DomainError
from shequ.registry.boundaries import import_boundaries


class Command(BaseCommand):
    help = "导入区划边界（GeoJSON FeatureCollection，每个要素带 code 属性），替换生成的演示布局"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="以该用户身份导入（用于范围与审计）")

    def handle(self, *args, file: Path, user: str, **options):
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"用户 {user} 不存在")
        try:
            count = import_boundaries(file, actor=actor)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已导入 {count} 个区划的边界")
