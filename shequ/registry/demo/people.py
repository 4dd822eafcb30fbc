"""Households and the people in them, with the tags that drive services.

Numbers are for a north-east Chinese rust-belt district: small, ageing households (the
north-east's are among China's smallest, roughly 2.3–2.4 persons; 60+ a quarter or more of
residents, most in the villages, where the young have left for work), many empty nests and
elderly living alone, grandparents raising left-behind children in the villages. Rates of
tags are rough national or provincial orders of magnitude; they are demo data, not
statistics.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from random import Random

from shequ.core.idcard import make_id_number
from shequ.registry.demo import names
from shequ.registry.demo.plan import PersonPlan, TagPlan
from shequ.registry.models import Tag

# Household kinds with their shares in urban communities and in villages.
KINDS: dict[str, tuple[float, float]] = {
    "elder_alone": (0.11, 0.13),  # 独居老人
    "elder_couple": (0.17, 0.22),  # 空巢老人
    "couple_empty": (0.14, 0.15),  # children gone to work or study elsewhere
    "young_couple": (0.05, 0.03),
    "nuclear": (0.29, 0.20),
    "three_gen": (0.08, 0.11),
    "skip_gen": (0.01, 0.06),  # grandparents and grandchildren: 留守儿童 in the villages
    "single_adult": (0.10, 0.08),
    "single_parent": (0.04, 0.02),
    "elder_with_child": (0.01, 0.00),
}
_KIND_NAMES = list(KINDS)
_KIND_CUM = {
    urban: list(accumulate(w[0 if urban else 1] for w in KINDS.values())) for urban in (True, False)
}

# Ages 60–99 by five-year band, shaped so that 80+ are about 13–14 % of the elderly
# (≈ 4 % of all residents, as the brief asks); people living alone skew older (widowhood).
_ELDER_BANDS = (60, 65, 70, 75, 80, 85, 90, 95)
_ELDER_W = (29, 26, 18, 11, 9, 5, 1.6, 0.4)
_ELDER_ALONE_W = (15, 18, 20, 17, 14, 10, 5, 1)

# Where ID numbers were issued: most here, the rest nearby (龙山区, 东丰县, 东辽县, the
# city code of older cards) or elsewhere in Jilin and the north-east.
_REGIONS = (
    ("220403", 78),
    ("220402", 8),
    ("220421", 4),
    ("220422", 4),
    ("220400", 2),
    ("220102", 1.5),
    ("220202", 1),
    ("220381", 0.5),
    ("222401", 0.5),
    ("230103", 0.5),
)
_REGION_CODES = [r for r, _ in _REGIONS]
_REGION_CUM = list(accumulate(w for _, w in _REGIONS))


@dataclass(slots=True)
class Member:
    relation: str
    sex: str
    age: int
    family: str = ""  # "line" = the household's surname, "spouse" = the wife's, "" = own


def pick_kind(rng: Random, urban: bool) -> str:
    cum = _KIND_CUM[urban]
    return _KIND_NAMES[min(bisect(cum, rng.random() * cum[-1]), len(cum) - 1)]


def elder_age(rng: Random, alone: bool = False) -> int:
    weights = _ELDER_ALONE_W if alone else _ELDER_W
    band = rng.choices(_ELDER_BANDS, weights)[0]
    return band + rng.randrange(5)


def _wife_age(rng: Random, husband: int, floor: int = 20) -> int:
    return max(floor, husband - rng.choice((-1, 0, 1, 1, 2, 2, 3, 3, 4, 5)))


def _child_age(rng: Random, mother: int) -> int:
    age = mother - rng.randint(23, 34)
    if age < 0:
        return rng.randint(0, 2)
    return age if age <= 26 else rng.randint(16, 26)


def _children(rng: Random, mother: int, relation_of: dict[str, str]) -> list[Member]:
    # Fertility in the north-east is among the lowest in China: mostly one child.
    first = _child_age(rng, mother)
    ages = (
        [first] if rng.random() < 0.82 or first < 3 else [first, max(0, first - rng.randint(2, 8))]
    )
    out = []
    for age in ages:
        sex = "M" if rng.random() < 0.51 else "F"
        out.append(Member(relation_of[sex], sex, age, "line"))
    return out


_CHILD = {"M": "子", "F": "女"}
_GRANDCHILD = {"M": "孙子", "F": "孙女"}


def compose(rng: Random, kind: str, urban: bool) -> list[Member]:
    """The members of a household of ``kind``, householder first."""
    return _COMPOSERS[kind](rng, urban)


def _elder_alone(rng: Random, urban: bool) -> list[Member]:
    sex = "F" if rng.random() < 0.68 else "M"  # widows outlive widowers
    return [Member("户主", sex, elder_age(rng, alone=True), "line")]


def _nuclear(rng: Random, urban: bool) -> list[Member]:
    members = _couple(rng, rng.randint(27, 56))
    mother = next(m for m in members if m.sex == "F")
    return members + _children(rng, mother.age, _CHILD)


def _three_generations(rng: Random, urban: bool) -> list[Member]:
    members = _couple(rng, rng.randint(30, 50), wife_heads=0.0)
    members += _children(rng, members[1].age, _CHILD)
    return members + _grandparents(rng, members[0].age)


def _skip_generation(rng: Random, urban: bool) -> list[Member]:
    """Grandparents (or one of them) with grandchildren whose parents work elsewhere."""
    members = _couple(rng, rng.randint(55, 75), wife_heads=0.0)
    if rng.random() < 0.35:
        members = [members[rng.choice((0, 1))]]
        members[0].relation = "户主"
    for _ in range(1 if rng.random() < 0.75 else 2):
        sex = "M" if rng.random() < 0.52 else "F"
        members.append(Member(_GRANDCHILD[sex], sex, rng.randint(1, 15), "line"))
    return members


def _single_adult(rng: Random, urban: bool) -> list[Member]:
    sex = "M" if rng.random() < 0.62 else "F"  # village bachelors
    age = rng.randint(20, 59) if urban else rng.randint(30, 59)
    return [Member("户主", sex, age, "line")]


def _single_parent(rng: Random, urban: bool) -> list[Member]:
    sex = "F" if rng.random() < 0.75 else "M"
    family = "line" if sex == "M" else ""  # a mother's child carries the father's surname
    parent = Member("户主", sex, rng.randint(28, 55), family)
    child_sex = "M" if rng.random() < 0.51 else "F"
    child_age = max(0, min(22, parent.age - rng.randint(22, 34)))
    return [parent, Member(_CHILD[child_sex], child_sex, child_age, family)]


def _elder_with_child(rng: Random, urban: bool) -> list[Member]:
    """A widowed parent and an unmarried grown child."""
    sex = "F" if rng.random() < 0.7 else "M"
    elder = Member("户主", sex, elder_age(rng, alone=True), "line")
    child_sex = "M" if rng.random() < 0.55 else "F"
    return [elder, Member(_CHILD[child_sex], child_sex, rng.randint(28, 50), "line")]


_COMPOSERS: dict[str, Callable[[Random, bool], list[Member]]] = {
    "elder_alone": _elder_alone,
    "elder_couple": lambda rng, urban: _couple(rng, elder_age(rng)),
    "couple_empty": lambda rng, urban: _couple(rng, rng.randint(45, 64)),
    "young_couple": lambda rng, urban: _couple(rng, rng.randint(23, 38)),
    "nuclear": _nuclear,
    "three_gen": _three_generations,
    "skip_gen": _skip_generation,
    "single_adult": _single_adult,
    "single_parent": _single_parent,
    "elder_with_child": _elder_with_child,
}


def _couple(rng: Random, husband: int, wife_heads: float = 0.12) -> list[Member]:
    wife = _wife_age(rng, husband)
    if rng.random() < wife_heads:
        return [Member("户主", "F", wife, "spouse"), Member("夫", "M", husband, "line")]
    return [Member("户主", "M", husband, "line"), Member("妻", "F", wife, "spouse")]


def _grandparents(rng: Random, householder_age: int) -> list[Member]:
    paternal = rng.random() < 0.75
    father = householder_age + rng.randint(24, 32)
    mother = _wife_age(rng, father, floor=50)
    rel = ("父", "母") if paternal else ("岳父", "岳母")
    fam = "line" if paternal else "spouse"
    both = [Member(rel[0], "M", father, fam), Member(rel[1], "F", mother, "")]
    if rng.random() < 0.55:
        return both
    return [both[1]] if rng.random() < 0.65 else [both[0]]


def birth_date_for(rng: Random, age: int, as_of: date) -> date:
    """A birth date at which a person is exactly ``age`` on ``as_of``."""
    latest = _years_before(as_of, age)
    earliest = _years_before(as_of, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class IdNumbers:
    """Valid, unique ID numbers: ``make_id_number`` has 100 sequence codes per day and sex."""

    def __init__(self) -> None:
        self._used: set[tuple[str, date, str, int]] = set()

    def make(self, rng: Random, birth: date, sex: str) -> str:
        region = _REGION_CODES[bisect(_REGION_CUM, rng.random() * _REGION_CUM[-1])]
        for attempt in range(200):
            seq = rng.randrange(100)
            key = (region, birth, sex, seq)
            if key not in self._used:
                self._used.add(key)
                return make_id_number(region, birth, seq, sex)
            if attempt == 100:
                region = "220403"
        raise RuntimeError("no free ID sequence")  # pragma: no cover - 10 000 per day


def phone_for(rng: Random, age: int) -> str:
    r = rng.random()
    if age < 12:
        return ""
    if age < 18:
        return names.mobile(rng) if r < 0.6 else ""
    if age < 60:
        return names.mobile(rng) if r < 0.96 else ""
    if age < 80:
        return names.mobile(rng) if r < 0.8 else names.landline(rng) if r < 0.88 else ""
    return names.mobile(rng) if r < 0.45 else names.landline(rng) if r < 0.65 else ""


def make_people(
    rng: Random, members: list[Member], household: int, as_of: date, ids: IdNumbers
) -> list[PersonPlan]:
    line, spouse = names.surname(rng), names.surname(rng)
    people = []
    for m in members:
        birth = birth_date_for(rng, m.age, as_of)
        family = line if m.family == "line" else spouse if m.family == "spouse" else None
        people.append(
            PersonPlan(
                name=names.full_name(rng, m.sex, birth.year, family),
                sex=m.sex,
                birth_date=birth,
                id_number=ids.make(rng, birth, m.sex),
                phone=phone_for(rng, m.age),
                household=household,
                relation=m.relation,
            )
        )
    return people


def _since(rng: Random, as_of: date, birth: date, max_years: int = 10) -> date:
    start = as_of - timedelta(days=rng.randint(30, 365 * max_years))
    return max(start, birth)


def add_tags(
    rng: Random, kind: str, people: list[PersonPlan], ages: list[int], urban: bool, as_of: date
) -> None:
    """Tags with plausible rates for this household (only open tags count as current)."""
    disabled_grade: dict[int, int] = {}
    for i, (p, age) in enumerate(zip(people, ages, strict=True)):
        _person_tags(rng, p, age, kind, urban, as_of, disabled_grade, i)
    _household_tags(rng, kind, people, ages, urban, as_of, disabled_grade)


def _person_tags(
    rng: Random,
    p: PersonPlan,
    age: int,
    kind: str,
    urban: bool,
    as_of: date,
    disabled_grade: dict[int, int],
    i: int,
) -> None:
    tag = p.tags.append
    if kind == "elder_alone" and age >= 60 and rng.random() < 0.92:
        tag(TagPlan(Tag.LIVING_ALONE, _since(rng, as_of, p.birth_date)))
    # 残疾 (registered disability): about 6 % overall, rising with age.
    p_dis = 0.015 if age < 18 else 0.045 if age < 60 else 0.10 if age < 80 else 0.18
    if rng.random() < p_dis:
        grade = rng.choices((1, 2, 3, 4), (12, 23, 28, 37))[0]
        disabled_grade[i] = grade
        since = _since(rng, as_of, p.birth_date, 20)
        tag(TagPlan(Tag.DISABLED, since, grade=grade))
        if grade <= 2:
            tag(TagPlan(Tag.SEVERE_DISABILITY, since))
    # 失能 (cannot care for oneself): mostly the very old.
    p_inc = 0.18 if age >= 80 else 0.03 if age >= 60 else 0.0
    if disabled_grade.get(i) == 1 and age >= 60:
        p_inc = max(p_inc, 0.6)
    if rng.random() < p_inc:
        tag(TagPlan(Tag.DISABLED_CARE, _since(rng, as_of, p.birth_date, 6)))
    # 特困 (extreme poverty, 五保 in the villages): elderly alone without support, severe
    # disability without family; never also 低保 (they are separate schemes).
    if (kind == "elder_alone" and rng.random() < (0.04 if urban else 0.10)) or (
        kind == "single_adult" and disabled_grade.get(i, 9) <= 2 and rng.random() < 0.3
    ):
        tag(TagPlan(Tag.EXTREME_POVERTY, _since(rng, as_of, p.birth_date, 12)))
    if 22 <= age < 60 and rng.random() < (0.04 if urban else 0.01):
        tag(TagPlan(Tag.UNEMPLOYED, _since(rng, as_of, p.birth_date, 2)))
    elif 22 <= age < 60 and rng.random() < 0.02:
        # history: registered once, found work again
        start = _since(rng, as_of, p.birth_date, 6)
        end = min(as_of, start + timedelta(days=rng.randint(60, 500)))
        tag(TagPlan(Tag.UNEMPLOYED, start, ended_on=end))
    if age >= 22 and rng.random() < (0.05 if p.sex == "M" else 0.003):
        tag(TagPlan(Tag.VETERAN, _since(rng, as_of, p.birth_date, 30)))
    if 18 <= age < 65 and rng.random() < 0.0006:
        tag(TagPlan(Tag.CORRECTIONS, _since(rng, as_of, p.birth_date, 2)))


def _household_tags(
    rng: Random,
    kind: str,
    people: list[PersonPlan],
    ages: list[int],
    urban: bool,
    as_of: date,
    disabled_grade: dict[int, int],
) -> None:
    severe = any(g <= 2 for g in disabled_grade.values())
    # 低保 is granted to a household: every member holds it (except 特困 persons).
    p_low = (0.03 if urban else 0.07) * (3 if severe else 1) * (2 if kind == "single_parent" else 1)
    low_income = rng.random() < p_low
    if low_income:
        since = as_of - timedelta(days=rng.randint(60, 3650))
        for p in people:
            if all(t.tag != Tag.EXTREME_POVERTY for t in p.tags):
                p.tags.append(TagPlan(Tag.LOW_INCOME, max(since, p.birth_date)))
    for i, (p, age) in enumerate(zip(people, ages, strict=True)):
        if age >= 16:
            continue
        # 留守儿童: rural children whose parents both work away, raised by grandparents.
        if kind == "skip_gen" and not urban and rng.random() < 0.9:
            p.tags.append(TagPlan(Tag.LEFT_BEHIND_CHILD, _since(rng, as_of, p.birth_date, 5)))
        hard = (low_income and (kind == "single_parent" or severe)) or disabled_grade.get(i, 9) <= 2
        if hard and rng.random() < 0.8:
            p.tags.append(TagPlan(Tag.DIFFICULTY_CHILD, _since(rng, as_of, p.birth_date, 4)))
