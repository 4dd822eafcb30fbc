from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "shequ.care"
    label = "care"
    verbose_name = _("巡访关爱")
