"""Admin for facility types, facilities (with rooms, hours, photos) and access runs.

Lists are limited to the staff user's scope. Saving a facility here goes through the same
service entry that asks for a new access computation, so the map never goes stale.
"""

from django.contrib import admin

from shequ.audit import services as audit
from shequ.audit.models import Action
from shequ.facilities import services
from shequ.facilities.models import (
    AccessRun,
    Facility,
    FacilityPhoto,
    FacilityType,
    OpeningHours,
    Room,
)
from shequ.registry.models import AdminUnit


@admin.register(FacilityType)
class FacilityTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "standard_minutes", "held_to_standard", "plan_section", "order")
    list_editable = ("standard_minutes", "order")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "standard_minutes" in form.changed_data:
            # Coverage reads the standard at query time; nothing to recompute.
            audit.record(
                Action.UPDATE,
                obj,
                actor=request.user,
                changes={
                    "standard_minutes": [form.initial.get("standard_minutes"), obj.standard_minutes]
                },
            )


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class PhotoInline(admin.TabularInline):
    model = FacilityPhoto
    extra = 0


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ("name", "type", "unit", "floor_area", "activity_area", "active")
    list_filter = ("type", "active")
    search_fields = ("name", "address", "unit__code", "unit__name")
    raw_id_fields = ("unit",)
    inlines = [RoomInline, OpeningHoursInline, PhotoInline]

    def get_queryset(self, request):
        return super().get_queryset(request).in_scope(request.user).select_related("type", "unit")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            # Staff may only file a facility under a unit of their own scope.
            kwargs["queryset"] = AdminUnit.objects.in_scope(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = Action.UPDATE if change else Action.CREATE
        audit.record(action, obj, actor=request.user, changes={"admin": list(form.changed_data)})
        if services.ACCESS_FIELDS & set(form.changed_data) or not change:
            services.request_access_run(actor=request.user, reason=f"后台修改设施：{obj.name}")

    def delete_model(self, request, obj):
        audit.record(Action.DELETE, obj, actor=request.user)
        super().delete_model(request, obj)
        services.request_access_run(actor=request.user, reason=f"后台删除设施：{obj.name}")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(Action.DELETE, obj, actor=request.user)
        super().delete_queryset(request, queryset)
        services.request_access_run(actor=request.user, reason="后台批量删除设施")


@admin.register(AccessRun)
class AccessRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "progress", "reason", "buildings", "facilities")
    list_filter = ("status",)
    readonly_fields = [f.name for f in AccessRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
