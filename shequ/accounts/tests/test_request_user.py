"""The logged-in user and her session, read per request with plain statements: they must
equal what the ORM builds, and log-out, expiry and deactivation must still take effect."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from shequ.accounts.backends import load_user
from shequ.accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_user_and_her_unit_equal_what_the_orm_builds(personas, django_assert_num_queries):
    clerk = personas["clerk_a"]
    with django_assert_num_queries(1):
        loaded = load_user(clerk.pk)
        unit = loaded.scope_unit  # already there: no second query
    expected = User.objects.select_related("scope_unit").get(pk=clerk.pk)
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.last_login is None and timezone.is_aware(loaded.date_joined)
    assert loaded.is_active is True and loaded.is_superuser is False
    assert unit.code == "220403001001" and unit.is_urban is True
    assert "boundary" in unit.get_deferred_fields()


def test_a_department_handler_has_no_unit(personas):
    handler = load_user(personas["handler"].pk)
    assert handler.scope_unit is None and handler.department_id is not None
    assert load_user(10**9) is None


def test_a_session_lasts_until_log_out(client, personas):
    client.force_login(personas["clerk_a"])
    assert client.get("/api/tickets").status_code == 200
    client.logout()
    assert client.get("/api/tickets").status_code == 401


def test_an_expired_session_or_a_deactivated_user_is_anonymous(client, personas):
    client.force_login(personas["clerk_a"])
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/tickets").status_code == 401

    client.force_login(personas["clerk_b"])
    User.objects.filter(pk=personas["clerk_b"].pk).update(is_active=False)
    assert client.get("/api/tickets").status_code == 401
