from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from shequ.accounts import services


class ThrottledLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不正确。"),
        "locked": _("登录失败次数过多，请 %(minutes)s 分钟后再试。"),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = self.request.META.get("REMOTE_ADDR") if self.request else None
        if services.is_locked(username, address):
            from django.conf import settings

            raise forms.ValidationError(
                self.error_messages["locked"],
                code="locked",
                params={"minutes": settings.LOGIN_LOCK_MINUTES},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            services.record_failure(username, address)
            raise
        services.clear_failures(username)
        return cleaned
