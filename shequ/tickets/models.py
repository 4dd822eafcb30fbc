"""接诉即办 ((十三)): the category catalogue, routing rules, tickets and their history.

A ticket's state changes only through :func:`shequ.tickets.workflow.transition`; every change
appends a :class:`TicketEvent`. Deadlines (``accept_due``, ``answer_due``) are stored, indexed
columns set at each transition, so "what is overdue" is one index range scan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.accounts.models import Department, Role
from shequ.accounts.scope import ScopedQuerySet, scope_code
from shequ.registry.models import AdminUnit, Building, Level
from shequ.tickets import clock


def prefix_q(field: str, code: str) -> Q:
    """Rows whose ``field`` (a division code) lies in the subtree of ``code``.

    Deliberately ``LIKE 'code%'``, which no index serves (SQLite's LIKE is case-insensitive,
    PostgreSQL's needs pattern ops), and not an index range: a scope is usually broad, and
    measured on a million tickets a range made SQLite read the whole subtree through the
    code index and sort it (seconds) instead of walking the list's ordered index and
    stopping after one page (a millisecond). See benchmarks/tickets_load.py.
    """
    return Q(**{f"{field}__startswith": code})


# ------------------------------------------------------------------ catalogue


class AnswerUnit(models.TextChoices):
    HOURS = "hours", _("自然小时")
    WORKDAYS = "workdays", _("工作日")


class DeadlineClass(models.Model):
    """How fast a unit must accept (签收) and answer (办结) a request of a category."""

    code = models.SlugField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=30)
    accept_hours = models.PositiveSmallIntegerField(_("签收时限(工作小时)"), default=2)
    answer_unit = models.CharField(
        _("办结时限单位"), max_length=10, choices=AnswerUnit.choices, default=AnswerUnit.WORKDAYS
    )
    answer_amount = models.PositiveSmallIntegerField(_("办结时限"), default=7)

    class Meta:
        verbose_name = _("办理时限类别")
        verbose_name_plural = _("办理时限类别")
        ordering = ["answer_unit", "answer_amount"]
        constraints = [
            models.CheckConstraint(condition=Q(answer_amount__gte=1), name="deadline_answer_pos"),
        ]

    def __str__(self) -> str:
        unit = "小时" if self.answer_unit == AnswerUnit.HOURS else "个工作日"
        return f"{self.name}（{self.accept_hours}工作小时内签收，{self.answer_amount}{unit}内办结）"


class ResponsibleUnitQuerySet(models.QuerySet):
    def in_scope(self, user: Any) -> ResponsibleUnitQuerySet:
        """Units whose figures ``user`` may read: a handler her department; a unit user the
        units of her subtree, and the departments too when her scope is the whole district."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if user.role == Role.DEPARTMENT_HANDLER:
            return self.filter(department_id=user.department_id)
        code = scope_code(user)
        if code is None:
            return self.none()
        q = prefix_q("admin_unit__code", code)
        if user.scope_unit.level == Level.DISTRICT:
            q |= Q(department__isnull=False)
        return self.filter(q)


class ResponsibleUnit(models.Model):
    """责任单位: a district department (区住建局) or an admin unit (a street, a community)."""

    department = models.OneToOneField(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_unit",
    )
    admin_unit = models.OneToOneField(
        AdminUnit,
        verbose_name=_("街道/社区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_unit",
    )

    objects = ResponsibleUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("责任单位")
        verbose_name_plural = _("责任单位")
        constraints = [
            # Exactly one of the two: a department or an admin unit.
            models.CheckConstraint(
                condition=Q(department__isnull=False, admin_unit__isnull=True)
                | Q(department__isnull=True, admin_unit__isnull=False),
                name="responsibleunit_department_xor_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.department.name if self.department_id else self.admin_unit.name

    @property
    def kind(self) -> str:
        """``department``, or the admin unit's level (``street``, ``community``…)."""
        return "department" if self.department_id else self.admin_unit.level

    @property
    def code(self) -> str:
        """The admin-unit code, or '' for a department (denormalised on tickets for scope)."""
        return "" if self.department_id else self.admin_unit.code


class RoutingTarget(models.TextChoices):
    FIXED = "fixed", _("指定单位")
    STREET = "street", _("诉求所在街道/镇")
    COMMUNITY = "community", _("诉求所在社区/村")


class CategoryQuerySet(models.QuerySet):
    def active(self) -> CategoryQuerySet:
        return self.filter(active=True)


class Category(models.Model):
    """A kind of request in the catalogue the district edits (also an Open311 service)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    group = models.CharField(_("分组"), max_length=30, blank=True)
    keywords = models.CharField(
        _("关键词"), max_length=300, blank=True, help_text=_("逗号分隔，用于冷启动分类和 Open311")
    )
    deadline_class = models.ForeignKey(
        DeadlineClass,
        verbose_name=_("办理时限"),
        on_delete=models.PROTECT,
        related_name="categories",
    )
    routing = models.CharField(
        _("默认责任单位规则"),
        max_length=10,
        choices=RoutingTarget.choices,
        default=RoutingTarget.FIXED,
    )
    default_unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("默认责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # [{"code", "label", "datatype": string|number|text|singlevaluelist|multivaluelist,
    #   "required": bool, "values": [{"key", "name"}]}] — Open311 attributes.
    extra_questions = models.JSONField(_("补充问题"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("诉求类别")
        verbose_name_plural = _("诉求类别")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(routing="fixed") | Q(default_unit__isnull=False),
                name="category_fixed_has_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Category × admin-unit prefix → responsible unit; the longest matching prefix wins."""

    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.CASCADE, related_name="rules"
    )
    unit_prefix = models.CharField(
        _("区划代码前缀"), max_length=15, blank=True, help_text=_("留空表示全区")
    )
    responsible_unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        related_name="rules",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        ordering = ["category", "unit_prefix"]
        constraints = [
            models.UniqueConstraint(fields=["category", "unit_prefix"], name="rule_unique"),
            models.CheckConstraint(
                condition=Q(unit_prefix__regex=r"^[0-9]*$"), name="rule_prefix_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.unit_prefix or '全区'} → {self.responsible_unit}"


# -------------------------------------------------------------------- tickets


class Channel(models.TextChoices):
    """The intake channels the plan names ((十三) 一窗受理, 自助终端, 网格巡查…)."""

    WINDOW = "window", _("窗口受理")
    WEB = "web", _("网页")
    MOBILE = "mobile", _("手机")
    KIOSK = "kiosk", _("自助终端")
    HOTLINE = "hotline", _("热线电话")
    GRID_PATROL = "grid_patrol", _("网格巡查")


# Channels a resident uses alone; the others are staff filing on a resident's behalf.
PUBLIC_CHANNELS = frozenset({Channel.WEB, Channel.MOBILE, Channel.KIOSK})


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待派单")
    DISPATCHED = "dispatched", _("已派单")
    ACCEPTED = "accepted", _("办理中")
    RESOLVED = "resolved", _("已答复")
    CLOSED = "closed", _("已办结")
    RETURNED = "returned", _("已退回")
    ESCALATED = "escalated", _("督办中")
    REOPENED = "reopened", _("重办")


# States where somebody must act by ``accept_due`` (dispatch, accept or re-dispatch).
AWAITING_ACCEPT = (Status.SUBMITTED, Status.DISPATCHED, Status.RETURNED, Status.REOPENED)
OPEN_STATES = (*AWAITING_ACCEPT, Status.ACCEPTED, Status.ESCALATED)


def next_due(
    status: str, accept_due: datetime | None, answer_due: datetime | None
) -> datetime | None:
    """The deadline somebody owes now: ``accept_due`` while the ticket waits (for a
    dispatcher or a unit), ``answer_due`` once accepted, None when it is with a supervisor
    (escalated) or the resident (resolved, closed). Stored as ``Ticket.due_at``."""
    if status in AWAITING_ACCEPT:
        return accept_due
    if status == Status.ACCEPTED:
        return answer_due
    return None


def overdue_at(
    status: str, accept_due: datetime | None, answer_due: datetime | None, at: datetime
) -> bool:
    """The rule of :func:`overdue_q` for one ticket's values (see Ticket.is_overdue)."""
    due = next_due(status, accept_due, answer_due)
    return due is not None and due < at


def overdue_q(at: datetime) -> Q:
    """Past the deadline somebody owes now (``due_at``; see Ticket.is_overdue)."""
    return Q(due_at__lt=at)


class TicketQuerySet(ScopedQuerySet):
    scope_field = "unit_code"

    def in_scope(self, user: Any) -> TicketQuerySet:
        """Department handlers see what is dispatched to their department (or what it first
        accepted, 首问负责); unit users see tickets located in their subtree or assigned to a
        unit of it."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        if user.role == Role.DEPARTMENT_HANDLER:
            if not user.department_id:
                return self.none()
            # A subquery, not a join: the planner uses the ticket indexes, and PostgreSQL can
            # lock the rows (FOR UPDATE does not apply to the nullable side of a join).
            mine = ResponsibleUnit.objects.filter(department_id=user.department_id).values("pk")
            return self.filter(Q(assigned_unit__in=mine) | Q(first_accepted_unit__in=mine))
        code = scope_code(user)
        if code is None:
            return self.none()
        from shequ.tickets import refdata  # imports this module

        if user.scope_unit.parent_id is None and refdata.snapshot().roots == [code]:
            # The one root's subtree is every unit: a filter that can exclude nothing would
            # still cost each list a table read per row skipped.
            return self
        return self.filter(prefix_q("unit_code", code) | prefix_q("assigned_code", code))

    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATES)

    def overdue(self, at: datetime | None = None) -> TicketQuerySet:
        """Waiting past ``accept_due`` or accepted past ``answer_due``; escalated ones are
        already with a supervisor and are not overdue again."""
        return self.filter(overdue_q(at or clock.now()))

    def assigned_to(self, unit: ResponsibleUnit) -> TicketQuerySet:
        return self.filter(assigned_unit=unit)

    def for_list(self) -> TicketQuerySet:
        # The units' GeoJSON boundaries are large and never shown in a list.
        return self.select_related(
            "category", "assigned_unit__department", "assigned_unit__admin_unit", "admin_unit"
        ).defer("admin_unit__boundary", "assigned_unit__admin_unit__boundary")


def with_unit(qs: models.QuerySet, path: str = "unit") -> models.QuerySet:
    """Join the responsible unit at ``path`` with its department or admin unit (whose large
    GeoJSON boundary is left out) for display."""
    p = f"{path}__" if path else ""
    return qs.select_related(f"{p}department", f"{p}admin_unit").defer(f"{p}admin_unit__boundary")


def _photo_path(instance: TicketPhoto, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()
    at = clock.now()
    return f"tickets/{at:%Y/%m}/{instance.ticket_id}-{at:%H%M%S%f}.{ext}"


class Ticket(models.Model):
    """诉求/工单: an Open311 service request."""

    number = models.CharField(_("受理编号"), max_length=20, unique=True)
    channel = models.CharField(_("渠道"), max_length=12, choices=Channel.choices)
    # The (category, …) indexes below serve lookups by category: no index of its own.
    category = models.ForeignKey(
        Category,
        verbose_name=_("类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,
    )
    text = models.TextField(_("诉求内容"))
    extra = models.JSONField(_("补充信息"), default=dict, blank=True)

    address = models.CharField(_("地址"), max_length=200, blank=True)
    admin_unit = models.ForeignKey(
        AdminUnit, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="tickets"
    )
    # The admin unit's code, copied so scope needs no join. Not indexed: scope is a LIKE on
    # the list's ordered index (see prefix_q), and every index costs each intake a write.
    unit_code = models.CharField(_("区划代码"), max_length=15, editable=False)
    building = models.ForeignKey(
        Building,
        verbose_name=_("楼栋"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        db_index=False,  # a partial index of the tickets that have one (Meta)
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)

    # Contact: encrypted, searchable by keyed hash, shown masked (PIPL; as in the registry).
    contact_name_enc = models.CharField(max_length=255, blank=True, editable=False)
    contact_name_mask = models.CharField(_("联系人"), max_length=50, blank=True, editable=False)
    contact_phone_enc = models.CharField(max_length=255, blank=True, editable=False)
    contact_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    contact_phone_mask = models.CharField(_("联系电话"), max_length=20, blank=True, editable=False)

    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    assigned_unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,  # served by the (assigned_unit, status) index
    )
    # The assigned admin unit's code ('' for a department): scope without a join.
    assigned_code = models.CharField(max_length=15, blank=True, editable=False)
    # 首问负责: the unit that first accepted stays accountable when work moves on.
    first_accepted_unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("首问单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="first_accepted_tickets",
        db_index=False,  # a partial index of the tickets that have one (Meta)
    )
    first_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("首问责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read with the ticket, never searched by; users are deactivated
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read with the ticket, never searched by; users are deactivated
    )
    client = models.CharField(_("接入系统"), max_length=60, blank=True)

    created_at = models.DateTimeField(_("受理时间"), default=clock.now)
    updated_at = models.DateTimeField(_("更新时间"), default=clock.now)
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    accept_due = models.DateTimeField(_("签收时限"), null=True, blank=True)
    answer_due = models.DateTimeField(_("办结时限"), null=True, blank=True)
    # The one of the two somebody owes now (see next_due), kept by every transition: "what is
    # overdue" is one range on one index, whose statistics only hold open tickets.
    due_at = models.DateTimeField(_("当前时限"), null=True, blank=True, editable=False)

    # Idempotent intake: a client key (any time), or the same device/phone + text in minutes.
    idempotency_key = models.CharField(
        max_length=80, null=True, blank=True, unique=True, editable=False
    )
    device_token = models.CharField(max_length=80, blank=True, editable=False)
    text_hash = models.CharField(max_length=32, editable=False)
    # The follow-up link carries a secret; only its hash is kept.
    follow_token_hash = models.CharField(max_length=64, editable=False)

    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        db_index=False,  # a partial index of the tickets that have one (Meta)
    )
    classifier_label = models.CharField(_("分类建议"), max_length=40, blank=True)
    classifier_confidence = models.FloatField(_("分类置信度"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")
        ordering = ["-created_at", "-id"]
        # The list indexes end with the id, as the lists' order does: PostgreSQL then reads
        # a page from the index alone, in order (SQLite's indexes hold the rowid anyway).
        indexes = [
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(fields=["due_at", "id"], name="ticket_due"),
            models.Index(fields=["status", "created_at", "id"], name="ticket_status_created"),
            models.Index(fields=["assigned_unit", "status"], name="ticket_assigned_status"),
            models.Index(fields=["contact_phone_hash", "created_at"], name="ticket_phone_recent"),
            models.Index(fields=["category", "created_at", "id"], name="ticket_category_created"),
            # Status and category together (the dispatcher's usual filter) in list order.
            models.Index(
                fields=["category", "status", "created_at", "id"],
                name="ticket_cat_status_created",
            ),
            # Columns that most tickets leave empty are indexed only where filled: each index
            # is a write on every intake, and a row it leaves out costs nothing. A query by
            # value (and the deletion checks, `IN (…)`) still uses them; the repeat check
            # says `device_token <> ''` so that the planners see the condition holds.
            *(
                models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=index)
                for name, index in [
                    ("building", "ticket_building"),
                    ("first_accepted_unit", "ticket_first_accepted"),
                    ("merged_into", "ticket_merged_into"),
                ]
            ),
            models.Index(
                fields=["device_token", "created_at"],
                condition=~Q(device_token=""),
                name="ticket_device_recent",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status="closed"),
                name="ticket_merged_is_closed",
            ),
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lon__isnull=True)
                | Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="ticket_point_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:20]}"

    def is_overdue(self, at: datetime | None = None) -> bool:
        """True when waiting past ``accept_due`` (submitted, dispatched, returned, reopened)
        or accepted past ``answer_due``. Escalated, resolved and closed tickets are never
        overdue here: they are with a supervisor or the resident."""
        return overdue_at(self.status, self.accept_due, self.answer_due, at or clock.now())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


class Action(models.TextChoices):
    SUBMIT = "submit", _("受理")
    DISPATCH = "dispatch", _("派单")
    ACCEPT = "accept", _("签收")
    RETURN = "return", _("退单")
    RESOLVE = "resolve", _("答复")
    RATE = "rate", _("评价")
    CLOSE = "close", _("办结")
    ESCALATE = "escalate", _("督办")
    REOPEN = "reopen", _("重办")
    MERGE = "merge", _("合并")


class TicketEvent(models.Model):
    """One change of a ticket: who, when, from which state to which, and why. Append-only."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("诉求"), on_delete=models.CASCADE, related_name="events"
    )
    # Read by ticket (a ticket's timeline), never by time alone: no index of its own.
    at = models.DateTimeField(_("时间"), default=clock.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # partial (Meta): most events are the system's or a resident's
    )
    actor_label = models.CharField(_("操作方"), max_length=60)
    action = models.CharField(_("动作"), max_length=10, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Status.choices)
    unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("承办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # partial (Meta): a submission has no unit yet
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("诉求流转记录")
        verbose_name_plural = _("诉求流转记录")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="event_actor"),
            models.Index(fields=["unit"], condition=Q(unit__isnull=False), name="event_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class Assignment(models.Model):
    """One dispatch of a ticket to a unit (or its return after a reopen): the response rate's
    unit of account — accepted by ``accept_due`` or not."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("承办单位"),
        on_delete=models.PROTECT,
        related_name="assignments",
        db_index=False,  # served by the (unit, at) index
    )
    reopen = models.BooleanField(_("重办"), default=False)
    at = models.DateTimeField(_("派单时间"), default=clock.now)
    accept_due = models.DateTimeField(_("签收时限"))
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("派单记录")
        verbose_name_plural = _("派单记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["unit", "at"], name="assignment_unit_at")]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.unit_id} {self.at:%Y-%m-%d %H:%M}"


class Answer(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(_("答复内容"))
    unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("答复单位"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("答复时间"), default=clock.now)

    class Meta:
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text[:30]


class TicketPhoto(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="photos")
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(_("照片"), upload_to=_photo_path, max_length=200)
    content_type = models.CharField(max_length=40)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.file.name


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Rating(models.Model):
    """好差评: one per answer round (a reopened ticket is rated again)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices)
    solved = models.BooleanField(_("问题已解决"))
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    unit = models.ForeignKey(
        ResponsibleUnit,
        verbose_name=_("被评单位"),
        null=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("评价时间"), default=clock.now)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "round"], name="rating_one_per_round"),
        ]
        indexes = [models.Index(fields=["unit", "at"], name="rating_unit_at")]

    def __str__(self) -> str:
        return f"{self.get_satisfaction_display()}（第{self.round}轮）"


# ------------------------------------------------------------------ calendar


class DaySource(models.TextChoices):
    OFFICIAL = "official", _("国务院通知")
    MANUAL = "manual", _("手工录入")


class CalendarDay(models.Model):
    """A day where the official calendar departs from Mon–Fri (holiday or 调休 workday).

    A year is "known" when it has at least one row; other years fall back to weekends.
    """

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"))
    name = models.CharField(_("名称"), max_length=40, blank=True)
    source = models.CharField(
        _("来源"), max_length=10, choices=DaySource.choices, default=DaySource.MANUAL
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = "上班" if self.is_workday else "放假"
        return f"{self.date} {self.name} {kind}"


# ----------------------------------------------------------- notifications


class Audience(models.TextChoices):
    RESIDENT = "resident", _("居民")
    UNIT = "unit", _("承办单位")
    SUPERVISOR = "supervisor", _("督办人")
    DISPATCHER = "dispatcher", _("派单员")


class Notification(models.Model):
    """The database outbox: a message for a sender (SMS gateway, WeChat) to deliver."""

    ticket = models.ForeignKey(
        Ticket, null=True, on_delete=models.CASCADE, related_name="notifications"
    )
    audience = models.CharField(_("对象"), max_length=12, choices=Audience.choices)
    recipient = models.CharField(_("接收方"), max_length=100)
    phone_enc = models.CharField(max_length=255, blank=True, editable=False)
    text = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("生成时间"), default=clock.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_audience_display()} {self.recipient}: {self.text[:30]}"


# ---------------------------------------------------------------- Open311


class ApiKey(models.Model):
    """A key issued to a client system for Open311 POSTs; only its hash is kept."""

    name = models.CharField(_("接入系统"), max_length=60)
    prefix = models.CharField(_("前缀"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("签发时间"), default=clock.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 接入密钥")
        verbose_name_plural = _("Open311 接入密钥")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"


# ------------------------------------------------------------ catalogue version


class CatalogueVersion(models.Model):
    """One counter, raised in the same transaction as any change to the catalogue, the
    routing rules, the responsible units or the admin units: each process keeps these in
    memory (:mod:`shequ.tickets.refdata`) and reloads them when the counter moves."""

    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("目录版本")
        verbose_name_plural = _("目录版本")

    def __str__(self) -> str:
        return str(self.n)
