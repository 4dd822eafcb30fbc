"""The starting category catalogue, drawn from the plan; loaded by a data migration.

Departments are the plan's 责任单位 (``shequ.accounts.departments``). ``routing`` says who
answers when no rule matches: a fixed department, or the street / community the request is
located in (环境卫生 and 设施维修 are the street's: 街道 runs sanitation and minor repairs).
The district edits all of it in the admin afterwards.
"""

from __future__ import annotations

# code, name, accept within N working hours, answer unit, answer amount
DEADLINE_CLASSES: list[tuple[str, str, int, str, int]] = [
    ("urgent", "紧急", 2, "hours", 24),
    ("general", "一般", 2, "workdays", 7),
    ("complex", "复杂", 2, "workdays", 15),
    ("consult", "咨询", 2, "workdays", 3),
]

_YES_NO = [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]

# code, name, group, deadline class, routing (department code | "street" | "community"),
# description, keywords, extra questions
CATEGORIES: list[dict] = [
    {
        "code": "property",
        "name": "物业管理",
        "group": "住房城建",
        "deadline": "general",
        "routing": "zjj",
        "description": "物业服务、电梯、停车、公共部位维修、物业收费等",
        "keywords": "物业,电梯,停车,物业费,漏水,楼道,保洁,小区",
        "questions": [
            {"code": "estate", "label": "小区名称", "datatype": "string", "required": False}
        ],
    },
    {
        "code": "heating",
        "name": "供暖",
        "group": "住房城建",
        "deadline": "urgent",
        "routing": "zjj",
        "description": "室内温度不达标、暖气不热、管道漏水、供热收费",
        "keywords": "供暖,暖气,不热,温度,供热,采暖",
        "questions": [
            {
                "code": "temperature",
                "label": "室内温度(℃)",
                "datatype": "number",
                "required": False,
            },
            {
                "code": "whole_building",
                "label": "是否整栋楼都不热",
                "datatype": "singlevaluelist",
                "required": False,
                "values": _YES_NO,
            },
        ],
    },
    {
        "code": "sanitation",
        "name": "环境卫生",
        "group": "城市管理",
        "deadline": "general",
        "routing": "street",
        "description": "垃圾清运、道路清扫、乱堆乱放、异味",
        "keywords": "垃圾,清运,清扫,卫生,异味,堆放,脏乱",
    },
    {
        "code": "elderly",
        "name": "养老服务",
        "group": "民生保障",
        "deadline": "general",
        "routing": "mzj",
        "description": "居家养老、助餐助浴、高龄津贴、养老机构",
        "keywords": "养老,老人,助餐,高龄,津贴,老年",
    },
    {
        "code": "disability",
        "name": "助残服务",
        "group": "民生保障",
        "deadline": "general",
        "routing": "cl",
        "description": "残疾人证、辅具、无障碍设施、残疾人补贴",
        "keywords": "残疾,残疾证,轮椅,无障碍,辅具,盲道",
    },
    {
        "code": "children",
        "name": "儿童关爱",
        "group": "民生保障",
        "deadline": "general",
        "routing": "mzj",
        "description": "留守儿童、困境儿童关爱，儿童之家",
        "keywords": "儿童,留守,孩子,困境儿童,未成年",
    },
    {
        "code": "employment",
        "name": "就业服务",
        "group": "就业社保",
        "deadline": "general",
        "routing": "rsj",
        "description": "求职登记、技能培训、失业登记、拖欠工资",
        "keywords": "就业,工作,招聘,培训,失业,工资,欠薪",
    },
    {
        "code": "social-security",
        "name": "社会保障",
        "group": "就业社保",
        "deadline": "general",
        "routing": "rsj",
        "description": "养老保险、社保卡、待遇领取资格认证",
        "keywords": "社保,养老保险,社保卡,认证,退休金,缴费",
    },
    {
        "code": "assistance",
        "name": "社会救助",
        "group": "民生保障",
        "deadline": "general",
        "routing": "mzj",
        "description": "低保、特困供养、临时救助",
        "keywords": "低保,救助,特困,困难,补助",
    },
    {
        "code": "medical",
        "name": "医疗卫生",
        "group": "卫生健康",
        "deadline": "general",
        "routing": "wjj",
        "description": "社区卫生服务、家庭医生签约、疫苗接种",
        "keywords": "医院,看病,卫生站,家庭医生,疫苗,诊所",
    },
    {
        "code": "safety",
        "name": "安全隐患",
        "group": "平安建设",
        "deadline": "urgent",
        "routing": "yjj",
        "description": "燃气、消防通道、危房、用电等安全隐患",
        "keywords": "隐患,燃气,消防,危险,着火,漏气,电线",
        "questions": [
            {
                "code": "danger_now",
                "label": "是否有人员正处于危险中",
                "datatype": "singlevaluelist",
                "required": True,
                "values": _YES_NO,
            }
        ],
    },
    {
        "code": "dispute",
        "name": "矛盾纠纷",
        "group": "平安建设",
        "deadline": "complex",
        "routing": "community",
        "description": "邻里纠纷、家庭矛盾，由社区人民调解委员会调解",
        "keywords": "纠纷,矛盾,吵架,邻居,调解,噪音",
    },
    {
        "code": "facilities",
        "name": "设施维修",
        "group": "城市管理",
        "deadline": "general",
        "routing": "street",
        "description": "路灯、井盖、道路破损、健身器材等公共设施",
        "keywords": "路灯,井盖,道路,坑,破损,健身器材,维修",
    },
    {
        "code": "consultation",
        "name": "政务咨询",
        "group": "政务服务",
        "deadline": "consult",
        "routing": "zwfwj",
        "description": "办事指南、材料、办理地点和时间",
        "keywords": "咨询,怎么办,办理,材料,手续,证明",
    },
    {
        "code": "veterans",
        "name": "退役军人服务",
        "group": "民生保障",
        "deadline": "general",
        "routing": "tyjrj",
        "description": "优待证、优抚、退役军人就业",
        "keywords": "退役,军人,优待证,优抚,老兵",
    },
    {
        "code": "education",
        "name": "教育托育",
        "group": "教育文体",
        "deadline": "general",
        "routing": "jyj",
        "description": "入学、托育、课后服务",
        "keywords": "入学,学校,托育,幼儿园,学位",
    },
]

