"""Facilities of the 15-minute life circle ((九), (十一), (十二)) and walking-access results.

A facility belongs to an admin unit (its owner: a community, village or street) and so to
the code tree; every queryset here has ``in_scope(user)``. Walking results are stored per
building and facility type (:class:`BuildingAccess`), written by ``accessibility.py``; the
coverage figures rolled up from them per unit (:class:`CoverageSnapshot`) by ``queries.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.accounts.scope import ScopedQuerySet


class FacilityType(models.Model):
    """A type of the plan (党群服务中心, 助餐点, 快递驿站…) with its walking-time standard.

    The list is data (loaded by a migration, editable in the admin); two codes carry
    indicator rules and must stay: ``COMPREHENSIVE`` (indicators 1, 2, 4) and
    ``SELF_SERVICE`` (indicator 6).
    """

    COMPREHENSIVE = "comprehensive"
    SELF_SERVICE = "self_service"

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)
    # 15 by default (the plan's 15分钟生活圈); 5 or 10 where the district sets a tighter circle.
    standard_minutes = models.PositiveSmallIntegerField(_("步行时间标准(分钟)"), default=15)
    # (十二): activity area ≥ 60% and opening ≥ 8 h a day apply to comprehensive facilities.
    held_to_standard = models.BooleanField(_("适用面积与开放时间标准"), default=False)
    plan_section = models.CharField(_("规划依据"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("设施类型")
        verbose_name_plural = _("设施类型")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(standard_minutes__gte=1, standard_minutes__lte=60),
                name="facilitytype_standard_1_to_60",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FacilityQuerySet(ScopedQuerySet):
    scope_field = "unit__code"

    def active(self) -> FacilityQuerySet:
        return self.filter(active=True)

    def located(self) -> FacilityQuerySet:
        return self.filter(lat__isnull=False, lon__isnull=False)


class Facility(models.Model):
    """A service facility: where it is, how large, what its rooms do, when it is open."""

    type = models.ForeignKey(
        FacilityType, verbose_name=_("类型"), on_delete=models.PROTECT, related_name="facilities"
    )
    name = models.CharField(_("名称"), max_length=100)
    unit = models.ForeignKey(
        "registry.AdminUnit",
        verbose_name=_("所属单位"),
        on_delete=models.PROTECT,
        related_name="facilities",
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    floor_area = models.FloatField(_("总建筑面积(㎡)"), null=True, blank=True)
    activity_area = models.FloatField(_("居民活动区域面积(㎡)"), null=True, blank=True)
    office_area = models.FloatField(_("办公面积(㎡)"), null=True, blank=True)
    commercial_area = models.FloatField(_("商业面积(㎡)"), null=True, blank=True)
    staff_on_duty = models.PositiveSmallIntegerField(_("值班人数"), default=0)
    active = models.BooleanField(_("在用"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务设施")
        verbose_name_plural = _("服务设施")
        ordering = ["unit__code", "type__order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="facility_unique_name"),
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(lon__isnull=True))
                | Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="facility_point_both_or_none",
            ),
            models.CheckConstraint(
                condition=(Q(floor_area__isnull=True) | Q(floor_area__gte=0))
                & (Q(activity_area__isnull=True) | Q(activity_area__gte=0))
                & (Q(office_area__isnull=True) | Q(office_area__gte=0))
                & (Q(commercial_area__isnull=True) | Q(commercial_area__gte=0)),
                name="facility_areas_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["type", "active"])]

    def __str__(self) -> str:
        return self.name


class RoomFunction(models.TextChoices):
    """What a room is used for; one room may serve several (一室多用, (十二))."""

    SERVICE_HALL = "service_hall", _("一站式服务大厅")
    MEETING = "meeting", _("会议议事")
    STUDY = "study", _("学习培训")
    CIVILISATION = "civilisation", _("新时代文明实践")
    PARTY = "party", _("党员活动")
    READING = "reading", _("图书阅览")
    ELDERLY = "elderly", _("老年活动")
    CHILDREN = "children", _("儿童活动")
    SPORTS = "sports", _("文体活动")
    MEAL = "meal", _("助餐")
    HEALTH = "health", _("卫生康复")
    MEDIATION = "mediation", _("调解")
    SOCIAL_WORK = "social_work", _("社会工作")
    OFFICE = "office", _("办公")
    STORAGE = "storage", _("库房")
    OTHER = "other", _("其他")


class Room(models.Model):
    facility = models.ForeignKey(
        Facility, verbose_name=_("设施"), on_delete=models.CASCADE, related_name="rooms"
    )
    name = models.CharField(_("名称"), max_length=60)
    area = models.FloatField(_("面积(㎡)"), null=True, blank=True)
    # A list of RoomFunction values; a list, not one value, because of 一室多用.
    functions = models.JSONField(_("功能"), default=list, blank=True)

    class Meta:
        verbose_name = _("功能室")
        verbose_name_plural = _("功能室")
        ordering = ["facility", "name"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "name"], name="room_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def function_labels(self) -> list[str]:
        labels = dict(RoomFunction.choices)
        return [str(labels.get(f, f)) for f in self.functions or []]


HOLIDAY = "holiday"
DAY_CHOICES = [
    ("0", _("周一")),
    ("1", _("周二")),
    ("2", _("周三")),
    ("3", _("周四")),
    ("4", _("周五")),
    ("5", _("周六")),
    ("6", _("周日")),
    (HOLIDAY, _("节假日")),
]
DAY_LABELS = dict(DAY_CHOICES)


class OpeningHours(models.Model):
    """Opening of one weekday ('0' Monday … '6' Sunday) or of holidays; no row = closed."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("设施"), on_delete=models.CASCADE, related_name="hours"
    )
    day = models.CharField(_("日期"), max_length=8, choices=DAY_CHOICES)
    all_day = models.BooleanField(_("全天开放"), default=False)
    opens = models.TimeField(_("开门"), null=True, blank=True)
    closes = models.TimeField(_("关门"), null=True, blank=True)

    class Meta:
        verbose_name = _("开放时间")
        verbose_name_plural = _("开放时间")
        ordering = ["facility", "day"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "day"], name="openinghours_one_per_day"),
            models.CheckConstraint(
                condition=Q(all_day=True)
                | Q(opens__isnull=False, closes__isnull=False, opens__lt=models.F("closes")),
                name="openinghours_all_day_or_span",
            ),
        ]

    def __str__(self) -> str:
        if self.all_day:
            return f"{DAY_LABELS[self.day]} 全天"
        return f"{DAY_LABELS[self.day]} {self.opens:%H:%M}–{self.closes:%H:%M}"

    @property
    def hours(self) -> float:
        if self.all_day:
            return 24.0
        start = self.opens.hour * 60 + self.opens.minute
        end = self.closes.hour * 60 + self.closes.minute
        return (end - start) / 60


