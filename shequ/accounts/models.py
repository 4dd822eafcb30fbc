"""Users, their roles and their scope; departments (区直部门); failed log-in attempts."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("区级管理员")
    STREET_OFFICER = "street_officer", _("街道/镇干部")
    CLERK = "clerk", _("全科社工")
    GRID_WORKER = "grid_worker", _("网格员")
    DEPARTMENT_HANDLER = "dept_handler", _("部门承办人")
    LEADER = "leader", _("领导(只读)")


# Roles allowed to reveal a clear ID or phone number; each reveal writes an audit row.
CLEAR_PII_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.CLERK})
# Roles allowed to change the registry (create, edit, import).
REGISTRY_WRITE_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.STREET_OFFICER, Role.CLERK})


class Department(models.Model):
    """区直部门: a district department that receives requests (e.g. 区住建局)."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)
    duties = models.CharField(_("职责"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("区直部门")
        verbose_name_plural = _("区直部门")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.LEADER)
    scope_unit = models.ForeignKey(
        "registry.AdminUnit",
        verbose_name=_("管辖范围"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            # A department handler belongs to a department; everybody else has a unit scope.
            models.CheckConstraint(
                condition=Q(role="dept_handler", department__isnull=False)
                | ~Q(role="dept_handler"),
                name="user_handler_has_department",
            ),
        ]

    @property
    def may_read_clear_pii(self) -> bool:
        return self.is_superuser or self.role in CLEAR_PII_ROLES

    @property
    def may_write_registry(self) -> bool:
        return self.is_superuser or self.role in REGISTRY_WRITE_ROLES


class LoginAttempt(models.Model):
    """A failed log-in; counted per user name and per address to lock out guessing."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"
