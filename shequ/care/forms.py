"""Page forms: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from shequ.care.models import (
    CareClass,
    Condition,
    Met,
    Method,
    Period,
    Risk,
    ServiceKind,
    VisitorRole,
)
from shequ.care.policies import ALL_MONTHS
from shequ.core.months import month_heading

TRI_STATE = [("", _("未检查")), ("1", _("正常")), ("0", _("有隐患"))]


def tri(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


class VisitForm(forms.Form):
    """The one short form of a visit: every field has the common answer preselected."""

    method = forms.ChoiceField(
        label=_("方式"), choices=Method.choices, initial=Method.HOME, widget=forms.RadioSelect
    )
    met = forms.ChoiceField(
        label=_("见到"), choices=Met.choices, initial=Met.SELF, widget=forms.RadioSelect
    )
    living = forms.ChoiceField(
        label=_("居住状况"),
        choices=Condition.choices,
        initial=Condition.GOOD,
        widget=forms.RadioSelect,
    )
    health = forms.ChoiceField(
        label=_("健康状况"),
        choices=Condition.choices,
        initial=Condition.GOOD,
        widget=forms.RadioSelect,
    )
    heating = forms.ChoiceField(
        label=_("取暖"), choices=TRI_STATE, required=False, initial="", widget=forms.RadioSelect
    )
    gas = forms.ChoiceField(
        label=_("燃气"), choices=TRI_STATE, required=False, initial="", widget=forms.RadioSelect
    )
    fall_risk = forms.BooleanField(label=_("有跌倒风险"), required=False)
    needs = forms.MultipleChoiceField(
        label=_("发现的服务需求"),
        choices=ServiceKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    needs_note = forms.CharField(label=_("需求说明"), max_length=500, required=False)
    risk = forms.ChoiceField(
        label=_("风险等级"), choices=Risk.choices, initial=Risk.LOW, widget=forms.RadioSelect
    )
    issue = forms.CharField(
        label=_("需要协调解决的问题（将生成接诉即办工单）"),
        max_length=1990,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    follow_up = forms.CharField(label=_("后续跟进"), max_length=500, required=False)
    visited_at = forms.DateTimeField(
        label=_("探访时间（默认现在）"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class OrderForm(forms.Form):
    kind = forms.ChoiceField(label=_("服务项目"), choices=ServiceKind.choices)
    provider = forms.IntegerField(label=_("服务商"), required=False)
    scheduled_on = forms.DateField(
        label=_("预约日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class ScheduleForm(forms.Form):
    provider = forms.IntegerField(label=_("服务商"))
    scheduled_on = forms.DateField(
        label=_("预约日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


class PolicyForm(forms.Form):
    care_class = forms.ChoiceField(label=_("关爱类别"), choices=CareClass.choices)
    name = forms.CharField(label=_("名称"), max_length=60)
    months = forms.TypedMultipleChoiceField(
        label=_("适用月份"),
        coerce=int,
        choices=[(m, lazy(month_heading, str)(m)) for m in ALL_MONTHS],
        widget=forms.CheckboxSelectMultiple,
    )
    period = forms.ChoiceField(label=_("周期"), choices=Period.choices)
    min_visits = forms.IntegerField(label=_("每周期最少探访次数"), min_value=1, max_value=31)
    methods = forms.MultipleChoiceField(
        label=_("计入的探访方式（入户始终计入）"),
        choices=Method.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    visitor_role = forms.ChoiceField(label=_("探访人"), choices=VisitorRole.choices)
    active = forms.BooleanField(label=_("启用"), required=False)
