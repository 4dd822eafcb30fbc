"""Log-in throttling: failed attempts per user name and per address lock for a while."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from shequ.accounts.models import LoginAttempt


def _window_start():
    return timezone.now() - timedelta(minutes=settings.LOGIN_LOCK_MINUTES)


def is_locked(username: str, address: str | None) -> bool:
    """True once either the name or the address has reached the failure limit in the window."""
    recent = LoginAttempt.objects.filter(at__gte=_window_start())
    limit = settings.LOGIN_MAX_FAILURES
    if recent.filter(username=username.lower()).count() >= limit:
        return True
    # An address gets more room: a community office shares one NAT address.
    return bool(address) and recent.filter(address=address).count() >= limit * 4


def record_failure(username: str, address: str | None) -> None:
    LoginAttempt.objects.create(username=username.lower(), address=address or None)


def clear_failures(username: str) -> None:
    LoginAttempt.objects.filter(username=username.lower()).delete()
