"""Log-in: Argon2 hashes, rate limiting of failed attempts, scope-aware landing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.accounts.models import LoginAttempt, User

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(settings, units):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = User.objects.create_user(
        "argon", password="s3cret-pass-2026", scope_unit=units["district"]
    )
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("s3cret-pass-2026")


def test_good_password_logs_in_and_lands_on_the_tree(client, personas):
    response = _login(client, "clerk_a", "pw-clerk_a-2026")
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).status_code == 200


def test_wrong_password_says_so_in_chinese(client, personas):
    response = _login(client, "clerk_a", "wrong")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert LoginAttempt.objects.filter(username="clerk_a").count() == 1


def test_lock_after_too_many_failures_even_with_the_right_password(client, personas, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        _login(client, "clerk_a", "wrong")
    response = _login(client, "clerk_a", "pw-clerk_a-2026")
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user from another address is not locked out by clerk_a's failures.
    other = client.__class__(REMOTE_ADDR="10.0.0.9")
    assert _login(other, "clerk_b", "pw-clerk_b-2026").status_code == 302


def test_success_clears_the_failure_count(client, personas):
    _login(client, "clerk_a", "wrong")
    _login(client, "clerk_a", "pw-clerk_a-2026")
    assert not LoginAttempt.objects.filter(username="clerk_a").exists()


def test_departments_of_the_plan_are_loaded():
    from shequ.accounts.models import Department

    names = set(Department.objects.values_list("name", flat=True))
    assert {"区民政局", "区住建局", "区应急局", "区残联", "区委政法委"} <= names
    assert len(names) == 23
