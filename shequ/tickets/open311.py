"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) under ``/open311/v2/``.

Existing Open311 clients work unchanged: services list and definitions, POST requests
(form-encoded, with an ``api_key`` issued in the admin), GET requests with the spec's filters
plus ``page``/``page_size``, GET one request, GET tokens; JSON or XML by suffix; errors as the
spec's error list with 400/403/404.

Mapping: a service is a catalogue :class:`Category` (``service_code`` = its code); a service
request is a :class:`Ticket` (``service_request_id`` = its tracking number). Status is
``closed`` once answered (resolved or closed), else ``open``; ``agency_responsible`` is the
assigned unit; ``expected_datetime`` the answer deadline. Reads are public as the spec has
them, so descriptions are shown with phone and ID numbers masked, and no contact or photo.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import re_path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from shequ.core.masking import mask_id_number, mask_phone
from shequ.core.workdays import SHANGHAI
from shequ.errors import DomainError
from shequ.tickets import clock, services
from shequ.tickets.models import ApiKey, Category, Channel, Status, Ticket

CLOSED_STATES = (Status.RESOLVED, Status.CLOSED)
MAX_RANGE = timedelta(days=90)  # the spec's default window and largest span
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 500
TOKEN_PREFIX = "o311:"

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


# ---------------------------------------------------------------- rendering


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        _xml_fill(ET.SubElement(top, item), row)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _xml_fill(element: ET.Element, row: dict[str, Any]) -> None:
    for key, value in row.items():
        child = ET.SubElement(element, key)
        if isinstance(value, dict):
            _xml_fill(child, value)
        elif isinstance(value, list):
            singular = {"attributes": "attribute", "values": "value"}.get(key, "item")
            for entry in value:
                _xml_fill(ET.SubElement(child, singular), entry)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)


def _respond(
    fmt: str, root: str, item: str, rows: list[dict], status: int = 200, single: dict | None = None
) -> HttpResponse:
    if fmt == "xml":
        if single is not None:
            top = ET.Element(root)
            _xml_fill(top, single)
            body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        else:
            body = _xml(root, item, rows)
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(
        single if single is not None else rows,
        status=status,
        safe=False,
        json_dumps_params={"ensure_ascii": False},
    )


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _respond(
        fmt, "errors", "error", [{"code": status, "description": description}], status=status
    )


def open311_view(methods: list[str]):
    """Wrap a view: allowed methods, Open311Error and DomainError as the spec's error list."""

    def wrap(view):
        @csrf_exempt  # client systems post with an api_key, not a browser session
        @require_http_methods(methods)
        def inner(request: HttpRequest, fmt: str, **kwargs):
            try:
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return _error(fmt, exc.status, exc.description)
            except DomainError as exc:
                status = exc.status if exc.status in (403, 404) else 400
                return _error(fmt, status, exc.message)

        inner.__name__ = view.__name__
        return inner

    return wrap


def _w3c(dt: datetime | None) -> str | None:
    return timezone.localtime(dt, SHANGHAI).isoformat(timespec="seconds") if dt else None


def redact(text: str) -> str:
    """Mask phone and ID numbers a resident typed into a publicly readable description."""
    text = _ID.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE.sub(lambda m: mask_phone(m.group()), text)


# ------------------------------------------------------------------- services


def _service(c: Category) -> dict[str, Any]:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": c.description,
        "metadata": bool(c.extra_questions),
        "type": "realtime",
        "keywords": c.keywords,
        "group": c.group,
    }


@open311_view(["GET"])
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = [_service(c) for c in Category.objects.active()]
    return _respond(fmt, "services", "service", rows)


@open311_view(["GET"])
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    category = Category.objects.active().filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"service_code {code} not found")
    attributes = [
        {
            "variable": True,
            "code": q["code"],
            "datatype": q.get("datatype", "string"),
            "required": bool(q.get("required")),
            "datatype_description": "",
            "order": i,
            "description": q.get("label", q["code"]),
            "values": [{"key": v["key"], "name": v["name"]} for v in q.get("values", [])],
        }
        for i, q in enumerate(category.extra_questions or [], start=1)
    ]
    definition = {"service_code": category.code, "attributes": attributes}
    return _respond(fmt, "service_definition", "", [], single=definition)


# ------------------------------------------------------------------- requests


def _request_row(t: Ticket) -> dict[str, Any]:
    closed = t.status in CLOSED_STATES
    notes = ""
    if t.merged_into_id:
        notes = f"已与{t.merged_into.number}合并办理"
    elif closed:
        answer = max(t.answers.all(), key=lambda a: (a.at, a.pk), default=None)
        notes = answer.text if answer else t.get_status_display()
    else:
        notes = t.get_status_display()
    return {
        "service_request_id": t.number,
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": t.category.name if t.category_id else "",
        "service_code": t.category.code if t.category_id else "",
        "description": redact(t.text),
        "agency_responsible": t.assigned_unit.name if t.assigned_unit_id else "",
        "service_notice": "",
        "requested_datetime": _w3c(t.created_at),
        "updated_datetime": _w3c(t.updated_at),
        "expected_datetime": _w3c(t.answer_due),
        "address": t.address,
        "address_id": "",
        "zipcode": "",
        "lat": t.lat,
        "long": t.lon,
        "media_url": "",
    }


