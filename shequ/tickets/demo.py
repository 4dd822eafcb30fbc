"""A year of realistic requests for the demo district: texts per category, channels, every
state, ratings, some overdue, and a hotspot or two for 未诉先办.

Rows are written in bulk (the demo is a loader, not a user), but every ticket's life is
simulated along the edges of :data:`shequ.tickets.workflow.TRANSITIONS` with deadlines from
:mod:`shequ.tickets.deadlines`, so events, dispatch ledger, answers and ratings agree with
what the services would have written, and the rates and lists are meaningful.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from shequ.core.masking import mask_name, mask_phone
from shequ.core.workdays import SHANGHAI
from shequ.registry.models import AdminUnit, Building, Level
from shequ.registry.pii import cipher
from shequ.tickets import clock, deadlines, routing
from shequ.tickets.models import (
    Action,
    Answer,
    Assignment,
    Category,
    Channel,
    Rating,
    ResponsibleUnit,
    RoutingRule,
    Satisfaction,
    Status,
    Ticket,
    TicketEvent,
    next_due,
)

# Requests per community (or grid-less community) per month at scale 1.
MONTHLY_PER_COMMUNITY = 12
CHANNEL_WEIGHTS = [
    (Channel.HOTLINE, 35),
    (Channel.MOBILE, 25),
    (Channel.WINDOW, 14),
    (Channel.WEB, 10),
    (Channel.GRID_PATROL, 11),
    (Channel.KIOSK, 5),
]
# Relative weight of each category; heating only in the heating season (10月–次年4月).
CATEGORY_WEIGHTS = {
    "property": 20,
    "heating": 18,
    "sanitation": 12,
    "facilities": 10,
    "elderly": 7,
    "dispute": 7,
    "consultation": 7,
    "social-security": 5,
    "employment": 4,
    "medical": 4,
    "safety": 4,
    "assistance": 3,
    "disability": 2,
    "children": 2,
    "veterans": 1,
    "education": 2,
}
HEATING_MONTHS = (10, 11, 12, 1, 2, 3, 4)
ESTATES = [
    "东吉花园",
    "福民小区",
    "安家新苑",
    "仙城佳园",
    "富国家园",
    "东山小区",
    "太安小区",
    "先锋小区",
    "金桥花园",
    "滨河湾",
]
ROADS = ["人民大街", "西宁路", "安家街", "富国路", "东山路", "仙城大路", "北寿街", "南康街"]
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "秀英桂兰玉兰秀兰凤英建华建国志强海燕丽娟淑珍明亮国庆红梅春生德福永刚立新玉珍"

TEXTS: dict[str, list[str]] = {
    "property": [
        "{estate}{n}号楼电梯经常停运，老人上下楼很困难，物业一直不修。",
        "{estate}物业不清理楼道杂物，多次反映无果。",
        "{estate}{n}号楼顶层漏水，墙皮脱落，物业推说找不到施工队。",
        "{estate}地下车库被外来车辆占用，业主停不了车。",
        "{estate}物业费上涨没有公示，也没有开业主大会。",
    ],
    "heating": [
        "{estate}{n}号楼暖气不热，室温只有14度，家里有老人孩子。",
        "{estate}{n}单元暖气管道漏水，楼下已经被淹。",
        "整栋{n}号楼暖气都不热，热力公司电话打不通。",
        "已经交了采暖费，家里暖气还是冰凉的。",
    ],
    "sanitation": [
        "{road}与{road2}交汇处垃圾箱满了好几天没人清运，气味很大。",
        "{estate}门口有人乱倒建筑垃圾。",
        "{road}人行道上积雪结冰没人清扫，老人容易滑倒。",
        "小区垃圾分类亭周围污水横流，蚊蝇很多。",
    ],
    "facilities": [
        "{road}{n}号附近井盖破损，晚上很危险。",
        "{estate}门前路灯坏了一个多月。",
        "{road}路面塌陷出现大坑，车辆绕行。",
        "{estate}健身器材损坏，孩子玩耍有危险。",
    ],
    "elderly": [
        "家里老人独居，想申请社区助餐服务，不知道怎么办理。",
        "八十岁以上老人高龄津贴这个月没有到账。",
        "希望社区日间照料中心能延长开放时间。",
        "老人行动不便，想了解居家养老上门服务。",
    ],
    "dispute": [
        "楼上邻居每天深夜装修噪音很大，沟通无果。",
        "邻居在楼道堆放杂物，协商不成发生争吵。",
        "{estate}{n}号楼有住户在楼下私自圈地种菜，邻里矛盾很大。",
        "与房东因押金退还发生纠纷，希望社区调解。",
    ],
    "consultation": [
        "咨询办理居住证需要带哪些材料。",
        "想问一下社区能不能开具无犯罪记录证明。",
        "新生儿落户需要到哪里办理，需要什么手续？",
        "咨询政务服务中心周六是否上班。",
    ],
    "social-security": [
        "退休人员养老金资格认证在哪里办理？",
        "灵活就业人员养老保险怎么缴费？",
        "社保卡丢失了，补办需要多长时间？",
    ],
    "employment": [
        "公司拖欠三个月工资，老板联系不上。",
        "想参加政府组织的免费技能培训，怎么报名？",
        "登记失业后想了解有哪些就业援助政策。",
    ],
    "medical": [
        "社区卫生服务站下午不开门，看病不方便。",
        "想给家里老人签约家庭医生，怎么办理？",
        "孩子接种疫苗预约不上。",
    ],
    "safety": [
        "{estate}{n}号楼楼道里闻到燃气味，担心泄漏。",
        "{estate}消防通道被私家车长期堵塞。",
        "{road}一处老房子墙体开裂，存在倒塌危险。",
        "有人在楼道里给电动车充电，私拉电线。",
    ],
    "assistance": [
        "家里困难想申请低保，需要什么条件？",
        "突发重病家庭困难，能否申请临时救助？",
        "特困供养金发放时间推迟了。",
    ],
    "disability": [
        "残疾人证到期换证需要什么材料？",
        "{estate}没有无障碍坡道，轮椅进出困难。",
        "想申请残疾人辅具适配。",
    ],
    "children": [
        "邻居家孩子父母都在外地打工，孩子经常一个人在家。",
        "社区儿童之家周末能否开放？",
        "发现有孩子长期没有上学，希望社区了解情况。",
    ],
    "veterans": [
        "退役军人优待证怎么申领？",
        "想了解退役军人就业创业扶持政策。",
    ],
    "education": [
        "孩子入学划片学位不够，希望协调。",
        "社区周边没有普惠托育机构，上班族接送困难。",
    ],
}
ANSWERS: dict[str, str] = {
    "property": "已约谈物业服务企业，责令限期整改，现已处理完毕，后续将加强监管。",
    "heating": "已协调供热企业上门排查，更换阀门并排气，室温已达标。",
    "sanitation": "已安排环卫人员清运清扫，并增加该点位巡查频次。",
    "facilities": "已安排维修人员更换修复，设施恢复正常使用。",
    "elderly": "已电话告知办理流程，社区工作人员上门协助申请。",
    "dispute": "社区人民调解委员会已组织双方调解，达成一致意见。",
    "consultation": "已电话告知所需材料、办理地点和时间。",
    "social-security": "已告知办理渠道，可在“吉林智慧人社”或社区服务站办理。",
    "employment": "已转劳动保障监察立案，并告知维权渠道和就业政策。",
    "medical": "已协调卫生服务站调整排班，并告知签约流程。",
    "safety": "已联系燃气、消防部门现场排查，隐患已消除。",
    "assistance": "已告知申请条件和流程，社区将入户核查。",
    "disability": "已告知办理流程，残联工作人员将上门服务。",
    "children": "社区儿童主任已上门走访，纳入关爱台账。",
    "veterans": "已告知申领渠道和所需材料。",
    "education": "已反映至教育部门统筹研究，并电话答复。",
}


@dataclass
class DemoStats:
    tickets: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    hotspots: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Life:
    """One simulated ticket: final columns and the rows of its history."""

    fields: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)


def generate_demo_tickets(
    seed: int = 1,
    scale: float = 1.0,
    *,
    days: int = 365,
    now: datetime | None = None,
    hotspots: int = 2,
) -> DemoStats:
    """Write ``days`` days of requests ending ``now`` for the admin units in the database.

    - Volume: about :data:`MONTHLY_PER_COMMUNITY` × ``scale`` requests per community and
      month, placed in grids where grids exist (weighted by population), at the community
      centre ± a few hundred metres and in one of its buildings when there are any.
    - Deterministic: the same database (units, buildings, catalogue), ``seed``, ``scale`` and
      ``now`` give the same rows (contact numbers are fictitious).
    - Every state appears: recent requests wait, are dispatched, accepted, some overdue or
      escalated; older ones are answered and rated (about 12% not satisfied, reopened once);
      a few were returned and re-dispatched. ``hotspots`` grids get a burst of reports of one
      category in the last full week.
    - Needs the starting catalogue (migrations) and the district's admin units. Existing
      tickets are kept; call it once per demo database.
    """
    rng = random.Random(seed)
    now = now or clock.now()
    start = now - timedelta(days=days)
    places = _places()
    if not places:
        return DemoStats()
    categories = {c.code: c for c in Category.objects.active().select_related("deadline_class")}
    departments = list(
        ResponsibleUnit.objects.filter(department__isnull=False).select_related("department")
    )
    quality = {u.pk: rng.uniform(0.55, 0.97) for u in departments}
    communities = {p["code"][:12] for p in places}
    total = round(len(communities) * MONTHLY_PER_COMMUNITY * scale * days / 30.4)

    route_cache: dict[tuple[str, str], ResponsibleUnit | None] = {}
    # Routing looks at most this deep into a code (community level unless a rule is finer),
    # so places in one community share one answer.
    depth = max([12, *(len(p) for p in RoutingRule.objects.values_list("unit_prefix", flat=True))])
    unit_objects = {
        u.code: u
        for u in AdminUnit.objects.defer("boundary").filter(code__in=[p["code"] for p in places])
    }

    def route(code: str, unit_code: str) -> ResponsibleUnit | None:
        key = (code, unit_code[:depth])
        if key not in route_cache:
            route_cache[key] = routing.route(categories[code], unit_objects[unit_code])
        return route_cache[key]

    plans: list[tuple[datetime, str, dict]] = []
    for _ in range(total):
        created = _random_time(rng, start, now)
        plans.append(
            (
                created,
                _category(rng, created, categories),
                rng.choices(places, weights=[p["weight"] for p in places])[0],
            )
        )
    plans += _hotspot_plans(rng, places, now, hotspots)
    plans.sort(key=lambda p: p[0])

    c = cipher()
    numbers: set[str] = set()
    lives: list[_Life] = []
    for created, code, place in plans:
        category = categories[code]
        ru = route(code, place["code"])
        if ru is not None and ru.pk not in quality:
            quality[ru.pk] = rng.uniform(0.6, 0.97)
        lives.append(
            _simulate(rng, created, category, place, ru, departments, quality, now, c, numbers)
        )

    stats = DemoStats(tickets=len(lives))
    with transaction.atomic():
        for batch in range(0, len(lives), 1000):
            chunk = lives[batch : batch + 1000]
            for life in chunk:
                f = life.fields
                f["due_at"] = next_due(f["status"], f["accept_due"], f["answer_due"])
            tickets = Ticket.objects.bulk_create([Ticket(**life.fields) for life in chunk])
            events, assignments, answers, ratings = [], [], [], []
            for ticket, life in zip(tickets, chunk, strict=True):
                events += [TicketEvent(ticket=ticket, **e) for e in life.events]
                assignments += [Assignment(ticket=ticket, **a) for a in life.assignments]
                answers += [Answer(ticket=ticket, **a) for a in life.answers]
                ratings += [Rating(ticket=ticket, **r) for r in life.ratings]
            TicketEvent.objects.bulk_create(events)
            Assignment.objects.bulk_create(assignments)
            Answer.objects.bulk_create(answers)
            Rating.objects.bulk_create(ratings)
    counts: dict[str, int] = defaultdict(int)
    for life in lives:
        counts[life.fields["status"]] += 1
    stats.by_status = dict(counts)
    stats.hotspots = sorted({(p[2]["name"], p[1]) for p in plans if p[2].get("hot")})
    return stats


# ------------------------------------------------------------------ choices


def _places() -> list[dict[str, Any]]:
    """Grids (or communities without grids) with a weight, a centre and their buildings."""
    units = list(
        AdminUnit.objects.active()
        .filter(level__in=(Level.COMMUNITY, Level.GRID))
        .order_by("code")
        .values("pk", "code", "name", "level", "population", "centre_lat", "centre_lon")
    )
    with_grids = {u["code"][:12] for u in units if u["level"] == Level.GRID}
    buildings: dict[str, list[int]] = defaultdict(list)
    for pk, code in Building.objects.order_by("pk").values_list("pk", "unit__code"):
        buildings[code].append(pk)
    places = []
    for u in units:
        if u["level"] == Level.COMMUNITY and u["code"] in with_grids:
            continue  # its grids stand for it
        places.append(
            {
                **u,
                "weight": max(u["population"] or 0, 300),
                "buildings": buildings.get(u["code"], []),
            }
        )
    return places


def _random_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """Mostly in the day: 80% between 07:00 and 21:00 Beijing time."""
    at = start + (end - start) * rng.random()
    local = timezone.localtime(at, SHANGHAI)
    if rng.random() < 0.8 and not 7 <= local.hour < 21:
        local = local.replace(hour=rng.randint(7, 20))
    return min(local, timezone.localtime(end, SHANGHAI))


def _category(rng: random.Random, at: datetime, categories: dict[str, Category]) -> str:
    month = timezone.localtime(at, SHANGHAI).month
    weights = {code: w for code, w in CATEGORY_WEIGHTS.items() if code in categories}
    if month not in HEATING_MONTHS:
        weights.pop("heating", None)
    if month in (6, 7, 8):  # summer: rubbish smells, more sanitation
        weights["sanitation"] = weights.get("sanitation", 0) * 2
    codes = list(weights)
    return rng.choices(codes, weights=[weights[c] for c in codes])[0]


def _hotspot_plans(
    rng: random.Random, places: list[dict], now: datetime, count: int
) -> list[tuple[datetime, str, dict]]:
    """A burst of one category in a few grids in the last full week (未诉先办)."""
    if count <= 0 or not places:
        return []
    local = timezone.localtime(now, SHANGHAI)
    monday = (local - timedelta(days=local.weekday() + 7)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    plans = []
    for place, code in zip(
        rng.sample(places, min(count, len(places))),
        ["sanitation", "facilities", "property"],
        strict=False,
    ):
        hot = {**place, "hot": True}
        for _ in range(rng.randint(6, 9)):
            plans.append((monday + timedelta(hours=rng.randint(0, 6 * 24)), code, hot))
    return plans


def _text(rng: random.Random, code: str) -> str:
    template = rng.choice(TEXTS.get(code, ["请尽快处理。"]))
    road, road2 = rng.sample(ROADS, 2)
    return template.format(estate=rng.choice(ESTATES), n=rng.randint(1, 28), road=road, road2=road2)


# ------------------------------------------------------------------ a life


def _simulate(
    rng: random.Random,
    created: datetime,
    category: Category,
    place: dict,
    ru: ResponsibleUnit | None,
    departments: list[ResponsibleUnit],
    quality: dict[int, float],
    now: datetime,
    c,
    numbers: set[str],
) -> _Life:
    dclass = category.deadline_class
    channel = rng.choices(
        [ch for ch, _ in CHANNEL_WEIGHTS], weights=[w for _, w in CHANNEL_WEIGHTS]
    )[0]
    phone = "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))
    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
    text = _text(rng, category.code)
    lat = lon = None
    if place["centre_lat"] is not None:
        lat = round(place["centre_lat"] + rng.uniform(-0.003, 0.003), 6)
        lon = round(place["centre_lon"] + rng.uniform(-0.004, 0.004), 6)
    number = ""
    while not number or number in numbers:
        number = timezone.localtime(created, SHANGHAI).strftime("%y%m%d") + "".join(
            rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(8)
        )
    numbers.add(number)
    answer_due = deadlines.answer_due(created, dclass)
    life = _Life(
        fields={
            "number": number,
            "channel": channel,
            "category": category,
            "text": text,
            "admin_unit_id": place["pk"],
            "unit_code": place["code"],
            "address": "",
            "building_id": rng.choice(place["buildings"]) if place["buildings"] else None,
            "lat": lat,
            "lon": lon,
            "contact_name_enc": c.encrypt(name),
            "contact_name_mask": mask_name(name),
            "contact_phone_enc": c.encrypt(phone),
            "contact_phone_hash": c.blind_index(phone),
            "contact_phone_mask": mask_phone(phone),
            "status": Status.SUBMITTED,
            "created_at": created,
            "updated_at": created,
            "accept_due": min(deadlines.accept_due(created, dclass), answer_due),
            "answer_due": answer_due,
            "text_hash": hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(),
            "follow_token_hash": hashlib.sha256(f"demo-{number}".encode()).hexdigest(),
            "classifier_label": category.code,
            "classifier_confidence": round(rng.uniform(0.6, 0.99), 2),
        }
    )
    if channel == Channel.GRID_PATROL:
        life.fields.update(
            contact_name_enc="",
            contact_name_mask="",
            contact_phone_enc="",
            contact_phone_hash="",
            contact_phone_mask="",
        )
    life.events.append(
        _event(
            created,
            "居民" if channel in (Channel.WEB, Channel.MOBILE, Channel.KIOSK) else "受理员",
            Action.SUBMIT,
            "",
            Status.SUBMITTED,
            None,
            f"{Channel(channel).label}受理",
        )
    )
    recent = now - created < timedelta(days=5)
    if recent and rng.random() < 0.12:
        return life  # still in the dispatcher's queue
    if ru is None:
        ru = rng.choice(departments)  # the dispatcher decides where no rule does
        at = created + timedelta(minutes=rng.randint(20, 240))
        who = "派单员"
    else:
        at = created + timedelta(seconds=rng.randint(1, 30))
        who = "系统"
    _run(
        rng,
        life,
        ru,
        at,
        who,
        quality.get(ru.pk, 0.85),
        departments,
        now,
        dclass,
        category.code,
        backlog=recent and rng.random() < 0.45,
    )
    return life


def _event(at, label, action, source, target, unit, note="") -> dict[str, Any]:
    return {
        "at": at,
        "actor_label": label,
        "action": action,
        "from_status": source,
        "to_status": target,
        "unit": unit,
        "note": note,
    }


def _run(
    rng: random.Random,
    life: _Life,
    ru: ResponsibleUnit,
    dispatch_at: datetime,
    who: str,
    q: float,
    departments: list,
    now: datetime,
    dclass,
    code: str,
    *,
    backlog: bool = False,
) -> None:
    """Walk the state machine from dispatch until ``now``; ``backlog``: the unit has not
    accepted yet (some of these are overdue, half of those already escalated)."""
    f = life.fields

    def finish(status: str, at: datetime) -> None:
        f["status"], f["updated_at"] = status, at

    if dispatch_at > now:
        return
    # 3% go first to a wrong department, which returns them.
    if rng.random() < 0.03:
        wrong = rng.choice([d for d in departments if d.pk != ru.pk] or departments)
        _dispatch(life, wrong, dispatch_at, who, dclass, Status.SUBMITTED)
        back = dispatch_at + timedelta(hours=rng.uniform(0.5, 3))
        if back > now:
            return finish(Status.DISPATCHED, dispatch_at)
        life.assignments[-1]["returned_at"] = back
        life.events.append(
            _event(
                back,
                f"{wrong.name}承办人",
                Action.RETURN,
                Status.DISPATCHED,
                Status.RETURNED,
                wrong,
                "不属于本单位职责，请改派",
            )
        )
        f.update(assigned_unit=None, assigned_code="")
        dispatch_at = back + timedelta(minutes=rng.randint(15, 120))
        if dispatch_at > now:
            return finish(Status.RETURNED, back)
        _dispatch(life, ru, dispatch_at, "派单员", dclass, Status.RETURNED)
    else:
        _dispatch(life, ru, dispatch_at, who, dclass, Status.SUBMITTED)
    handler = f"{ru.name}承办人"

    # 签收: on time with the unit's quality, else late (and escalated by the job first).
    accept_due = f["accept_due"]
    on_time = rng.random() < q + 0.05
    if on_time:
        accept_at = dispatch_at + (accept_due - dispatch_at) * rng.uniform(0.05, 0.9)
    else:
        accept_at = accept_due + timedelta(minutes=rng.randint(20, 900))
    if backlog:
        accept_at, on_time = now + timedelta(hours=1), rng.random() < 0.5
    if not on_time and accept_due + timedelta(minutes=5) <= min(accept_at, now):
        esc = accept_due + timedelta(minutes=5)
        life.events.append(
            _event(
                esc,
                "系统",
                Action.ESCALATE,
                Status.DISPATCHED,
                Status.ESCALATED,
                ru,
                "系统自动督办：超过签收/派单时限未处理",
            )
        )
        f["escalated_at"] = esc
        source = Status.ESCALATED
        if accept_at > now:
            return finish(Status.ESCALATED, esc)
    else:
        source = Status.DISPATCHED
        if accept_at > now:
            return finish(Status.DISPATCHED, dispatch_at)
    life.events.append(_event(accept_at, handler, Action.ACCEPT, source, Status.ACCEPTED, ru))
    life.assignments[-1]["accepted_at"] = accept_at
    f.update(accepted_at=accept_at, first_accepted_unit=ru)

    for round_ in (1, 2):
        answer_due = f["answer_due"]
        start = f["accepted_at"] if round_ == 1 else accept_at
        late = rng.random() > q
        if late:
            resolve_at = answer_due + (answer_due - start) * rng.uniform(0.05, 0.6)
        else:
            resolve_at = start + (answer_due - start) * rng.uniform(0.05, 0.9)
        source = Status.ACCEPTED
        if late and answer_due + timedelta(minutes=5) <= min(resolve_at, now):
            esc = answer_due + timedelta(minutes=5)
            life.events.append(
                _event(
                    esc,
                    "系统",
                    Action.ESCALATE,
                    Status.ACCEPTED,
                    Status.ESCALATED,
                    ru,
                    "系统自动督办：超过办结时限未答复",
                )
            )
            f["escalated_at"], source = esc, Status.ESCALATED
            if resolve_at > now:
                return finish(Status.ESCALATED, esc)
        if resolve_at > now:
            return finish(Status.ACCEPTED, accept_at)
        life.events.append(
            _event(
                resolve_at,
                handler,
                Action.RESOLVE,
                source,
                Status.RESOLVED,
                ru,
                ANSWERS.get(code, "已处理完毕。")[:200],
            )
        )
        life.answers.append(
            {"text": ANSWERS.get(code, "已处理完毕。"), "unit": ru, "at": resolve_at}
        )
        f["resolved_at"] = resolve_at

        rate_at = resolve_at + timedelta(hours=rng.uniform(2, 72))
        if rate_at > now:
            return finish(Status.RESOLVED, resolve_at)
        if rng.random() < 0.15:  # no answer on the callback: closed by the dispatcher
            life.events.append(
                _event(
                    rate_at,
                    "回访员",
                    Action.CLOSE,
                    Status.RESOLVED,
                    Status.CLOSED,
                    ru,
                    "回访未接通，按期办结",
                )
            )
            f["closed_at"] = rate_at
            return finish(Status.CLOSED, rate_at)
        happy = q if round_ == 1 else min(q + 0.1, 0.98)
        draw = rng.random()
        if draw < happy * 0.78:
            satisfaction = Satisfaction.SATISFIED
        elif draw < happy:
            satisfaction = Satisfaction.BASIC
        else:
            satisfaction = Satisfaction.UNSATISFIED
        solved = satisfaction != Satisfaction.UNSATISFIED and rng.random() < 0.9
        life.ratings.append(
            {
                "round": round_,
                "satisfaction": satisfaction,
                "solved": solved,
                "unit": ru,
                "at": rate_at,
                "comment": "" if satisfaction != "unsatisfied" else "问题没有解决",
            }
        )
        if satisfaction != Satisfaction.UNSATISFIED:
            life.events.append(
                _event(
                    rate_at,
                    "居民",
                    Action.RATE,
                    Status.RESOLVED,
                    Status.CLOSED,
                    ru,
                    f"居民评价：{satisfaction.label}",
                )
            )
            f["closed_at"] = rate_at
            return finish(Status.CLOSED, rate_at)
        if round_ == 2:
            life.events.append(
                _event(
                    rate_at,
                    "居民",
                    Action.RATE,
                    Status.RESOLVED,
                    Status.ESCALATED,
                    ru,
                    "重办后居民仍不满意，转督办。",
                )
            )
            f["escalated_at"] = rate_at
            return finish(Status.ESCALATED, rate_at)
        # 重办: back to the same unit with fresh deadlines.
        life.events.append(
            _event(
                rate_at,
                "居民",
                Action.RATE,
                Status.RESOLVED,
                Status.REOPENED,
                ru,
                "居民不满意，重办。",
            )
        )
        answer_due = deadlines.answer_due(rate_at, dclass)
        f.update(
            reopen_count=1,
            dispatched_at=rate_at,
            answer_due=answer_due,
            accept_due=min(deadlines.accept_due(rate_at, dclass), answer_due),
        )
        life.assignments.append(
            {"unit": ru, "reopen": True, "at": rate_at, "accept_due": f["accept_due"]}
        )
        accept_at = rate_at + (f["accept_due"] - rate_at) * rng.uniform(0.1, 0.9)
        if accept_at > now:
            return finish(Status.REOPENED, rate_at)
        life.events.append(
            _event(accept_at, handler, Action.ACCEPT, Status.REOPENED, Status.ACCEPTED, ru)
        )
        life.assignments[-1]["accepted_at"] = accept_at


def _dispatch(
    life: _Life, ru: ResponsibleUnit, at: datetime, who: str, dclass, source: str
) -> None:
    f = life.fields
    answer_due = deadlines.answer_due(at, dclass)
    accept_due = min(deadlines.accept_due(at, dclass), answer_due)
    f.update(
        status=Status.DISPATCHED,
        assigned_unit=ru,
        assigned_code=ru.code,
        dispatched_at=at,
        accept_due=accept_due,
        answer_due=answer_due,
        updated_at=at,
    )
    note = "按类别规则自动派单" if who == "系统" else f"派至{ru.name}"
    life.events.append(_event(at, who, Action.DISPATCH, source, Status.DISPATCHED, ru, note))
    life.assignments.append({"unit": ru, "reopen": False, "at": at, "accept_due": accept_due})
