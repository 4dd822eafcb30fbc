from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "shequ.tickets"
    label = "tickets"
    verbose_name = _("接诉即办")

    def ready(self) -> None:
        from shequ.tickets import refdata

        refdata.connect_signals()