def _requests_qs():
    return Ticket.objects.for_list().select_related("merged_into").prefetch_related("answers")


def _parse_date(value: str, name: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(
            400, f"{name} must be a W3C datetime, e.g. 2025-10-01T00:00:00Z"
        ) from None
    return dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)


def _int(value: str | None, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be a positive integer") from None
    if number < 1:
        raise Open311Error(400, f"{name} must be a positive integer")
    return number


def _list(request: HttpRequest, fmt: str) -> HttpResponse:
    q = request.GET
    qs = _requests_qs()
    ids = [i.strip() for i in q.get("service_request_id", "").split(",") if i.strip()]
    if ids:  # overrides every other parameter, as the spec says
        rows = [_request_row(t) for t in qs.filter(number__in=ids[:MAX_PAGE_SIZE])]
        return _respond(fmt, "service_requests", "request", rows)
    codes = [c.strip() for c in q.get("service_code", "").split(",") if c.strip()]
    if codes:
        qs = qs.filter(category__code__in=codes)
    statuses = {s.strip() for s in q.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status must be open or closed")
    if statuses == {"open"}:
        qs = qs.exclude(status__in=CLOSED_STATES)
    elif statuses == {"closed"}:
        qs = qs.filter(status__in=CLOSED_STATES)
    end = _parse_date(q["end_date"], "end_date") if q.get("end_date") else None
    start = _parse_date(q["start_date"], "start_date") if q.get("start_date") else None
    if start is None and end is None:
        end = clock.now()
    if start is None:
        start = end - MAX_RANGE
    if end is None:
        end = start + MAX_RANGE
    if end < start or end - start > MAX_RANGE:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    page = _int(q.get("page"), 1, "page")
    size = min(_int(q.get("page_size"), DEFAULT_PAGE_SIZE, "page_size"), MAX_PAGE_SIZE)
    rows = [
        _request_row(t) for t in qs.order_by("-created_at", "-id")[(page - 1) * size : page * size]
    ]
    return _respond(fmt, "service_requests", "request", rows)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    p = request.POST
    key = _api_key(p.get("api_key", ""))
    code = p.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    if not Category.objects.active().filter(code=code).exists():
        raise Open311Error(400, f"service_code {code} is invalid")
    lat, lon = p.get("lat", ""), p.get("long", "")
    address = p.get("address_string", "").strip()
    if not (lat and lon) and not address and not p.get("address_id"):
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    extra = {m.group(1): v for k, v in p.items() if (m := re.fullmatch(r"attribute\[(.+)\]", k))}
    if p.get("media_url"):
        extra["media_url"] = p["media_url"][:500]
    token = secrets.token_hex(16)
    name = f"{p.get('last_name', '')}{p.get('first_name', '')}".strip()
    result = services.intake(
        services.IntakeInput(
            text=p.get("description", ""),
            channel=Channel.MOBILE,
            category=code,
            name=name,
            phone=p.get("phone", ""),
            address=address,
            lat=lat or None,
            lon=lon or None,
            extra=extra,
            device_token=p.get("device_id", ""),
            client=key.name,
            idempotency_key=TOKEN_PREFIX + token,
        ),
        actor=None,
    )
    ticket = result.ticket
    row = {
        "service_request_id": ticket.number,
        "service_notice": f"已受理，承诺于{_w3c(ticket.answer_due)}前答复",
        "account_id": None,
        "token": token if result.created else None,
    }
    return _respond(
        fmt, "service_requests", "request", [row], status=201 if result.created else 200
    )


def _api_key(raw: str) -> ApiKey:
    if not raw:
        raise Open311Error(403, "api_key was not provided")
    digest = hashlib.sha256(raw.encode()).hexdigest()
    key = ApiKey.objects.filter(key_hash=digest, active=True).first()
    if key is None:
        raise Open311Error(403, "api_key is invalid")
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=clock.now())
    return key


@open311_view(["GET", "POST"])
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt)


@open311_view(["GET"])
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    ticket = _requests_qs().filter(number=number).first()
    if ticket is None:
        raise Open311Error(404, f"service_request_id {number} not found")
    return _respond(fmt, "service_requests", "request", [_request_row(ticket)])


@open311_view(["GET"])
def token_view(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    ticket = Ticket.objects.filter(idempotency_key=TOKEN_PREFIX + token).only("number").first()
    if ticket is None:
        raise Open311Error(404, f"token {token} not found")
    return _respond(
        fmt, "service_requests", "request", [{"service_request_id": ticket.number, "token": token}]
    )


def issue_key(name: str) -> tuple[ApiKey, str]:
    """A new key for a client system; the clear key is returned once and never stored."""
    raw = secrets.token_urlsafe(24)
    key = ApiKey.objects.create(
        name=name[:60], prefix=raw[:8], key_hash=hashlib.sha256(raw.encode()).hexdigest()
    )
    return key, raw


FMT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^services" + FMT, service_list, name="open311-services"),
    re_path(r"^services/(?P<code>[-\w]+)" + FMT, service_definition, name="open311-service"),
    re_path(r"^requests" + FMT, requests_view, name="open311-requests"),
    re_path(r"^requests/(?P<number>[0-9A-Z]+)" + FMT, request_detail, name="open311-request"),
    re_path(r"^tokens/(?P<token>[0-9a-f]+)" + FMT, token_view, name="open311-token"),
]
