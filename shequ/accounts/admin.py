from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from shequ.accounts.models import Department, LoginAttempt, User


@admin.register(User)
class ShequUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "role", "scope_unit", "department", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("范围", {"fields": ("role", "scope_unit", "department")}))
    raw_id_fields = ("scope_unit",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "duties")
    search_fields = ("name",)


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ("username", "address", "at")
    readonly_fields = ("username", "address", "at")
