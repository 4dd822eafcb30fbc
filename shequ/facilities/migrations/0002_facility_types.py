"""The plan's facility types with their walking-time standards.

15 minutes by default (the plan's 15分钟生活圈, (九)); 10 or 5 minutes for the daily
services that GB 50180-2018 (城市居住区规划设计标准) places in the 10- and 5-minute
circles. The district may edit them in the admin; the codes `comprehensive` and
`self_service` carry indicator rules and must stay.
"""

from django.db import migrations

# code, name, minutes, held to (十二)'s area and hours standard, plan section
TYPES = [
    ("comprehensive", "社区综合服务设施（党群服务中心）", 15, True, "（十一）（十二）指标1–5"),
    ("health", "社区卫生服务站/村卫生室", 15, False, "（八）专栏2-6"),
    ("elderly_care", "日间照料中心/老年助餐点", 10, False, "（八）（十一）专栏2-2"),
    ("childcare", "托育服务机构", 10, False, "（八）"),
    ("children_home", "儿童之家", 15, False, "（八）专栏2-3"),
    ("reading_room", "社区阅读空间", 15, False, "（八）专栏2-9"),
    ("sports", "全民健身场地", 15, False, "（八）15分钟健身圈"),
    ("market", "菜市场/便利店", 10, False, "（九）"),
    ("parcel", "快递驿站/智能快件箱", 5, False, "（九）（十一）"),
    ("social_work_station", "乡镇（街道）社工站", 15, False, "专栏1-4"),
    ("social_work_point", "社区社会工作服务点", 15, False, "专栏1-4"),
    ("shelter", "应急避难场所", 15, False, "（十）专栏2-12"),
    ("fire_station", "微型消防站", 15, False, "（十）"),
    ("police_room", "社区警务室", 15, False, "（十）专栏2-10"),
    ("self_service", "政务通用自助服务终端", 15, False, "指标6"),
]


def load(apps, schema_editor):
    FacilityType = apps.get_model("facilities", "FacilityType")
    for order, (code, name, minutes, held, section) in enumerate(TYPES, start=1):
        FacilityType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "standard_minutes": minutes,
                "held_to_standard": held,
                "plan_section": section,
                "order": order * 10,
            },
        )


def unload(apps, schema_editor):
    codes = [t[0] for t in TYPES]
    apps.get_model("facilities", "FacilityType").objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
