"""Admin: the catalogue, routing rules, deadline classes and the holiday table the district
edits; tickets and their history read-only (they change only through the workflow); Open311
keys issued here, the clear key shown once."""

from django.contrib import admin, messages

from shequ.tickets import deadlines
from shequ.tickets.models import (
    ApiKey,
    CalendarDay,
    Category,
    DeadlineClass,
    Notification,
    ResponsibleUnit,
    RoutingRule,
    Ticket,
    TicketEvent,
)
from shequ.tickets.open311 import issue_key


@admin.register(DeadlineClass)
class DeadlineClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "accept_hours", "answer_unit", "answer_amount")


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0
    autocomplete_fields = ("responsible_unit",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "order",
        "code",
        "name",
        "group",
        "deadline_class",
        "routing",
        "default_unit",
        "active",
    )
    list_display_links = ("code", "name")
    list_filter = ("group", "routing", "active")
    search_fields = ("code", "name", "keywords")
    autocomplete_fields = ("default_unit",)
    inlines = [RoutingRuleInline]


@admin.register(ResponsibleUnit)
class ResponsibleUnitAdmin(admin.ModelAdmin):
    list_display = ("__str__", "department", "admin_unit")
    search_fields = ("department__name", "admin_unit__name", "admin_unit__code")
    raw_id_fields = ("admin_unit",)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "unit_prefix", "responsible_unit", "note")
    list_filter = ("category",)
    autocomplete_fields = ("responsible_unit",)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "is_workday", "source", "updated_at")
    list_filter = ("source", "is_workday")
    date_hierarchy = "date"
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        obj.source = "manual"  # an edit here is the district's own entry
        super().save_model(request, obj, form, change)
        deadlines.invalidate()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        deadlines.invalidate()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor_label", "action", "from_status", "to_status", "unit", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "created_at",
        "channel",
        "category",
        "status",
        "assigned_unit",
        "accept_due",
        "answer_due",
    )
    list_filter = ("status", "channel", "category")
    search_fields = ("number",)
    date_hierarchy = "created_at"
    list_select_related = ("category", "assigned_unit__department", "assigned_unit__admin_unit")
    exclude = ("contact_name_enc", "contact_phone_enc", "contact_phone_hash")
    inlines = [TicketEventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).in_scope(request.user)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "audience", "recipient", "text", "sent_at", "attempts")
    list_filter = ("audience", "sent_at")
    exclude = ("phone_enc",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "active", "created_at", "last_used_at")
    fields = ("name", "active", "prefix", "created_at", "last_used_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = issue_key(obj.name)
        key.active = obj.active
        key.save(update_fields=["active"])
        obj.pk, obj.prefix, obj.key_hash = key.pk, key.prefix, key.key_hash
        messages.warning(request, f"请立即把密钥交给“{key.name}”，此后不再显示：{raw}")
