"""The base grid (一张基础网格): admin units, buildings, households, persons and workers.

The admin-unit code is the tree: a subtree is ``code__startswith``. Every model here has a
queryset with ``in_scope(user)``, the one place where what a user may see is decided.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.accounts.scope import ScopedQuerySet


class Level(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", _("街道/镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")


# Code length of each level: 220403 → 220403001 → 220403001002 → 220403001002001.
CODE_LENGTH = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12, Level.GRID: 15}
LEVEL_OF_LENGTH = {length: level for level, length in CODE_LENGTH.items()}


class AdminUnitQuerySet(ScopedQuerySet):
    scope_field = "code"

    def active(self) -> AdminUnitQuerySet:
        return self.filter(active=True)

    def subtree(self, code: str) -> AdminUnitQuerySet:
        return self.filter(code__startswith=code)


class AdminUnit(models.Model):
    """A district, street/town, community/village or grid, keyed by its division code."""

    code = models.CharField(_("区划代码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # 城乡分类代码 (111…220): not in the public division list; left empty until supplied.
    urban_rural_code = models.CharField(_("城乡分类代码"), max_length=3, blank=True)
    is_urban = models.BooleanField(_("城镇"), default=True)
    households = models.PositiveIntegerField(_("户数"), default=0)
    population = models.PositiveIntegerField(_("常住人口"), default=0)
    centre_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    centre_lon = models.FloatField(_("中心经度"), null=True, blank=True)
    boundary = models.JSONField(_("边界 GeoJSON"), null=True, blank=True)
    # True while centre and boundary are the demo's generated layout, not surveyed data.
    geometry_generated = models.BooleanField(_("位置为生成数据"), default=False)
    active = models.BooleanField(_("有效"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = AdminUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划/网格")
        verbose_name_plural = _("行政区划/网格")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^([0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15})$"),
                name="adminunit_code_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_village(self) -> bool:
        """A 12-digit code ending 200–399 is a villagers' committee (村); 001–199 a 社区."""
        return self.level == Level.COMMUNITY and 200 <= int(self.code[-3:]) <= 399

    def ancestors_codes(self) -> list[str]:
        return [self.code[:n] for n in (6, 9, 12) if n < len(self.code)]


class BuildingQuerySet(ScopedQuerySet):
    scope_field = "unit__code"


class Building(models.Model):
    """楼栋: a building in a grid (or a community where grids are not yet drawn)."""

    unit = models.ForeignKey(
        AdminUnit,
        verbose_name=_("所属网格/社区"),
        on_delete=models.PROTECT,
        related_name="buildings",
    )
    number = models.CharField(_("楼号"), max_length=40)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    floor_area = models.FloatField(_("建筑面积(㎡)"), null=True, blank=True)

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["unit__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="building_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.address or self.unit.name} {self.number}"


class BuildingUnitQuerySet(ScopedQuerySet):
    scope_field = "building__unit__code"


