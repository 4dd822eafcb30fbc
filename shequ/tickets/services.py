"""Writes for requests (接诉即办): intake, the named transitions, ratings, merging, escalation.

Every function takes the acting user by keyword (``actor``) and raises a
:class:`~shequ.errors.DomainError` that changes nothing. Status changes go through
:func:`shequ.tickets.workflow.transition`; these functions validate their own inputs first
and write their own rows (answer, rating, photos) in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from shequ.accounts.models import Role
from shequ.audit import services as audit
from shequ.core.masking import mask_name
from shequ.errors import Conflict, Forbidden, Invalid, NotFound, TooMany
from shequ.registry.models import AdminUnit, Building, Level
from shequ.registry.pii import cipher, normalise_phone, protect_phone
from shequ.tickets import clock, deadlines, notify, refdata, routing
from shequ.tickets.models import (
    PUBLIC_CHANNELS,
    Action,
    Answer,
    Category,
    Channel,
    Rating,
    ResponsibleUnit,
    Satisfaction,
    Status,
    Ticket,
    TicketEvent,
    TicketPhoto,
)
from shequ.tickets.prepared import PreparedInsert, together
from shequ.tickets.workflow import (
    MAX_REOPENS,
    SYSTEM_ACTOR,
    Party,
    actor_label,
    is_member,
    new_assignment,
    plan,
    transition,
)

# The same request again within this window is the same request (double tap, redial).
DUPLICATE_WINDOW = timedelta(minutes=10)
# The public channels' limit per phone (settings.TICKET_PUBLIC_DAILY_LIMIT) counts this far.
LIMIT_WINDOW = timedelta(hours=24)
TEXT_MIN, TEXT_MAX = 5, 2000
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Extension → accepted content types, checked against the file's first bytes as well.
PHOTO_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# Roles that file requests on a resident's behalf (一窗受理, 热线, 网格巡查).
INTAKE_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.STREET_OFFICER, Role.CLERK, Role.GRID_WORKER})
_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


# -------------------------------------------------------------------- intake


@dataclass
class IntakeInput:
    text: str
    channel: str = Channel.WEB
    category: str | None = None  # catalogue code chosen by the submitter
    name: str = ""
    phone: str = ""
    address: str = ""
    unit_code: str | None = None
    building_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    photos: Sequence[Any] = ()  # uploaded files: .name, .size, .read()/.chunks()
    device_token: str = ""
    idempotency_key: str = ""
    client: str = ""  # the Open311 client system


@dataclass
class IntakeResult:
    ticket: Ticket
    created: bool
    follow_token: str | None = None  # the secret of the follow-up link; only when created

    @property
    def follow_path(self) -> str | None:
        return follow_path(self.ticket, self.follow_token) if self.follow_token else None


def follow_path(ticket: Ticket, token: str) -> str:
    return f"{_track_path().replace('NUMBER', ticket.number)}?t={token}"


@cache
def _track_path() -> str:
    # Reversed once: the path is the same for every ticket but the number.
    return reverse("tickets:track", args=["NUMBER"])


def intake(data: IntakeInput, *, actor: Any) -> IntakeResult:
    """File a request: validate, classify and route; then, in one transaction, return the
    existing ticket for a repeat (writing nothing), or write the ticket with its deadlines,
    its events, its photos and the automatic dispatch.

    ``actor`` is a staff user filing on a resident's behalf, or None / an anonymous user for
    the public channels. Raises Invalid / NotFound / Forbidden before anything is written,
    and TooMany (writing nothing) past a phone's daily number on the public channels.
    """
    # In a request, the catalogue this process holds is assumed current, and the repeat
    # check compares its version with the counter (a statement less per intake); if another
    # process changed the catalogue meanwhile, the request is worked out again.
    catalogue = refdata.assume()
    try:
        return _intake(data, actor, catalogue)
    except refdata.Stale:
        refdata.recheck()
        return _intake(data, actor, None)


def _intake(data: IntakeInput, actor: Any, catalogue: int | None) -> IntakeResult:
    staff = bool(getattr(actor, "is_authenticated", False))
    if staff and not (actor.is_superuser or actor.role in INTAKE_ROLES):
        raise Forbidden("您的角色不能受理诉求。")
    clean = _clean_intake(data, actor=actor if staff else None)
    text_hash = _text_hash(clean["text"])
    phone_hash = clean["phone"].hash

    # Classify and route before the transaction: CPU work must not hold the write lock.
    category = clean["category"]
    suggestion = routing.NO_SUGGESTION if category else routing.classify(clean["text"])
    if category is None and suggestion.auto:
        category = suggestion.category
    unit = clean["unit"]
    responsible = routing.route(category, unit)

    token = secrets.token_urlsafe(18)
    now = clock.now()
    dclass = category.deadline_class if category else None
    answer = deadlines.answer_due(now, dclass)
    # The dispatcher's window: somebody must route it within the acceptance hours.
    accept = min(deadlines.accept_due(now, dclass), answer)
    ticket = Ticket(
        channel=clean["channel"],
        category=category,
        text=clean["text"],
        extra=clean["extra"],
        address=clean["address"],
        admin_unit=unit,
        unit_code=unit.code,
        building=clean["building"],
        lat=clean["lat"],
        lon=clean["lon"],
        contact_name_enc=clean["name_enc"],
        contact_name_mask=mask_name(clean["name"]),
        contact_phone_enc=clean["phone"].enc,
        contact_phone_hash=phone_hash,
        contact_phone_mask=clean["phone"].mask,
        status=Status.SUBMITTED,
        created_by=actor if staff else None,
        client=data.client[:60],
        created_at=now,
        updated_at=now,
        accept_due=accept,
        answer_due=answer,
        due_at=accept,
        idempotency_key=data.idempotency_key.strip()[:80] or None,
        device_token=data.device_token.strip()[:80],
        text_hash=text_hash,
        follow_token_hash=_token_hash(token),
        classifier_label=suggestion.label,
        classifier_confidence=suggestion.confidence,
    )
    events = [
        TicketEvent(
            ticket=ticket,
            at=now,
            actor=actor if staff else None,
            actor_label=actor_label(actor) if staff else "居民",
            action=Action.SUBMIT,
            from_status="",
            to_status=Status.SUBMITTED,
            note=f"{Channel(ticket.channel).label}受理",
        )
    ]
    dispatch = None
    if responsible is not None:
        how = (
            "按类别规则自动派单"
            if clean["category"] is not None
            else f"按智能分类（置信度{suggestion.confidence or 0:.2f}）自动派单"
        )
        # The automatic dispatch goes through the transition table like any other; the ticket
        # is then written once, already dispatched, with both events.
        dispatch = plan(
            ticket, Status.DISPATCHED, actor=SYSTEM_ACTOR, unit=responsible, note=how, now=now
        )
        dispatch.apply()
        events.append(dispatch.event)
    ledger = new_assignment(ticket, Status.DISPATCHED, now=now) if dispatch else None
    # Everything is worked out, and the rows compiled, before the transaction: SQLite has
    # one writer at a time.
    rows = [PreparedInsert(events)] + ([PreparedInsert([ledger])] if ledger else [])
    # A resident's phone files a limited number a day (a flood from one number would bury
    # the dispatchers); the count is one more question of the repeat check.
    public = not staff and not data.client and bool(phone_hash)
    limit = getattr(settings, "TICKET_PUBLIC_DAILY_LIMIT", 0) if public else 0
    for _attempt in range(3):
        ticket.number = _new_number(now)
        ticket_row = PreparedInsert([ticket], pk=True)
        messages = notify.receipt(ticket, _public_url(follow_path(ticket, token)))
        if dispatch is not None:
            messages += notify.messages_for(ticket, dispatch.event)
        outgoing = notify.Outgoing(messages)
        try:
            with transaction.atomic():
                existing, reserved, recent = _repeat_of(
                    data, text_hash, phone_hash, limit, catalogue
                )
                if existing is not None:
                    return IntakeResult(existing, created=False)
                if limit and recent >= limit:
                    raise TooMany(
                        f"同一手机号24小时内最多可提交{limit}件诉求。情况紧急请拨打12345热线，"
                        "或到社区服务站当面反映。",
                        field="phone",
                    )
                if reserved is None:  # SQLite: the insert gives the id
                    ticket_row.execute()
                    first = []
                else:  # the ticket goes with its other rows, in one round trip
                    ticket_row.set("id", reserved)
                    first = [ticket_row]
                for prepared in rows:
                    prepared.set("ticket_id", ticket.pk)
                outgoing.send(ticket_id=ticket.pk, with_rows=[*first, *rows])
                for upload in clean["photos"]:
                    _save_photo(ticket, upload)
        except IntegrityError:
            # A tracking number taken the same day (32⁸ a day), or a twin's key committed
            # first: try again with a new number; the twin is then found as a repeat.
            ticket.pk = None
            ticket._state.adding = True
            continue
        return IntakeResult(ticket, created=True, follow_token=token)
    raise Conflict("受理编号生成失败，请重试。")  # pragma: no cover - 32^8 per day


def _clean_intake(data: IntakeInput, *, actor: Any) -> dict[str, Any]:
    text = re.sub(r"\s+", " ", str(data.text or "")).strip()
    if len(text) < TEXT_MIN:
        raise Invalid(f"请写清诉求内容（至少{TEXT_MIN}个字）。", field="text")
    if len(text) > TEXT_MAX:
        raise Invalid(f"诉求内容不能超过{TEXT_MAX}字。", field="text")
    if data.channel not in Channel.values:
        raise Invalid("受理渠道不正确。", field="channel")
    if actor is None and data.channel not in PUBLIC_CHANNELS:
        raise Forbidden("此渠道须由工作人员受理。")
    name = str(data.name or "").strip()
    if len(name) > 50:
        raise Invalid("联系人姓名过长。", field="name")
    phone = normalise_phone(data.phone)
    # A grid worker's own finding needs no resident's phone; a client system (Open311)
    # follows up through its own channel.
    if not phone and data.channel != Channel.GRID_PATROL and not data.client:
        raise Invalid("请留下联系电话，以便回复和回访。", field="phone")
    category = None
    if data.category:
        category = refdata.snapshot().by_code.get(str(data.category).strip())
        if category is None:
            raise Invalid(
                f"没有“{data.category}”这个诉求类别。", code="unknown_category", field="category"
            )
    lat, lon = _clean_point(data.lat, data.lon)
    building = None
    if data.building_id:
        buildings = Building.objects.select_related("unit").defer("unit__boundary")
        if actor is not None:
            buildings = buildings.in_scope(actor)
        building = buildings.filter(pk=data.building_id).first()
        if building is None:
            raise NotFound("楼栋不存在或不在您的管辖范围内。", field="building")
        if lat is None and building.lat is not None:
            lat, lon = building.lat, building.lon
    unit = _locate(data.unit_code, building, lat, lon, actor=actor)
    photos = list(data.photos or [])
    if len(photos) > MAX_PHOTOS:
        raise Invalid(f"最多上传{MAX_PHOTOS}张照片。", field="photos")
    for upload in photos:
        check_photo(upload)
    extra = clean_extra(category, data.extra or {}) if category else {}
    return {
        "text": text,
        "channel": data.channel,
        "name": name,
        "name_enc": cipher().encrypt(name) if name else "",
        "phone": protect_phone(phone),
        "category": category,
        "lat": lat,
        "lon": lon,
        "building": building,
        "unit": unit,
        "address": str(data.address or "").strip()[:200],
        "photos": photos,
        "extra": extra,
    }


def _clean_point(lat: Any, lon: Any) -> tuple[float | None, float | None]:
    if lat in (None, "") and lon in (None, ""):
        return None, None
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError):
        raise Invalid("位置坐标不正确。", field="lat") from None
    if not (
        math.isfinite(lat_f)
        and math.isfinite(lon_f)
        and -90 <= lat_f <= 90
        and -180 <= lon_f <= 180
    ):
        raise Invalid("位置坐标不正确。", field="lat")
    return lat_f, lon_f


def _locate(
    code: str | None, building: Building | None, lat: float | None, lon: float | None, *, actor: Any
) -> AdminUnit:
    """The admin unit a request belongs to: the one named, the building's, the nearest
    community or grid centre to the point, the staff member's own, or the district."""
    if code and actor is None:
        # A resident may name any active unit: the in-memory catalogue answers that.
        unit = refdata.snapshot().active_unit(str(code).strip())
        if unit is None:
            raise NotFound(f"区划代码 {code} 不存在。", field="unit")
        return unit
    units = AdminUnit.objects.active().defer("boundary")  # large GeoJSON, not needed here
    if actor is not None:
        units = units.in_scope(actor)
    if code:
        unit = units.filter(code=str(code).strip()).first()
        if unit is None:
            raise NotFound(f"区划代码 {code} 不存在或不在您的管辖范围内。", field="unit")
        return unit
    if building is not None:
        return building.unit
    if lat is not None:
        nearest = nearest_unit(lat, lon, units)
        if nearest is not None:
            return nearest
    if actor is not None and actor.scope_unit_id:
        return actor.scope_unit
    district = (
        AdminUnit.objects.active()
        .filter(level=Level.DISTRICT)
        .defer("boundary")
        .order_by("code")
        .first()
    )
    if district is None:
        raise Invalid("请选择诉求所在的社区。", field="unit")
    return district


