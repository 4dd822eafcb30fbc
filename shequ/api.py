"""The JSON API root: mounts each app's router; errors are JSON with a code and a message."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import django_auth

from shequ.errors import DomainError

api = NinjaAPI(
    title="城乡社区服务体系平台 API",
    version="1",
    auth=django_auth,
    docs_url="/docs",
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, code: str, message: str, **extra) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    extra = {"field": exc.field} if exc.field else {}
    return _error(request, exc.status, exc.code, exc.message, **extra)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, "validation_error", "请求数据格式不正确。", errors=exc.errors)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "请先登录。")


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "记录不存在或不在您的管辖范围内。")


def _mount() -> None:
    from shequ.care.api import router as care_router
    from shequ.facilities.api import router as facilities_router
    from shequ.registry.api import router as registry_router
    from shequ.tickets.api import router as tickets_router

    api.add_router("/", registry_router)
    api.add_router("/tickets", tickets_router)
    api.add_router("/care", care_router)
    api.add_router("/facilities", facilities_router)


_mount()
