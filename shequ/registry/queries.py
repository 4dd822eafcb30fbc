"""Reads of the registry: the unit tree with its counts, and person search, all scoped."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from shequ.registry.models import AdminUnit, Household, Person, PersonTag, Tag
from shequ.registry.pii import id_hash_of, phone_hash_of


def search_persons(user: Any, query: str) -> QuerySet[Person]:
    """Persons in scope matching a name (substring), a phone or an ID number (exact, by hash)."""
    query = (query or "").strip()
    persons = Person.objects.in_scope(user).select_related("unit", "household")
    if not query:
        return persons.none()
    id_hash = id_hash_of(query) if len(query) == 18 else None
    if id_hash:
        return persons.filter(id_number_hash=id_hash)
    phone_hash = phone_hash_of(query) if query[:1].isdigit() else None
    if phone_hash:
        return persons.filter(phone_hash=phone_hash)
    return persons.filter(name__contains=query)


def unit_counts(units: list[AdminUnit], *, on: date) -> dict[str, dict[str, int]]:
    """Households, persons, elderly and each tag under every unit given (its whole subtree).

    One grouped query per measure over the 15-digit-or-shorter code prefixes, not one query
    per unit: the tree page stays a handful of queries whatever its size.
    """
    counts: dict[str, dict[str, int]] = {u.code: defaultdict(int) for u in units}
    if not units:
        return counts
    lengths = {len(u.code) for u in units}
    prefix = min((u.code for u in units), key=len)
    persons = Person.objects.active().filter(unit__code__startswith=prefix[:6])
    households = Household.objects.filter(unit__code__startswith=prefix[:6])
    tags = PersonTag.objects.filter(
        ended_on__isnull=True, person__status="active", person__unit__code__startswith=prefix[:6]
    )
    sixty = persons.aged_at_least(60, on=on)
    eighty = persons.aged_at_least(80, on=on)
    for length in lengths:
        key = Substr("unit__code", 1, length)
        for measure, qs in (
            ("households", households),
            ("persons", persons),
            ("elderly60", sixty),
            ("elderly80", eighty),
        ):
            for row in qs.annotate(k=key).values("k").annotate(n=Count("id")):
                if row["k"] in counts:
                    counts[row["k"]][measure] = row["n"]
        tkey = Substr("person__unit__code", 1, length)
        for row in tags.annotate(k=tkey).values("k", "tag").annotate(n=Count("id")):
            if row["k"] in counts:
                counts[row["k"]][row["tag"]] = row["n"]
    return counts


def children_in_scope(user: Any, unit: AdminUnit | None) -> QuerySet[AdminUnit]:
    units = AdminUnit.objects.in_scope(user).active()
    if unit is None:
        # The top of what the user sees: the shortest codes in scope.
        first = units.order_by("code").first()
        if first is None:
            return units.none()
        return units.filter(code__regex=rf"^[0-9]{{{len(first.code)}}}$")
    return units.filter(parent=unit)


TAG_COLUMNS = [
    (Tag.LIVING_ALONE, Tag.LIVING_ALONE.label),
    (Tag.DISABLED, Tag.DISABLED.label),
    (Tag.EXTREME_POVERTY, Tag.EXTREME_POVERTY.label),
    (Tag.LEFT_BEHIND_CHILD, Tag.LEFT_BEHIND_CHILD.label),
    (Tag.VETERAN, Tag.VETERAN.label),
]


def household_members(household: Household) -> QuerySet[Person]:
    return household.members.filter(~Q(status="deceased")).prefetch_related("tags")
