"""The facility form of the pages: it parses; ``services`` holds the rules and decides.

Numbers, times and choices are parsed here (a word in a number field is the form's
error); every rule of the registry (areas, opening spans, scope, duplicate names) is the
service's, whose error is put back on the field it names.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shequ.errors import DomainError
from shequ.facilities import queries
from shequ.facilities.models import DAY_CHOICES, Facility, RoomFunction
from shequ.facilities.services import FacilityInput, HoursSpec, RoomSpec

DAYS = [day for day, _label in DAY_CHOICES]
AREA_FIELDS = ("floor_area", "activity_area", "office_area", "commercial_area")


def _area(label: Any) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


def _time(label: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class FacilityForm(forms.Form):
    """Type, name, owner unit, place, areas, staff and the opening hours of each day.

    ``unit`` is a plain text value shown as a select of the user's units: a code from
    outside the scope must reach the service (which answers 404), not be turned into a
    "not one of the choices" message that would confirm the unit exists.
    """

    type = forms.ChoiceField(label=_("类型"))
    name = forms.CharField(label=_("名称"), max_length=100)
    unit = forms.CharField(label=_("所属单位"), max_length=20)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    lat = forms.FloatField(
        label=_("纬度"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    lon = forms.FloatField(
        label=_("经度"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    floor_area = _area(_("总建筑面积(㎡)"))
    activity_area = _area(_("居民活动区域面积(㎡)"))
    office_area = _area(_("办公面积(㎡)"))
    commercial_area = _area(_("商业面积(㎡)"))
    staff_on_duty = forms.IntegerField(label=_("值班人数"), required=False, initial=0)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, facility: Facility | None = None, **kwargs: Any):
        if facility is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(facility)
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.fields["type"].choices = [
            (t.code, f"{t.name}（{t.standard_minutes}分钟）") for t in queries.types()
        ]
        units = [(u.code, f"{u.name}（{u.code}）") for u in queries.owner_units(user)]
        if facility is not None and facility.unit.code not in dict(units):
            units.insert(0, (facility.unit.code, f"{facility.unit.name}（{facility.unit.code}）"))
        self.fields["unit"].widget = forms.Select(choices=units)
        for day, label in DAY_CHOICES:
            self.fields[f"opens_{day}"] = _time(gettext("%(day)s开门") % {"day": label})
            self.fields[f"closes_{day}"] = _time(gettext("%(day)s关门") % {"day": label})
            self.fields[f"all_day_{day}"] = forms.BooleanField(
                label=gettext("%(day)s全天开放") % {"day": label}, required=False
            )
            for kind in ("opens", "closes", "all_day"):
                # the hours table shows the day and the column, not each field's label
                field = self.fields[f"{kind}_{day}"]
                field.widget.attrs["aria-label"] = str(field.label)

    def clean_staff_on_duty(self) -> int:
        value = self.cleaned_data.get("staff_on_duty")
        return 0 if value is None else value

    def basic_fields(self) -> list[forms.BoundField]:
        names = ("type", "name", "unit", "address", "lat", "lon", "staff_on_duty", "note")
        return [self[n] for n in names]

    def area_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in AREA_FIELDS]

    def hours_rows(self) -> list[dict[str, Any]]:
        """The bound fields of each day, for the hours table."""
        return [
            {
                "day": day,
                "label": label,
                "opens": self[f"opens_{day}"],
                "closes": self[f"closes_{day}"],
                "all_day": self[f"all_day_{day}"],
            }
            for day, label in DAY_CHOICES
        ]

    def hours(self) -> dict[str, HoursSpec | None]:
        """Each day: all day, a span (possibly half-filled: the service says so) or closed."""
        d = self.cleaned_data
        out: dict[str, HoursSpec | None] = {}
        for day in DAYS:
            opens, closes = d.get(f"opens_{day}"), d.get(f"closes_{day}")
            if d.get(f"all_day_{day}"):
                out[day] = HoursSpec(all_day=True)
            elif opens is None and closes is None:
                out[day] = None
            else:
                out[day] = HoursSpec(opens=opens, closes=closes)
        return out

    def to_input(self, rooms: list[RoomSpec], *, active: bool = True) -> FacilityInput:
        d = self.cleaned_data
        return FacilityInput(
            type_code=d["type"],
            name=d["name"],
            unit_code=d["unit"],
            address=d.get("address") or "",
            lat=d.get("lat"),
            lon=d.get("lon"),
            **{key: d.get(key) for key in AREA_FIELDS},
            staff_on_duty=d.get("staff_on_duty") or 0,
            active=active,
            note=d.get("note") or "",
            hours=self.hours(),
            rooms=rooms,
        )

    def add_service_error(self, exc: DomainError) -> bool:
        """Put a service's error on the field it names (at the top when it names none of
        this form's); False for the rooms' errors, which the rooms section shows."""
        field = exc.field or ""
        if field == "rooms":
            return False
        if field in DAYS:
            field = f"opens_{field}"
        self.add_error(field if field in self.fields else None, exc.message)
        return True


def initial_of(facility: Facility) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "type": facility.type.code,
        "name": facility.name,
        "unit": facility.unit.code,
        "address": facility.address,
        "lat": facility.lat,
        "lon": facility.lon,
        "staff_on_duty": facility.staff_on_duty,
        "note": facility.note,
        **{key: getattr(facility, key) for key in AREA_FIELDS},
    }
    for h in facility.hours.all():
        if h.all_day:
            initial[f"all_day_{h.day}"] = True
        else:
            initial[f"opens_{h.day}"] = h.opens
            initial[f"closes_{h.day}"] = h.closes
    return initial


class RoomForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=60, required=False)
    area = forms.FloatField(
        label=_("面积(㎡)"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    functions = forms.MultipleChoiceField(
        label=_("功能"),
        choices=RoomFunction.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        filled = d.get("area") is not None or d.get("functions")
        if filled and not (d.get("name") or "").strip() and not d.get("DELETE"):
            self.add_error("name", gettext("请填写功能室名称。"))
        return d


class BaseRoomFormSet(forms.BaseFormSet):
    def rooms(self) -> list[RoomSpec]:
        """The rooms kept: named, not marked for removal (blank extra rows are skipped)."""
        out = []
        for form in self.forms:
            d = getattr(form, "cleaned_data", None) or {}
            name = (d.get("name") or "").strip()
            if not name or d.get("DELETE"):
                continue
            out.append(RoomSpec(name, d.get("area"), tuple(d.get("functions") or ())))
        return out


RoomFormSet = forms.formset_factory(
    RoomForm, formset=BaseRoomFormSet, extra=2, can_delete=True, max_num=100, validate_max=True
)


def room_initial(facility: Facility | None) -> list[dict[str, Any]]:
    if facility is None:
        return []
    return [
        {"name": r.name, "area": r.area, "functions": list(r.functions)}
        for r in facility.rooms.order_by("name")
    ]
