from django import template

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """0.8531 → '85.3%'; None (nothing to divide) → '—'."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"