# Rules the plan suggests beyond the defaults; the longest prefix wins.
# (category code, admin-unit prefix, department code)
RULES: list[tuple[str, str, str]] = [
    # Villages of 灯塔镇: rural sanitation is 农村人居环境整治 (区农业农村局).
    ("sanitation", "220403100", "nyncj"),
    # Disputes in the villages go to the 司法所 (区司法局) for people's mediation.
    ("dispute", "220403100", "sfj"),
]


def install(get_model) -> None:
    """Create what is missing of the starting catalogue (idempotent).

    ``get_model`` is ``apps.get_model`` of a migration, or of the running project (tests whose
    database was flushed by a live-server test put the catalogue back this way).
    """
    Department = get_model("accounts", "Department")
    DeadlineClass = get_model("tickets", "DeadlineClass")
    ResponsibleUnit = get_model("tickets", "ResponsibleUnit")
    Category = get_model("tickets", "Category")
    RoutingRule = get_model("tickets", "RoutingRule")

    classes = {}
    for code, name, accept_hours, unit, amount in DEADLINE_CLASSES:
        classes[code], _ = DeadlineClass.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "accept_hours": accept_hours,
                "answer_unit": unit,
                "answer_amount": amount,
            },
        )
    units = {}
    for dept in Department.objects.all():
        units[dept.code], _ = ResponsibleUnit.objects.get_or_create(department=dept)
    for order, c in enumerate(CATEGORIES, start=1):
        fixed = c["routing"] not in ("street", "community")
        Category.objects.get_or_create(
            code=c["code"],
            defaults={
                "name": c["name"],
                "group": c["group"],
                "description": c["description"],
                "keywords": c["keywords"],
                "deadline_class": classes[c["deadline"]],
                "routing": "fixed" if fixed else c["routing"],
                "default_unit": units[c["routing"]] if fixed else None,
                "extra_questions": c.get("questions", []),
                "order": order * 10,
            },
        )
    for category, prefix, dept in RULES:
        RoutingRule.objects.get_or_create(
            category=Category.objects.get(code=category),
            unit_prefix=prefix,
            defaults={"responsible_unit": units[dept]},
        )
