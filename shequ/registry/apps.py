from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "shequ.registry"
    label = "registry"
    verbose_name = _("基础网格")
