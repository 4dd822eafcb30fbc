"""Django admin for care: read-mostly lists, limited to the staff user's scope."""

from django.contrib import admin

from shequ.care.models import CareTarget, Provider, ServiceOrder, Visit, VisitPolicy, VisitTask


class ScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).in_scope(request.user)


@admin.register(VisitPolicy)
class VisitPolicyAdmin(admin.ModelAdmin):
    """Policies are changed on the care pages (validated by the service); here they are read."""

    list_display = ("care_class", "name", "season_label", "period", "min_visits", "active")
    list_filter = ("care_class", "active")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(CareTarget)
class CareTargetAdmin(ScopedAdmin):
    list_display = ("person", "care_class", "unit", "started_on", "ended_on", "end_reason")
    list_filter = ("care_class", "end_reason")
    search_fields = ("person__name", "unit__code")
    raw_id_fields = ("person", "unit")
    readonly_fields = ("person", "care_class", "unit", "started_on", "ended_on", "end_reason")


@admin.register(VisitTask)
class VisitTaskAdmin(ScopedAdmin):
    list_display = ("target", "period_start", "period_end", "required", "assignee", "status")
    list_filter = ("status", "period")
    raw_id_fields = ("target", "assignee", "policy")


@admin.register(Visit)
class VisitAdmin(ScopedAdmin):
    list_display = ("person", "visited_at", "method", "visitor", "risk")
    list_filter = ("method", "risk")
    search_fields = ("person__name",)
    raw_id_fields = ("person", "target", "visitor", "recorded_by")

    def has_change_permission(self, request, obj=None):
        return False  # visits are append-only records


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "area", "phone", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    raw_id_fields = ("area",)
    filter_horizontal = ("users",)


@admin.register(ServiceOrder)
class ServiceOrderAdmin(ScopedAdmin):
    list_display = ("person", "kind", "provider", "scheduled_on", "status", "rating")
    list_filter = ("status", "kind")
    raw_id_fields = ("target", "person", "provider", "visit", "ordered_by", "completed_by")