class BuildingUnit(models.Model):
    """单元: a stairwell of a building, the territory of a unit leader (单元长)."""

    building = models.ForeignKey(
        Building, verbose_name=_("楼栋"), on_delete=models.CASCADE, related_name="units"
    )
    number = models.CharField(_("单元号"), max_length=20)

    objects = BuildingUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单元")
        verbose_name_plural = _("单元")
        ordering = ["building", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="buildingunit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.number}"


class HouseholdQuerySet(ScopedQuerySet):
    scope_field = "unit__code"


class Household(models.Model):
    """户: a household living at an address in a building."""

    number = models.CharField(_("户编号"), max_length=40, unique=True)
    unit = models.ForeignKey(
        AdminUnit,
        verbose_name=_("所属网格/社区"),
        on_delete=models.PROTECT,
        related_name="household_set",
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("楼栋"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    building_unit = models.ForeignKey(
        BuildingUnit,
        verbose_name=_("单元"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    room = models.CharField(_("门牌/室号"), max_length=40, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.address}".strip()


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_OUT = "moved_out", _("迁出")
    DECEASED = "deceased", _("死亡")


class PersonQuerySet(ScopedQuerySet):
    scope_field = "unit__code"

    def active(self) -> PersonQuerySet:
        return self.filter(status=PersonStatus.ACTIVE)

    def aged_at_least(self, years: int, *, on: date) -> PersonQuerySet:
        try:
            born_by = on.replace(year=on.year - years)
        except ValueError:  # 29 February
            born_by = on.replace(year=on.year - years, day=28)
        return self.filter(birth_date__lte=born_by)

    def with_tag(self, tag: str) -> PersonQuerySet:
        return self.filter(tags__tag=tag, tags__ended_on__isnull=True).distinct()


class Person(models.Model):
    """居民. ID and phone numbers are stored encrypted, searched by keyed hash, shown masked."""

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"), db_index=True)
    id_number_enc = models.CharField(_("身份证号(密文)"), max_length=255, editable=False)
    id_number_hash = models.CharField(_("身份证号索引"), max_length=64, unique=True, editable=False)
    id_number_mask = models.CharField(_("身份证号"), max_length=18, editable=False)
    phone_enc = models.CharField(_("电话(密文)"), max_length=255, blank=True, editable=False)
    phone_hash = models.CharField(
        _("电话索引"), max_length=64, blank=True, db_index=True, editable=False
    )
    phone_mask = models.CharField(_("电话"), max_length=20, blank=True, editable=False)
    unit = models.ForeignKey(
        AdminUnit,
        verbose_name=_("所属网格/社区"),
        on_delete=models.PROTECT,
        related_name="persons",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("现住户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation = models.CharField(_("与户主关系"), max_length=20, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=PersonStatus.choices, default=PersonStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["unit__code", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_mask}）"

    def age_on(self, on: date) -> int:
        years = on.year - self.birth_date.year
        if (on.month, on.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class Residence(models.Model):
    """One stay of a person in a household: moving house closes one and opens the next."""

    person = models.ForeignKey(
        Person, verbose_name=_("居民"), on_delete=models.CASCADE, related_name="residences"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("户"), on_delete=models.PROTECT, related_name="residences"
    )
    started_on = models.DateField(_("迁入日期"))
    ended_on = models.DateField(_("迁出日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("居住记录")
        verbose_name_plural = _("居住记录")
        ordering = ["person", "started_on"]
        constraints = [
            # At most one household at a time: the database keeps it, not hope.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(ended_on__isnull=True),
                name="residence_one_current_per_person",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="residence_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.household_id} {self.started_on}–{self.ended_on or ''}"


class Tag(models.TextChoices):
    """Person tags that drive services (SPEC capability 1). Age bands are derived, not tags."""

    LIVING_ALONE = "living_alone", _("独居")
    EXTREME_POVERTY = "extreme_poverty", _("特困")
    DISABLED_CARE = "incapacitated", _("失能")
    SEVERE_DISABILITY = "severe_disability", _("重残")
    DISABLED = "disabled", _("残疾")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    DIFFICULTY_CHILD = "difficulty_child", _("困境儿童")
    UNEMPLOYED = "unemployed", _("登记失业")
    VETERAN = "veteran", _("退役军人")
    CORRECTIONS = "corrections", _("社区矫正")
    LOW_INCOME = "low_income", _("低保")


class PersonTag(models.Model):
    """A tag held from ``started_on``; ending it keeps the history (care targets need it)."""

    person = models.ForeignKey(
        Person, verbose_name=_("居民"), on_delete=models.CASCADE, related_name="tags"
    )
    tag = models.CharField(_("标签"), max_length=20, choices=Tag.choices)
    grade = models.PositiveSmallIntegerField(_("等级"), null=True, blank=True)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("居民标签")
        verbose_name_plural = _("居民标签")
        ordering = ["person", "tag"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "tag"],
                condition=Q(ended_on__isnull=True),
                name="persontag_one_open_per_tag",
            ),
            models.CheckConstraint(
                condition=Q(grade__isnull=True) | Q(grade__gte=1, grade__lte=4),
                name="persontag_grade_1_to_4",
            ),
        ]
        indexes = [models.Index(fields=["tag", "ended_on"])]

    def __str__(self) -> str:
        grade = f"{self.grade}级" if self.grade else ""
        return f"{self.get_tag_display()}{grade}"


class Post(models.TextChoices):
    """三岗: the three posts of the community-worker pay grid (三岗十八级)."""

    HEAD = "head", _("正职")
    DEPUTY = "deputy", _("副职")
    STAFF = "staff", _("社区工作者")


class GridRole(models.TextChoices):
    NONE = "", _("无")
    GRID_LEADER = "grid_leader", _("网格长")
    GRID_WORKER = "grid_worker", _("专职网格员")
    BUILDING_LEADER = "building_leader", _("楼栋长")
    UNIT_LEADER = "unit_leader", _("单元长")


class WorkerQuerySet(ScopedQuerySet):
    scope_field = "unit__code"

    def active(self) -> WorkerQuerySet:
        return self.filter(left_on__isnull=True)


class Worker(models.Model):
    """社区工作者 with post, pay level, certificates, trainings and grid role."""

    name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(
        AdminUnit, verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="workers"
    )
    user = models.OneToOneField(
        "accounts.User",
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="worker",
    )
    phone_enc = models.CharField(_("电话(密文)"), max_length=255, blank=True, editable=False)
    phone_mask = models.CharField(_("电话"), max_length=20, blank=True, editable=False)
    post = models.CharField(_("岗位"), max_length=10, choices=Post.choices, default=Post.STAFF)
    level = models.PositiveSmallIntegerField(_("等级(1–18)"), default=1)
    party_post = models.BooleanField(_("党建专岗"), default=False)
    grid_role = models.CharField(
        _("网格角色"), max_length=20, choices=GridRole.choices, blank=True, default=""
    )
    disaster_officer = models.BooleanField(_("灾害信息员"), default=False)
    joined_on = models.DateField(_("入职日期"), null=True, blank=True)
    left_on = models.DateField(_("离职日期"), null=True, blank=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区工作者")
        verbose_name_plural = _("社区工作者")
        ordering = ["unit__code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=18), name="worker_level_1_to_18"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit.name}）"


class CertificateLevel(models.TextChoices):
    ASSISTANT = "assistant", _("助理社会工作师")
    SOCIAL_WORKER = "social_worker", _("社会工作师")
    SENIOR = "senior", _("高级社会工作师")


class Certificate(models.Model):
    worker = models.ForeignKey(
        Worker,
        verbose_name=_("社区工作者"),
        on_delete=models.CASCADE,
        related_name="certificates",
    )
    level = models.CharField(_("证书等级"), max_length=20, choices=CertificateLevel.choices)
    obtained_on = models.DateField(_("取得日期"))

    class Meta:
        verbose_name = _("职业资格证书")
        verbose_name_plural = _("职业资格证书")
        constraints = [
            models.UniqueConstraint(fields=["worker", "level"], name="certificate_unique_level"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.obtained_on}"


class Training(models.Model):
    worker = models.ForeignKey(
        Worker, verbose_name=_("社区工作者"), on_delete=models.CASCADE, related_name="trainings"
    )
    taken_on = models.DateField(_("培训日期"))
    kind = models.CharField(_("培训类别"), max_length=100)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        ordering = ["-taken_on"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="training_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.taken_on}"
