"""巡访关爱 (专栏2 items 2–4): care targets, visit policies, visit tasks, visits, home-care orders.

A care target is a person in one care class over an interval ``[started_on, ended_on)``:
``ended_on`` is the first day the person is no longer a target (moved out, died, tag ended,
left the class), so history stays and the monthly rate can count partial months exactly.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from shequ.accounts.scope import ScopedQuerySet
from shequ.core.months import month_heading


class CareClass(models.TextChoices):
    """Care classes, in precedence order: a person is in at most one class at a time."""

    SPECIAL_ELDERLY = "special_elderly", _("特殊困难老年人")
    SEVERE_DISABILITY = "severe_disability", _("重度残疾人")
    ELDERLY_ALONE = "elderly_alone", _("其他独居老年人")
    DIFFICULTY_CHILD = "difficulty_child", _("困境儿童")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")


class Period(models.TextChoices):
    MONTH = "month", _("每月")
    WEEK = "week", _("每周")


class Method(models.TextChoices):
    HOME = "home", _("入户")
    PHONE = "phone", _("电话")
    VIDEO = "video", _("视频")


class VisitorRole(models.TextChoices):
    """Who gets a target's tasks: a grid role in the person's grid (一格三长)."""

    GRID_WORKER = "grid_worker", _("专职网格员")
    GRID_LEADER = "grid_leader", _("网格长")


class VisitPolicyQuerySet(models.QuerySet):
    def active(self) -> VisitPolicyQuerySet:
        return self.filter(active=True)


class VisitPolicy(models.Model):
    """How often a care class is visited in a season; the district edits these.

    ``months`` is the season (1–12). When two active policies of a class cover a month, the
    one with the shorter season wins: a winter policy (11–3, weekly) overrides the all-year one.
    """

    care_class = models.CharField(_("关爱类别"), max_length=20, choices=CareClass.choices)
    name = models.CharField(_("名称"), max_length=60)
    months = models.JSONField(_("适用月份"), default=list)
    period = models.CharField(
        _("周期"), max_length=10, choices=Period.choices, default=Period.MONTH
    )
    min_visits = models.PositiveSmallIntegerField(_("每周期最少探访次数"), default=1)
    # Home visits always count; phone and video count only where listed here.
    methods = models.JSONField(_("计入的探访方式"), default=list)
    visitor_role = models.CharField(
        _("探访人"), max_length=20, choices=VisitorRole.choices, default=VisitorRole.GRID_WORKER
    )
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更新人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = VisitPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("探访政策")
        verbose_name_plural = _("探访政策")
        ordering = ["care_class", "-active", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_visits__gte=1, min_visits__lte=31),
                name="visitpolicy_min_visits_1_to_31",
            ),
            models.CheckConstraint(
                condition=Q(period__in=Period.values), name="visitpolicy_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_care_class_display()} · {self.name}"

    def counts(self, method: str) -> bool:
        """Whether a visit by ``method`` counts towards this policy (home always does)."""
        return method == Method.HOME or method in (self.methods or [])

    @property
    def counted_methods(self) -> list[str]:
        return [m for m in Method.values if self.counts(m)]

    @property
    def season_label(self) -> str:
        months = sorted(self.months or [])
        if len(months) == 12:
            return gettext("全年")
        return pgettext("list separator", "、").join(month_heading(m) for m in months)


class CareTargetQuerySet(ScopedQuerySet):
    scope_field = "unit__code"

    def open(self) -> CareTargetQuerySet:
        return self.filter(ended_on__isnull=True)

    def active_on(self, day: date) -> CareTargetQuerySet:
        """Targets on ``day``: started on or before it and not yet ended."""
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day), started_on__lte=day)

    def overlapping(self, first: date, last: date) -> CareTargetQuerySet:
        """Targets with at least one day in ``[first, last]`` (empty intervals never count)."""
        return self.filter(started_on__lte=last).filter(
            Q(ended_on__isnull=True)
            | (Q(ended_on__gt=first) & Q(ended_on__gt=models.F("started_on")))
        )


class EndReason(models.TextChoices):
    MOVED_OUT = "moved_out", _("迁出")
    DECEASED = "deceased", _("死亡")
    MOVED = "moved", _("辖区内迁居")
    CLASS_CHANGED = "class_changed", _("类别变更")
    NO_LONGER = "no_longer", _("不再符合条件")


class CareTarget(models.Model):
    """A person in a care class from ``started_on`` to ``ended_on`` (exclusive), in a unit."""

    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("居民"),
        on_delete=models.PROTECT,
        related_name="care_targets",
    )
    care_class = models.CharField(_("关爱类别"), max_length=20, choices=CareClass.choices)
    # The person's grid or community while a target: rates count where the person lived then.
    unit = models.ForeignKey(
        "registry.AdminUnit",
        verbose_name=_("所属网格/社区"),
        on_delete=models.PROTECT,
        related_name="care_targets",
    )
    started_on = models.DateField(_("纳入日期"))
    ended_on = models.DateField(_("退出日期"), null=True, blank=True)
    end_reason = models.CharField(
        _("退出原因"), max_length=20, choices=EndReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = CareTargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("关爱对象")
        verbose_name_plural = _("关爱对象")
        ordering = ["unit__code", "person__name"]
        constraints = [
            # One class at a time per person: the database keeps it.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(ended_on__isnull=True),
                name="caretarget_one_open_per_person",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="caretarget_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["care_class", "started_on", "ended_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.get_care_class_display()}"

    def is_active_on(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day < self.ended_on)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待探访")
    DONE = "done", _("已完成")
    MISSED = "missed", _("未完成")
    CANCELLED = "cancelled", _("已撤销")


class VisitTaskQuerySet(ScopedQuerySet):
    scope_field = "target__unit__code"

    def open(self) -> VisitTaskQuerySet:
        return self.filter(status=TaskStatus.OPEN)

    def current(self, day: date) -> VisitTaskQuerySet:
        """Tasks whose period contains ``day``."""
        return self.filter(period_start__lte=day, period_end__gte=day)

    def with_last_visit(self, day: date) -> VisitTaskQuerySet:
        """Annotate ``last_visit_on``: the person's latest visit on or before ``day``."""
        last = models.Subquery(
            Visit.objects.filter(
                person_id=models.OuterRef("target__person_id"), visited_on__lte=day
            )
            .order_by("-visited_on")
            .values("visited_on")[:1]
        )
        return self.annotate(last_visit_on=last)

    def overdue(self, day: date) -> VisitTaskQuerySet:
        """Open tasks due before ``day``, or whose person had no visit for a whole period.

        "A whole period" is 30 days for monthly and 7 for weekly tasks, counted back from
        ``day``; a target that started within that window is not overdue yet.
        """
        stale = Q()
        for period, length in ((Period.MONTH, 30), (Period.WEEK, 7)):
            cutoff = day - timedelta(days=length)
            stale |= Q(period=period) & (
                Q(last_visit_on__lt=cutoff)
                | Q(last_visit_on__isnull=True, target__started_on__lt=cutoff)
            )
        return self.open().with_last_visit(day).filter(Q(period_end__lt=day) | stale)


