"""Append-only audit rows: every registry change, and every clear read of personal data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    IMPORT = "import", _("导入")


class AuditEntry(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    model = models.CharField(_("对象类型"), max_length=50)
    object_id = models.CharField(_("对象ID"), max_length=40, db_index=True)
    summary = models.CharField(_("摘要"), max_length=200, blank=True)
    # {"field": [old, new]}; personal numbers appear masked, never in clear.
    changes = models.JSONField(_("变更"), default=dict)

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.model}#{self.object_id}"


class ClearRead(models.Model):
    """Who read whose personal number in clear, when and why (PIPL)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查看人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    model = models.CharField(_("对象类型"), max_length=50)
    object_id = models.CharField(_("对象ID"), max_length=40, db_index=True)
    field = models.CharField(_("字段"), max_length=30)
    reason = models.CharField(_("事由"), max_length=200)

    class Meta:
        verbose_name = _("明文查看记录")
        verbose_name_plural = _("明文查看记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.model}#{self.object_id}.{self.field}"
