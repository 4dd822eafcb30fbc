"""Template helpers of the care pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def rate_badge(row) -> str:
    """A rate as a percentage, green at the plan's 100%, red below; a dash without targets."""
    if row.rate is None:
        return mark_safe('<span class="muted">—</span>')
    css = "rate-ok" if row.on_target else "rate-bad"
    return format_html('<span class="rate {}">{}%</span>', css, f"{row.rate * 100:.1f}")