class VisitTask(models.Model):
    """A target's visits due in one period (a month, or a week in a weekly season)."""

    target = models.ForeignKey(
        CareTarget, verbose_name=_("关爱对象"), on_delete=models.CASCADE, related_name="tasks"
    )
    policy = models.ForeignKey(
        VisitPolicy,
        verbose_name=_("探访政策"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    period = models.CharField(_("周期"), max_length=10, choices=Period.choices)
    period_start = models.DateField(_("周期开始"))
    period_end = models.DateField(_("周期结束"))
    required = models.PositiveSmallIntegerField(_("应访次数"), default=1)
    assignee = models.ForeignKey(
        "registry.Worker",
        verbose_name=_("探访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_tasks",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    objects = VisitTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("探访任务")
        verbose_name_plural = _("探访任务")
        ordering = ["period_start", "id"]
        constraints = [
            # At most one open task per target and period (the style guide's example).
            models.UniqueConstraint(
                fields=["target", "period_start"],
                condition=Q(status="open"),
                name="visittask_one_open_per_target_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="visittask_period_ordered",
            ),
            models.CheckConstraint(condition=Q(required__gte=1), name="visittask_required_pos"),
        ]
        indexes = [
            models.Index(fields=["status", "period_end"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["target", "period_start"]),
        ]

    def __str__(self) -> str:
        return f"{self.target} {self.period_start}–{self.period_end}"


class Met(models.TextChoices):
    SELF = "self", _("本人")
    FAMILY = "family", _("家属")
    NEIGHBOUR = "neighbour", _("邻居")
    NOBODY = "nobody", _("未见到")


class Condition(models.TextChoices):
    GOOD = "good", _("良好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("较差")


class Risk(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class ServiceKind(models.TextChoices):
    """The five home-care services of 专栏2 item 2: 助餐 助浴 助洁 助医 助行."""

    MEAL = "meal", _("助餐")
    BATH = "bath", _("助浴")
    CLEAN = "clean", _("助洁")
    MEDICAL = "medical", _("助医")
    MOBILITY = "mobility", _("助行")


class VisitQuerySet(ScopedQuerySet):
    scope_field = "target__unit__code"


class Visit(models.Model):
    """One visit (入户/电话/视频) with what was found; append-only, like an event row."""

    target = models.ForeignKey(
        CareTarget, verbose_name=_("关爱对象"), on_delete=models.PROTECT, related_name="visits"
    )
    # The person again, so "visits of this person on these days" is one index lookup.
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("居民"),
        on_delete=models.PROTECT,
        related_name="care_visits",
    )
    visited_at = models.DateTimeField(_("探访时间"))
    visited_on = models.DateField(_("探访日期"))  # local (Asia/Shanghai) date of visited_at
    visitor = models.ForeignKey(
        "registry.Worker",
        verbose_name=_("探访人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_visits",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    method = models.CharField(_("方式"), max_length=10, choices=Method.choices, default=Method.HOME)
    met = models.CharField(_("见到"), max_length=10, choices=Met.choices, default=Met.SELF)
    living = models.CharField(
        _("居住状况"), max_length=10, choices=Condition.choices, default=Condition.GOOD
    )
    health = models.CharField(
        _("健康状况"), max_length=10, choices=Condition.choices, default=Condition.GOOD
    )
    # Safety checks: None = not checked (heating only in the heating season).
    heating_ok = models.BooleanField(_("取暖正常"), null=True, blank=True)
    gas_ok = models.BooleanField(_("燃气安全"), null=True, blank=True)
    fall_risk = models.BooleanField(_("跌倒风险"), default=False)
    needs = models.JSONField(_("发现的需求"), default=list, blank=True)
    needs_note = models.CharField(_("需求说明"), max_length=500, blank=True)
    risk = models.CharField(_("风险等级"), max_length=10, choices=Risk.choices, default=Risk.LOW)
    follow_up = models.CharField(_("后续跟进"), max_length=500, blank=True)
    # The 接诉即办 ticket a finding became (created through the tickets service).
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("关联工单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_visits",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("探访记录")
        verbose_name_plural = _("探访记录")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["person", "visited_on"]),
            models.Index(fields=["visited_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} {self.visited_on} {self.get_method_display()}"

    @property
    def need_labels(self) -> list[str]:
        labels = dict(ServiceKind.choices)
        return [str(labels.get(n, n)) for n in self.needs or []]


class ProviderQuerySet(models.QuerySet):
    def active(self) -> ProviderQuerySet:
        return self.filter(active=True)

    def serving(self, unit_code: str, kind: str | None = None) -> ProviderQuerySet:
        """Providers whose service area contains ``unit_code`` (and offer ``kind``)."""
        prefixes = [unit_code[:n] for n in (6, 9, 12, 15) if n <= len(unit_code)]
        qs = self.active().filter(area__code__in=prefixes)
        if kind:
            # JSON "contains" is not on SQLite; the kinds list is short, so match its text.
            qs = qs.filter(kinds__icontains=f'"{kind}"')
        return qs


class Provider(models.Model):
    """A registered home-care provider (居家养老服务商) serving an area."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    kinds = models.JSONField(_("服务项目"), default=list)
    area = models.ForeignKey(
        "registry.AdminUnit",
        verbose_name=_("服务区域"),
        on_delete=models.PROTECT,
        related_name="care_providers",
    )
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    # Accounts of the provider's staff: they see this provider's orders and nothing else.
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("服务商账号"),
        blank=True,
        related_name="care_providers",
    )
    active = models.BooleanField(_("有效"), default=True)

    objects = ProviderQuerySet.as_manager()

    class Meta:
        verbose_name = _("居家服务商")
        verbose_name_plural = _("居家服务商")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_labels(self) -> list[str]:
        labels = dict(ServiceKind.choices)
        return [str(labels.get(k, k)) for k in self.kinds or []]


class OrderStatus(models.TextChoices):
    REQUESTED = "requested", _("待安排")
    SCHEDULED = "scheduled", _("已安排")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class ServiceOrderQuerySet(ScopedQuerySet):
    scope_field = "target__unit__code"

    def in_scope(self, user: Any) -> models.QuerySet:
        """A provider's staff see their provider's orders only; others see their unit's.

        Provider accounts usually have no unit scope; they still see their own orders.
        """
        if (
            getattr(user, "is_authenticated", False)
            and user.is_active
            and not user.is_superuser
            and user.care_providers.exists()
        ):
            return self.filter(provider__users=user)
        return super().in_scope(user)


class ServiceOrder(models.Model):
    """A home-care service (助餐 助浴 助洁 助医 助行) for a target from a provider."""

    target = models.ForeignKey(
        CareTarget, verbose_name=_("关爱对象"), on_delete=models.PROTECT, related_name="orders"
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("居民"),
        on_delete=models.PROTECT,
        related_name="care_orders",
    )
    kind = models.CharField(_("服务项目"), max_length=10, choices=ServiceKind.choices)
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("服务商"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    scheduled_on = models.DateField(_("预约日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.REQUESTED
    )
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("来源探访"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("下单人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ordered_at = models.DateTimeField(_("下单时间"))
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    completion_note = models.CharField(_("服务记录"), max_length=500, blank=True)
    rating = models.PositiveSmallIntegerField(_("居民评价(1–5)"), null=True, blank=True)
    rating_note = models.CharField(_("评价说明"), max_length=300, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    objects = ServiceOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("居家服务工单")
        verbose_name_plural = _("居家服务工单")
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="serviceorder_rating_1_to_5",
            ),
            # Only a completed service is rated.
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(status="done"),
                name="serviceorder_rated_when_done",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled")
                | Q(provider__isnull=False, scheduled_on__isnull=False),
                name="serviceorder_scheduled_has_provider_and_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "scheduled_on"])]

    def __str__(self) -> str:
        return f"{self.person.name} {self.get_kind_display()}"
