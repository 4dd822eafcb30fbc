from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "shequ.facilities"
    label = "facilities"
    verbose_name = _("设施与15分钟生活圈")