class FacilityPhoto(models.Model):
    facility = models.ForeignKey(
        Facility, verbose_name=_("设施"), on_delete=models.CASCADE, related_name="photos"
    )
    # A FileField, not ImageField: Pillow is not a dependency of the project.
    file = models.FileField(_("照片"), upload_to="facilities/%Y/%m/")
    caption = models.CharField(_("说明"), max_length=100, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("设施照片")
        verbose_name_plural = _("设施照片")
        ordering = ["facility", "-uploaded_at"]

    def __str__(self) -> str:
        return self.caption or self.file.name


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class AccessRun(models.Model):
    """One computation of walking access: what the progress bar shows, and its outcome."""

    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    reason = models.CharField(_("起因"), max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    network = models.CharField(_("路网文件"), max_length=300, blank=True)
    buildings = models.PositiveIntegerField(_("楼栋数"), default=0)
    facilities = models.PositiveIntegerField(_("设施数"), default=0)

    class Meta:
        verbose_name = _("可达性计算")
        verbose_name_plural = _("可达性计算")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="accessrun_progress_0_to_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


class BuildingAccessQuerySet(ScopedQuerySet):
    scope_field = "building__unit__code"


class BuildingAccess(models.Model):
    """Walking distance from a building to the nearest facility of a type.

    ``metres`` and ``minutes`` are null when no facility of the type can be reached on the
    network (no path, or none within the search cut-off): unreachable is not 0 and not ∞.
    """

    building = models.ForeignKey(
        "registry.Building", verbose_name=_("楼栋"), on_delete=models.CASCADE, related_name="access"
    )
    type = models.ForeignKey(
        FacilityType, verbose_name=_("设施类型"), on_delete=models.CASCADE, related_name="+"
    )
    metres = models.FloatField(_("步行距离(米)"), null=True, blank=True)
    minutes = models.FloatField(_("步行时间(分钟)"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))

    objects = BuildingAccessQuerySet.as_manager()

    class Meta:
        verbose_name = _("楼栋可达性")
        verbose_name_plural = _("楼栋可达性")
        constraints = [
            models.UniqueConstraint(fields=["building", "type"], name="buildingaccess_unique"),
        ]
        indexes = [models.Index(fields=["type", "minutes"])]

    def __str__(self) -> str:
        return f"{self.building_id} {self.type_id} {self.minutes}"


class CoverageSnapshot(models.Model):
    """The coverage table of the whole tree, counted once and read by every worker.

    Valid for one access run (the latest finished one when it was counted, or none), one
    day (ages move the elderly and children counts) and one set of type standards
    (``types_key``); ``queries.stored_coverage`` reads only a snapshot matching all three
    and counts a new one otherwise. A finished run replaces every older snapshot.
    Registry edits between runs show from the next run or the next day.
    """

    run = models.ForeignKey(
        AccessRun,
        verbose_name=_("可达性计算"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    on = models.DateField(_("统计日期"))
    types_key = models.CharField(_("设施类型标准"), max_length=64)
    computed_at = models.DateTimeField(_("统计时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("覆盖率统计")
        verbose_name_plural = _("覆盖率统计")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["run", "on", "types_key"])]

    def __str__(self) -> str:
        return f"{self.on} run {self.run_id}"


class CoverageFigure(models.Model):
    """Counts of one unit in a snapshot: with ``type`` null, everybody under the unit and
    the households without a located building; with a type, those within its standard."""

    snapshot = models.ForeignKey(CoverageSnapshot, on_delete=models.CASCADE, related_name="figures")
    unit_code = models.CharField(_("区划代码"), max_length=12)
    type = models.ForeignKey(
        FacilityType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    households = models.PositiveIntegerField(_("户"), default=0)
    persons = models.PositiveIntegerField(_("居民"), default=0)
    elderly = models.PositiveIntegerField(_("60岁以上老年人"), default=0)
    children = models.PositiveIntegerField(_("14岁以下儿童"), default=0)
    unlocated = models.PositiveIntegerField(_("未定位户"), default=0)

    class Meta:
        verbose_name = _("覆盖率数字")
        verbose_name_plural = _("覆盖率数字")
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "unit_code", "type"],
                condition=Q(type__isnull=False),
                name="coveragefigure_one_per_type",
            ),
            models.UniqueConstraint(
                fields=["snapshot", "unit_code"],
                condition=Q(type__isnull=True),
                name="coveragefigure_one_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_code} {self.type_id}"