def nearest_unit(lat: float, lon: float, units=None, *, within_km: float = 3.0):
    """The community or grid whose centre is nearest to the point (within ``within_km``)."""
    units = (units if units is not None else AdminUnit.objects.active()).filter(
        level__in=(Level.COMMUNITY, Level.GRID),
        centre_lat__isnull=False,
        centre_lat__range=(lat - 0.05, lat + 0.05),
        centre_lon__range=(lon - 0.07, lon + 0.07),
    )
    best, best_d = None, within_km * 1000
    for unit in units.only("id", "code", "name", "level", "centre_lat", "centre_lon"):
        d = distance_m(lat, lon, unit.centre_lat, unit.centre_lon)
        # A grid is finer than its community: prefer it at equal distance.
        if d < best_d or (d == best_d and best is not None and len(unit.code) > len(best.code)):
            best, best_d = unit, d
    return best


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def clean_extra(category: Category, answers: dict[str, Any]) -> dict[str, Any]:
    """The category's extra questions answered: required ones present, list values valid.
    Keys that are not questions of the category are dropped."""
    clean: dict[str, Any] = {}
    for q in category.extra_questions or []:
        code, label = q.get("code"), q.get("label", q.get("code"))
        value = answers.get(code)
        if value in (None, "", []):
            if q.get("required"):
                raise Invalid(f"请回答：{label}。", code="missing_answer", field=f"extra.{code}")
            continue
        kind = q.get("datatype", "string")
        keys = {v["key"] for v in q.get("values", [])}
        if kind == "number":
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise Invalid(f"“{label}”应为数字。", field=f"extra.{code}") from None
        elif kind == "singlevaluelist":
            if str(value) not in keys:
                raise Invalid(f"“{label}”的选项不正确。", field=f"extra.{code}")
            value = str(value)
        elif kind == "multivaluelist":
            values = value if isinstance(value, list) else str(value).split(",")
            if not set(map(str, values)) <= keys:
                raise Invalid(f"“{label}”的选项不正确。", field=f"extra.{code}")
            value = [str(v) for v in values]
        else:
            value = str(value).strip()[:500]
        clean[code] = value
    return clean


