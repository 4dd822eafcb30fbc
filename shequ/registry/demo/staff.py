"""Community workers (社区工作者) of the demo: posts, pay levels, certificates, trainings.

三岗十八级 mapping used here (the plan (十六) names the scheme; the brief fixes the bands):
each of the three posts spans six of the eighteen levels, and a worker climbs one level per
three years in the post, plus one for a 社会工作师 certificate, capped at the band's top.

    post                 levels
    正职 head (书记/主任)  13–18
    副职 deputy            7–12
    社区工作者 staff        1–6

Villages' 两委 members are not on the urban 社工岗 pay grid; they are stored with the same
bands so the field always means the same thing.

Building and unit leaders (楼栋长/单元长, 一格三长) are resident volunteers: they are Worker
rows with ``grid_role`` building_leader/unit_leader, post staff and level 1. Count
社区工作者 (indicator 7) without them.
"""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from shequ.registry.demo import names
from shequ.registry.demo.plan import WorkerPlan
from shequ.registry.models import CertificateLevel, GridRole, Post

LEVEL_BANDS = {Post.HEAD: (13, 18), Post.DEPUTY: (7, 12), Post.STAFF: (1, 6)}
VOLUNTEER_ROLES = (GridRole.BUILDING_LEADER, GridRole.UNIT_LEADER)

# Trainings the plan asks for ((十七), 专栏3): secretaries every year, others every two years.
_HEAD_TRAINING = "社区党组织书记（居委会主任）年度培训"
_TRAININGS = (
    ("社区工作者能力提升培训", (8, 24)),
    ("网格员业务培训", (4, 16)),
    ("巡访关爱系统操作培训", (2, 6)),
    ("应急管理与防灾减灾培训", (4, 12)),
    ("民族宗教政策法规培训", (2, 8)),
    ("社会工作职业资格考前培训", (16, 40)),
    ("“一窗受理”政务服务培训", (4, 12)),
)


