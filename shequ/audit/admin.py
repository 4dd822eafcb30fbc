from django.contrib import admin

from shequ.audit.models import AuditEntry, ClearRead


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    list_display = ("at", "actor", "action", "model", "object_id", "summary")
    list_filter = ("action", "model")
    search_fields = ("object_id", "summary")


@admin.register(ClearRead)
class ClearReadAdmin(ReadOnly):
    list_display = ("at", "actor", "model", "object_id", "field", "reason")
    list_filter = ("field",)
