"""Registry API: units, buildings, households, persons (masked) and workers, all in scope."""

from datetime import date
from typing import Annotated

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from shequ.pagination import Page
from shequ.registry import services
from shequ.registry.models import AdminUnit, Building, Household, Person, Worker

router = Router(tags=["registry"])


class UnitOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = Field(None, alias="parent.code")
    is_urban: bool
    urban_rural_code: str
    households: int
    population: int
    centre_lat: float | None
    centre_lon: float | None
    geometry_generated: bool


class UnitFilter(FilterSchema):
    level: str | None = None
    parent: Annotated[str | None, FilterLookup("parent__code")] = None
    code_prefix: Annotated[str | None, FilterLookup("code__startswith")] = None
    name: Annotated[str | None, FilterLookup("name__contains")] = None


@router.get("/units", response=list[UnitOut], summary="行政区划/网格列表")
@paginate(Page)
def list_units(request: HttpRequest, filters: Query[UnitFilter]):
    units = AdminUnit.objects.in_scope(request.user).active().select_related("parent")
    return filters.filter(units)


@router.get("/units/{code}", response=UnitOut, summary="单个区划")
def get_unit(request: HttpRequest, code: str):
    return get_object_or_404(
        AdminUnit.objects.in_scope(request.user).select_related("parent"), code=code
    )


class BuildingOut(Schema):
    id: int
    unit_code: str = Field(..., alias="unit.code")
    number: str
    address: str
    floors: int | None
    lat: float | None
    lon: float | None


class BuildingFilter(FilterSchema):
    unit: Annotated[str | None, FilterLookup("unit__code__startswith")] = None
    number: str | None = None


@router.get("/buildings", response=list[BuildingOut], summary="楼栋列表")
@paginate(Page)
def list_buildings(request: HttpRequest, filters: Query[BuildingFilter]):
    return filters.filter(Building.objects.in_scope(request.user).select_related("unit"))


@router.get("/buildings/{building_id}", response=BuildingOut, summary="单个楼栋")
def get_building(request: HttpRequest, building_id: int):
    return get_object_or_404(
        Building.objects.in_scope(request.user).select_related("unit"), pk=building_id
    )


class HouseholdOut(Schema):
    id: int
    number: str
    unit_code: str = Field(..., alias="unit.code")
    building_id: int | None
    room: str
    address: str


class HouseholdFilter(FilterSchema):
    unit: Annotated[str | None, FilterLookup("unit__code__startswith")] = None
    building: Annotated[int | None, FilterLookup("building_id")] = None
    number: str | None = None


@router.get("/households", response=list[HouseholdOut], summary="户列表")
@paginate(Page)
def list_households(request: HttpRequest, filters: Query[HouseholdFilter]):
    return filters.filter(Household.objects.in_scope(request.user).select_related("unit"))


@router.get("/households/{household_id}", response=HouseholdOut, summary="单户")
def get_household(request: HttpRequest, household_id: int):
    return get_object_or_404(
        Household.objects.in_scope(request.user).select_related("unit"), pk=household_id
    )


class PersonOut(Schema):
    """A person as the API shows it: ID and phone numbers masked, always."""

    id: int
    name: str
    sex: str
    birth_date: date
    id_number: str = Field(..., alias="id_number_mask")
    phone: str = Field(..., alias="phone_mask")
    unit_code: str = Field(..., alias="unit.code")
    household_number: str | None = Field(None, alias="household.number")
    relation: str
    status: str
    tags: list[str]

    @staticmethod
    def resolve_tags(obj: Person) -> list[str]:
        return sorted(t.tag for t in obj.tags.all() if t.ended_on is None)


class PersonFilter(FilterSchema):
    unit: Annotated[str | None, FilterLookup("unit__code__startswith")] = None
    household: Annotated[str | None, FilterLookup("household__number")] = None
    status: str | None = None
    tag: Annotated[str | None, FilterLookup("tags__tag")] = None


class PersonIn(Schema):
    name: str
    id_number: str
    unit_code: str
    phone: str = ""
    household_number: str | None = None
    relation: str = ""


class Reveal(Schema):
    reason: str


class RevealOut(Schema):
    id_number: str


@router.get("/persons", response=list[PersonOut], summary="居民列表（号码脱敏）")
@paginate(Page)
def list_persons(request: HttpRequest, filters: Query[PersonFilter]):
    persons = (
        Person.objects.in_scope(request.user)
        .select_related("unit", "household")
        .prefetch_related("tags")
    )
    return filters.filter(persons).distinct()


@router.get("/persons/{person_id}", response=PersonOut, summary="单个居民（号码脱敏）")
def get_person(request: HttpRequest, person_id: int):
    persons = Person.objects.in_scope(request.user).select_related("unit", "household")
    return get_object_or_404(persons.prefetch_related("tags"), pk=person_id)


@router.post("/persons", response={201: PersonOut}, summary="登记居民")
def create_person(request: HttpRequest, payload: PersonIn):
    person = services.create_person(services.PersonInput(**payload.dict()), actor=request.user)
    return Status(201, Person.objects.select_related("unit", "household").get(pk=person.pk))


@router.post("/persons/{person_id}/reveal", response=RevealOut, summary="查看完整身份证号（留痕）")
def reveal_person_id(request: HttpRequest, person_id: int, payload: Reveal):
    person = get_object_or_404(Person.objects.in_scope(request.user), pk=person_id)
    return {
        "id_number": services.reveal_id_number(person, actor=request.user, reason=payload.reason)
    }


class WorkerOut(Schema):
    id: int
    name: str
    unit_code: str = Field(..., alias="unit.code")
    phone: str = Field(..., alias="phone_mask")
    post: str
    level: int
    party_post: bool
    grid_role: str
    disaster_officer: bool
    certificates: list[str]

    @staticmethod
    def resolve_certificates(obj: Worker) -> list[str]:
        return [c.level for c in obj.certificates.all()]


class WorkerFilter(FilterSchema):
    unit: Annotated[str | None, FilterLookup("unit__code__startswith")] = None
    post: str | None = None
    grid_role: str | None = None


@router.get("/workers", response=list[WorkerOut], summary="社区工作者列表")
@paginate(Page)
def list_workers(request: HttpRequest, filters: Query[WorkerFilter]):
    workers = Worker.objects.in_scope(request.user).select_related("unit")
    return filters.filter(workers.prefetch_related("certificates"))


@router.get("/workers/{worker_id}", response=WorkerOut, summary="单个社区工作者")
def get_worker(request: HttpRequest, worker_id: int):
    workers = Worker.objects.in_scope(request.user).select_related("unit")
    return get_object_or_404(workers.prefetch_related("certificates"), pk=worker_id)
