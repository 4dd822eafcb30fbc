"""Forms of the ticket pages: they parse; the services validate the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.registry.models import AdminUnit, Level
from shequ.tickets.models import PUBLIC_CHANNELS, Category, Channel, Satisfaction, Status
from shequ.tickets.queries import TicketFilter


def _category_choices() -> list[tuple[str, str]]:
    return [("", _("不确定（由系统和工作人员判断）"))] + [
        (c.code, c.name) for c in Category.objects.active()
    ]


class SubmitForm(forms.Form):
    """The resident's form: no account needed."""

    text = forms.CharField(
        label=_("诉求内容"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000
    )
    category = forms.ChoiceField(label=_("类别"), required=False)
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20)
    unit_code = forms.ChoiceField(label=_("所在社区/村"), required=False)
    address = forms.CharField(label=_("详细地址"), max_length=200, required=False)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    device_token = forms.CharField(required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices()
        communities = (
            AdminUnit.objects.active()
            .filter(level=Level.COMMUNITY)
            .select_related("parent")
            .order_by("code")
        )
        self.fields["unit_code"].choices = [("", _("不清楚（按地图位置或地址判断）"))] + [
            (u.code, f"{u.parent.name if u.parent else ''} {u.name}") for u in communities
        ]


class StaffIntakeForm(SubmitForm):
    """A clerk, officer or grid worker files on a resident's behalf."""

    channel = forms.ChoiceField(
        label=_("受理渠道"),
        choices=[
            (c.value, c.label) for c in Channel if c not in PUBLIC_CHANNELS or c == Channel.KIOSK
        ],
        initial=Channel.WINDOW,
    )
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            units = (
                AdminUnit.objects.in_scope(user)
                .active()
                .filter(level__in=(Level.STREET, Level.COMMUNITY, Level.GRID))
                .order_by("code")
            )
            self.fields["unit_code"].choices = [("", _("本人管辖范围"))] + [
                (u.code, f"{u.code} {u.name}") for u in units
            ]
            self.fields["unit_code"].label = _("所在区划")


def extra_answers(category: Category | None, data) -> dict:
    """The answers to a category's extra questions from POST data (``extra_<code>``)."""
    if category is None:
        return {}
    return {q["code"]: data.get(f"extra_{q['code']}", "") for q in category.extra_questions}


class FilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False)
    category = forms.ChoiceField(label=_("类别"), required=False)
    area = forms.CharField(label=_("区划代码"), required=False, max_length=15)
    created_from = forms.DateField(
        label=_("受理日期从"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = forms.ChoiceField(
        label=_("超期"),
        required=False,
        choices=[("", _("全部")), ("1", _("已超期")), ("0", _("未超期"))],
    )
    number = forms.CharField(label=_("受理编号"), required=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部")), *Status.choices]
        self.fields["category"].choices = [("", _("全部"))] + [
            (c.code, c.name) for c in Category.objects.all()
        ]

    def to_filter(self) -> TicketFilter:
        if not self.is_valid():
            return TicketFilter()
        d = self.cleaned_data
        overdue = {"1": True, "0": False}.get(d["overdue"])
        return TicketFilter(
            status=d["status"] or None,
            category=d["category"] or None,
            area=d["area"] or None,
            created_from=d["created_from"],
            created_to=d["created_to"],
            overdue=overdue,
            number=d["number"] or None,
        )


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("您对答复满意吗"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    solved = forms.TypedChoiceField(
        label=_("问题解决了吗"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("已解决")), ("no", _("未解决"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("意见建议"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