def check_photo(upload: Any) -> str:
    """The content type of an acceptable photo; Invalid otherwise (by extension and by the
    file's first bytes, since Pillow is not a dependency)."""
    name = str(getattr(upload, "name", "") or "")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in PHOTO_TYPES:
        raise Invalid("照片只能是 JPG、PNG 或 WebP 格式。", field="photos")
    if (getattr(upload, "size", 0) or 0) > MAX_PHOTO_BYTES:
        raise Invalid("每张照片不能超过5MB。", field="photos")
    head = upload.read(12)
    upload.seek(0)
    kind = PHOTO_TYPES[ext]
    ok = {
        "image/jpeg": head[:3] == b"\xff\xd8\xff",
        "image/png": head[:8] == b"\x89PNG\r\n\x1a\n",
        "image/webp": head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    }[kind]
    if not ok:
        raise Invalid("照片文件内容与格式不符。", field="photos")
    return kind


def _save_photo(ticket: Ticket, upload: Any, answer: Answer | None = None) -> TicketPhoto:
    photo = TicketPhoto(
        ticket=ticket, answer=answer, content_type=check_photo(upload), at=clock.now()
    )
    photo.file.save(upload.name, upload, save=False)
    photo.save()
    return photo


def _text_hash(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _repeat_of(
    data: IntakeInput,
    text_hash: str,
    phone_hash: str,
    limit: int = 0,
    catalogue: int | None = None,
) -> tuple[Ticket | None, int | None, int]:
    """The ticket this submission repeats: same client key (at any time), or the same
    device or phone with the same text within :data:`DUPLICATE_WINDOW`; on PostgreSQL, the
    id reserved for the new ticket; and, with a ``limit``, how many requests the phone filed
    within :data:`LIMIT_WINDOW` (counted up to the limit). With the ``catalogue`` version
    the request assumed, raises ``refdata.Stale`` if the counter has moved.

    Each question is a subquery on its own index (an OR of them made SQLite walk every
    ticket), all in one plain statement: it runs on every intake, and the ORM's compilation
    cost fifteen times the lookup itself. On PostgreSQL the same round trip (with the
    transaction's BEGIN) first takes a lock that makes twins wait for each other (SQLite's
    IMMEDIATE transactions already serialise writers), so the second one sees the first and
    stores nothing; the new ticket's id is drawn from its sequence, so the ticket and its rows
    can go in one more trip. The ticket is loaded only for a repeat."""
    key = data.idempotency_key.strip()[:80]
    device = data.device_token.strip()[:80]
    since = connection.ops.adapt_datetimefield_value(clock.now() - DUPLICATE_WINDOW)
    postgres = connection.vendor == "postgresql"
    # The device index holds only rows with a token: the query says the token is not empty,
    # so that the planners may use it. SQLite's, when ANALYZE found that index empty (a
    # district without a phone app), would rather walk the last ten minutes of tickets.
    by_device = "tickets_ticket" + ("" if postgres else " INDEXED BY ticket_device_recent")
    by_device += " WHERE NOT (device_token = '') AND"  # as the index's condition reads
    questions = []
    params: list[Any] = []
    if key:
        questions.append("tickets_ticket WHERE idempotency_key = %s")
        params.append(key)
    for where, value in (
        (f"{by_device} device_token = %s", device),
        ("tickets_ticket WHERE contact_phone_hash = %s", phone_hash),
    ):
        if value:
            questions.append(f"{where} AND text_hash = %s AND created_at >= %s")
            params += [value, text_hash, since]
    columns = [f"(SELECT id FROM {q} ORDER BY created_at LIMIT 1)" for q in questions]
    if limit:
        # Only what the phone filed itself counts, not what staff filed for it.
        channels = sorted(c.value for c in PUBLIC_CHANNELS)
        columns.append(
            "(SELECT count(*) FROM (SELECT 1 FROM tickets_ticket WHERE contact_phone_hash = %s"
            f" AND created_at >= %s AND channel IN ({', '.join(['%s'] * len(channels))})"
            " LIMIT %s) AS recent)"
        )
        since_day = connection.ops.adapt_datetimefield_value(clock.now() - LIMIT_WINDOW)
        params += [phone_hash, since_day, *channels, limit]
    if catalogue is not None:
        columns.append(refdata.VERSION_SQL)
    if postgres:
        columns.insert(0, "nextval(%s)")
        params.insert(0, _ticket_sequence())
    if not columns:
        return None, None, 0
    with connection.cursor() as lock, connection.cursor() as cursor:
        with together(connection):
            if postgres:
                seed = f"{key or device or phone_hash}|{text_hash}"
                digest = hashlib.sha256(seed.encode()).digest()[:8]
                lock.execute(
                    "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
                )
            cursor.execute("SELECT " + ", ".join(columns), params)
        row = list(cursor.fetchone())
    reserved = row.pop(0) if postgres else None
    if catalogue is not None:
        refdata.confirm(catalogue, row.pop())
    recent = row.pop() if limit else 0
    found = next((pk for pk in row if pk is not None), None)
    if found is not None:
        return Ticket.objects.get(pk=found), None, recent
    return None, reserved, recent


@cache
def _ticket_sequence() -> str:
    """The sequence of the ticket ids (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [Ticket._meta.db_table, "id"])
        return cursor.fetchone()[0]


def _new_number(now: datetime) -> str:
    """A tracking number: the Beijing date and 8 random characters (Crockford base 32)."""
    day = timezone.localtime(now).strftime("%y%m%d")
    # 40 random bits, 5 per character: one call to the system's generator, not eight.
    bits = secrets.randbits(40)
    return day + "".join(_NUMBER_ALPHABET[(bits >> (5 * i)) & 31] for i in range(8))


def _public_url(path: str) -> str:
    return getattr(settings, "SHEQU_PUBLIC_URL", "").rstrip("/") + path


def ticket_for_resident(number: str, token: str) -> Ticket:
    """The ticket behind a follow-up link; NotFound unless the secret matches."""
    ticket = (
        Ticket.objects.for_list()
        .select_related("merged_into")
        .filter(number=str(number)[:20])
        .first()
    )
    if (
        ticket is None
        or not token
        or not hmac.compare_digest(ticket.follow_token_hash, _token_hash(str(token)))
    ):
        raise NotFound("没有找到这条诉求，请核对受理编号和链接。")
    return ticket


# --------------------------------------------------------------- transitions


def _as_unit(value: ResponsibleUnit | int | None) -> ResponsibleUnit | None:
    if value is None or isinstance(value, ResponsibleUnit):
        return value
    unit = (
        ResponsibleUnit.objects.select_related("department", "admin_unit")
        .defer("admin_unit__boundary")
        .filter(pk=value)
        .first()
    )
    if unit is None:
        raise Invalid("承办单位不存在。", field="unit")
    return unit


def dispatch(
    ticket: Ticket,
    *,
    actor: Any,
    unit: ResponsibleUnit | int | None = None,
    category: str | None = None,
    reason: str = "",
) -> Ticket:
    """派单: to ``unit``, or where the rules send it. Choosing another unit than the rules
    suggest is an override; its reason (optional) is kept in the event."""
    with transaction.atomic():
        if category:
            chosen = Category.objects.active().filter(code=category).first()
            if chosen is None:
                raise Invalid(
                    f"没有“{category}”这个诉求类别。", code="unknown_category", field="category"
                )
            # Only a ticket waiting for a dispatcher may change category; the transition
            # below re-checks the state under its lock.
            Ticket.objects.in_scope(actor).filter(
                pk=ticket.pk, status__in=(Status.SUBMITTED, Status.RETURNED, Status.ESCALATED)
            ).update(category=chosen)
            ticket.category = chosen
        suggested = routing.route(ticket.category, ticket.admin_unit)
        chosen_unit = _as_unit(unit) or suggested
        if chosen_unit is None:
            raise Invalid("此类别没有默认承办单位，请选择承办单位。", field="unit")
        reason = (reason or "").strip()
        if suggested is not None and chosen_unit.pk != suggested.pk:
            note = f"改派（规则建议：{suggested.name}）" + (f"：{reason}" if reason else "")
        else:
            note = reason or f"派至{chosen_unit.name}"
        return transition(ticket, Status.DISPATCHED, actor=actor, unit=chosen_unit, note=note)


def accept(ticket: Ticket, *, actor: Any, note: str = "") -> Ticket:
    """签收 by a member of the assigned unit; the first unit to accept stays accountable."""
    return transition(ticket, Status.ACCEPTED, actor=actor, note=note)


def return_ticket(ticket: Ticket, *, actor: Any, reason: str) -> Ticket:
    """退单: not this unit's matter; back to the dispatcher with the reason."""
    return transition(ticket, Status.RETURNED, actor=actor, note=reason)


def resolve(ticket: Ticket, *, actor: Any, text: str, photos: Iterable[Any] = ()) -> Ticket:
    """答复: the unit's answer to the resident (and to every merged resident)."""
    text = (text or "").strip()
    if len(text) < 5:
        raise Invalid("请填写答复内容（至少5个字）。", field="text")
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise Invalid(f"最多上传{MAX_PHOTOS}张照片。", field="photos")
    for upload in photos:
        check_photo(upload)
    with transaction.atomic():
        ticket = transition(ticket, Status.RESOLVED, actor=actor, note=text[:200])
        answer = Answer.objects.create(
            ticket=ticket,
            text=text,
            unit_id=ticket.assigned_unit_id,
            by=actor if not isinstance(actor, Party) else None,
            at=clock.now(),
        )
        for upload in photos:
            _save_photo(ticket, upload, answer)
    return ticket


def rate(
    ticket: Ticket, *, actor: Any, satisfaction: str, solved: bool, comment: str = ""
) -> Ticket:
    """好差评 by the resident (``RESIDENT_ACTOR``) or recorded by staff on a callback.

    Satisfied or basically satisfied closes the ticket; not satisfied reopens it to the same
    unit the first time and escalates it the second time.
    """
    if satisfaction not in Satisfaction.values:
        raise Invalid("请选择满意、基本满意或不满意。", field="satisfaction")
    comment = (comment or "").strip()[:500]
    with transaction.atomic():
        status = Ticket.objects.filter(pk=ticket.pk).values_list("status", flat=True).first()
        if status != Status.RESOLVED:  # transition() re-checks this under its lock
            raise Conflict("此诉求目前不在待评价状态。", code="not_awaiting_rating")
        if satisfaction != Satisfaction.UNSATISFIED:
            to, note = Status.CLOSED, f"居民评价：{Satisfaction(satisfaction).label}"
        elif ticket.reopen_count < MAX_REOPENS:
            to, note = Status.REOPENED, f"居民不满意，重办。{comment}".strip()
        else:
            to, note = Status.ESCALATED, f"重办后居民仍不满意，转督办。{comment}".strip()
        round_ = ticket.reopen_count + 1
        unit_id = ticket.assigned_unit_id
        ticket = transition(ticket, to, actor=actor, note=note, action=Action.RATE)
        try:
            with transaction.atomic():
                Rating.objects.create(
                    ticket=ticket,
                    round=round_,
                    satisfaction=satisfaction,
                    solved=bool(solved),
                    comment=comment,
                    unit_id=unit_id,
                    at=clock.now(),
                    by=None if isinstance(actor, Party) else actor,
                )
        except IntegrityError:
            raise Conflict("这次答复已经评价过了。", code="already_rated") from None
    return ticket


def close(ticket: Ticket, *, actor: Any, note: str = "") -> Ticket:
    """办结 by a dispatcher: after a callback, or an invalid request before it was handled."""
    return transition(ticket, Status.CLOSED, actor=actor, note=note)


def escalate(ticket: Ticket, *, actor: Any, note: str) -> Ticket:
    """督办 ordered by a supervisor."""
    return transition(ticket, Status.ESCALATED, actor=actor, note=note)


def reopen(ticket: Ticket, *, actor: Any, note: str = "") -> Ticket:
    """重办 recorded by a dispatcher (a callback found the resident not satisfied)."""
    return transition(ticket, Status.REOPENED, actor=actor, note=note)


def merge(duplicate: Ticket, into: Ticket, *, actor: Any, note: str = "") -> Ticket:
    """Merge a duplicate report into the ticket handling the problem. The duplicate closes,
    pointing at ``into``; its resident hears the answer given on ``into``."""
    if duplicate.pk == into.pk:
        raise Invalid("不能与自身合并。", field="into")
    target = Ticket.objects.in_scope(actor).filter(pk=into.pk).first()
    if target is None:
        raise NotFound("要合并到的诉求不存在或不在您的管辖范围内。", field="into")
    if target.merged_into_id or target.status == Status.CLOSED:
        raise Conflict("只能合并到仍在办理的诉求。", code="merge_target_closed")
    with transaction.atomic():
        text = f"与{target.number}为同一问题，合并办理" + (f"：{note.strip()}" if note else "")
        ticket = transition(
            duplicate,
            Status.CLOSED,
            actor=actor,
            note=text,
            merged_into=target,
            action=Action.MERGE,
        )
        # Everybody merged into the duplicate follows the surviving ticket too.
        Ticket.objects.filter(merged_into=ticket).update(merged_into=target)
    return ticket


def escalate_overdue(*, limit: int = 1000, candidates: Iterable[int] | None = None) -> int:
    """督办 every overdue ticket as the system; returns how many this call escalated.

    Safe to run in several workers at once: each ticket is claimed by the conditional
    UPDATE in :func:`transition`, so a ticket another worker escalated first is skipped.
    ``candidates`` (ticket ids) lets a test play the second, late worker.
    """
    if candidates is None:
        candidates = list(
            Ticket.objects.overdue().order_by("due_at").values_list("pk", flat=True)[:limit]
        )
    done = 0
    for pk in candidates:
        ticket = Ticket.objects.filter(pk=pk).only("pk", "status").first()
        if ticket is None or not ticket.is_open:
            continue
        late = ticket.status == Status.ACCEPTED
        why = "超过办结时限未答复" if late else "超过签收/派单时限未处理"
        try:
            transition(ticket, Status.ESCALATED, actor=SYSTEM_ACTOR, note=f"系统自动督办：{why}")
        except Conflict:
            continue  # another worker (or a person) changed it first
        done += 1
    return done


def reveal_contact(ticket: Ticket, *, actor: Any, reason: str) -> dict[str, str]:
    """The resident's name and phone in clear, for a handler who must call back; logged."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise Invalid("请写明查看事由。", field="reason")
    ticket = Ticket.objects.in_scope(actor).filter(pk=ticket.pk).first()
    if ticket is None:
        raise NotFound("诉求不存在或不在您的管辖范围内。")
    if not (getattr(actor, "may_read_clear_pii", False) or is_member(actor, ticket.assigned_unit)):
        raise Forbidden("您的角色不能查看居民完整联系方式。")
    c = cipher()
    with transaction.atomic():
        audit.record_clear_read(ticket, "contact", actor=actor, reason=reason)
    return {
        "name": c.decrypt(ticket.contact_name_enc) if ticket.contact_name_enc else "",
        "phone": c.decrypt(ticket.contact_phone_enc) if ticket.contact_phone_enc else "",
    }
