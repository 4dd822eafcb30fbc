"""Django admin for every registry model, with Chinese labels; numbers shown masked only."""

from django.contrib import admin

from shequ.registry.models import (
    AdminUnit,
    Building,
    BuildingUnit,
    Certificate,
    Household,
    Person,
    PersonTag,
    Residence,
    Training,
    Worker,
)


class ScopedAdmin(admin.ModelAdmin):
    """Admin lists are limited to the staff user's scope, through the same queryset method."""

    def get_queryset(self, request):
        return super().get_queryset(request).in_scope(request.user)


@admin.register(AdminUnit)
class AdminUnitAdmin(ScopedAdmin):
    list_display = ("code", "name", "level", "is_urban", "households", "population", "active")
    list_filter = ("level", "is_urban", "active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)


class BuildingUnitInline(admin.TabularInline):
    model = BuildingUnit
    extra = 0


@admin.register(Building)
class BuildingAdmin(ScopedAdmin):
    list_display = ("number", "address", "unit", "floors")
    search_fields = ("number", "address", "unit__code")
    raw_id_fields = ("unit",)
    inlines = [BuildingUnitInline]


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ("number", "address", "unit")
    search_fields = ("number", "address")
    raw_id_fields = ("unit", "building", "building_unit")


class PersonTagInline(admin.TabularInline):
    model = PersonTag
    extra = 0


class ResidenceInline(admin.TabularInline):
    model = Residence
    extra = 0
    raw_id_fields = ("household",)


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    list_display = ("name", "sex", "birth_date", "id_number_mask", "phone_mask", "unit", "status")
    list_filter = ("status", "sex")
    search_fields = ("name",)
    raw_id_fields = ("unit", "household")
    readonly_fields = ("id_number_mask", "phone_mask")
    exclude = ("id_number_enc", "id_number_hash", "phone_enc", "phone_hash")
    inlines = [PersonTagInline, ResidenceInline]

    def has_add_permission(self, request) -> bool:
        # New persons go through the registry service (ID check, encryption, audit).
        return False


class CertificateInline(admin.TabularInline):
    model = Certificate
    extra = 0


class TrainingInline(admin.TabularInline):
    model = Training
    extra = 0


@admin.register(Worker)
class WorkerAdmin(ScopedAdmin):
    list_display = ("name", "unit", "post", "level", "party_post", "grid_role", "disaster_officer")
    list_filter = ("post", "grid_role", "party_post", "disaster_officer")
    search_fields = ("name",)
    raw_id_fields = ("unit", "user")
    inlines = [CertificateInline, TrainingInline]