def level_for(post: str, years: int, certified: bool) -> int:
    low, high = LEVEL_BANDS[post]
    return min(high, low + years // 3 + (1 if certified else 0))


def _days_ago(rng: Random, as_of: date, low: int, high: int) -> date:
    return as_of - timedelta(days=rng.randint(low, high))


def _trainings(rng: Random, post: str, as_of: date) -> list[tuple[date, str, float]]:
    out = []
    if post == Post.HEAD:  # at least once in each of the last two years
        for year in (0, 1):
            out.append(
                (
                    _days_ago(rng, as_of, 365 * year + 10, 365 * year + 355),
                    _HEAD_TRAINING,
                    float(rng.choice((16, 24, 32, 40))),
                )
            )
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        kind, (low, high) = rng.choice(_TRAININGS)
        out.append((_days_ago(rng, as_of, 10, 720), kind, rng.randint(low * 2, high * 2) / 2))
    return sorted(out, reverse=True)


def _worker(
    rng: Random,
    unit_code: str,
    post: str,
    as_of: date,
    ages: tuple[int, int],
    years: tuple[int, int],
) -> tuple[WorkerPlan, int]:
    sex = "F" if rng.random() < 0.7 else "M"  # community work is mostly done by women
    age = rng.randint(*ages)
    served = min(rng.randint(*years), age - 21)
    worker = WorkerPlan(
        name=names.full_name(rng, sex, as_of.year - age),
        unit_code=unit_code,
        phone=names.mobile(rng),
        post=post,
        level=1,
        joined_on=_days_ago(rng, as_of, 365 * served, 365 * served + 300),
        trainings=_trainings(rng, post, as_of),
    )
    return worker, served


def community_workers(
    rng: Random, community: str, grids: list[str], urban: bool, as_of: date
) -> list[WorkerPlan]:
    """The staff of one community (15–25) or village (3–7), one of them per grid."""
    if urban:
        n = max(rng.randint(15, 25), len(grids) + 4)
        deputies = rng.choice((2, 2, 3))
    else:
        n = max(rng.randint(3, 7), len(grids) + 1)
        deputies = 1 if n >= 4 else 0
    staff: list[tuple[WorkerPlan, int]] = [
        _worker(rng, community, Post.HEAD, as_of, (38, 58), (6, 25))
    ]
    staff += [
        _worker(rng, community, Post.DEPUTY, as_of, (30, 55), (3, 20)) for _ in range(deputies)
    ]
    staff += [
        _worker(rng, community, Post.STAFF, as_of, (23, 55), (0, 15))
        for _ in range(n - 1 - deputies)
    ]
    workers = [w for w, _ in staff]
    _certify(rng, workers, urban, as_of)
    for w, served in staff:
        certified = any(level != CertificateLevel.ASSISTANT for level, _ in w.certificates)
        w.level = level_for(w.post, served, certified)
    _assign_roles(rng, workers, grids, urban)
    return workers


def _certify(rng: Random, workers: list[WorkerPlan], urban: bool, as_of: date) -> None:
    """社工证: about 1–3 社会工作师 per urban community (plan: 1 in 2020, ≥ 3 by 2025), a few
    助理社会工作师, a rare 高级; in villages an occasional 助理."""
    order = workers[:]
    rng.shuffle(order)
    if not urban:
        if rng.random() < 0.15:
            order[0].certificates.append(
                (CertificateLevel.ASSISTANT, _days_ago(rng, as_of, 60, 2500))
            )
        return
    n_sw = rng.choice((1, 2, 2, 2, 3, 3))
    n_assistant = rng.randint(2, 6)
    for w in order[:n_sw]:
        got = _days_ago(rng, as_of, 60, 2200)
        if rng.random() < 0.6:
            w.certificates.append(
                (CertificateLevel.ASSISTANT, got - timedelta(days=rng.randint(400, 1500)))
            )
        w.certificates.append((CertificateLevel.SOCIAL_WORKER, got))
    senior = order[0]  # a 社会工作师 who went on to the senior title (rare)
    social_worker_on = senior.certificates[-1][1]
    if rng.random() < 0.05 and (as_of - social_worker_on).days > 800:
        on = social_worker_on + timedelta(days=rng.randint(730, (as_of - social_worker_on).days))
        senior.certificates.append((CertificateLevel.SENIOR, on))
    for w in order[n_sw : n_sw + n_assistant]:
        w.certificates.append((CertificateLevel.ASSISTANT, _days_ago(rng, as_of, 60, 2500)))


def _assign_roles(rng: Random, workers: list[WorkerPlan], grids: list[str], urban: bool) -> None:
    """One full-time grid worker per grid ((十八)), two party-building posts per community
    ((十六), one in a few), one disaster information officer per community (专栏2 item 12)."""
    head, rest = workers[0], workers[1:]
    pool = rest[:]
    rng.shuffle(pool)
    for grid, w in zip(grids, pool, strict=False):
        w.unit_code = grid
        w.grid_role = (
            GridRole.GRID_LEADER
            if (w.post == Post.DEPUTY or not urban)
            else (GridRole.GRID_LEADER if rng.random() < 0.2 else GridRole.GRID_WORKER)
        )
    others = pool[len(grids) :] or pool
    if urban:
        party = [w for w in others if w.post == Post.STAFF][: 2 if rng.random() < 0.9 else 1]
        for w in party:
            w.party_post = True
    officer = next((w for w in others if not w.party_post), others[-1] if others else head)
    officer.disaster_officer = True


def building_volunteer(
    rng: Random, unit_code: str, name: str, phone: str, role: str, as_of: date
) -> WorkerPlan:
    return WorkerPlan(
        name=name,
        unit_code=unit_code,
        phone=phone,
        post=Post.STAFF,
        level=1,
        joined_on=_days_ago(rng, as_of, 60, 3000),
        grid_role=role,
    )
