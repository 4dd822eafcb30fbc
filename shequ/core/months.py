"""Month names as the interface shows them, in the active language."""

from __future__ import annotations

from datetime import date

from django.utils.formats import date_format
from django.utils.translation import pgettext


def month_heading(month: int | date) -> str:
    """A short month name: 9月 in Chinese, Sep in English (a date format, translated)."""
    day = month if isinstance(month, date) else date(2000, month, 1)
    return date_format(day, pgettext("month heading, a date format", "n月"))
