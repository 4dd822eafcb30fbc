"""Personal numbers at rest: encrypt, index by keyed hash, mask; the key comes from settings."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

from shequ.core.crypto import FieldCipher, key_from_text, load_key
from shequ.core.idcard import IdNumber, InvalidIdNumber, parse_id_number
from shequ.core.masking import mask_id_number, mask_phone
from shequ.errors import Invalid

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")


@cache
def _cipher_for(env_value: str, key_file: str) -> FieldCipher:
    if env_value:
        return FieldCipher(key_from_text(env_value))
    return FieldCipher(load_key(env_value=None, key_file=Path(key_file)))


def cipher() -> FieldCipher:
    """The field cipher for the configured key (read once per key, never at import time)."""
    return _cipher_for(settings.FIELD_KEY, str(settings.FIELD_KEY_FILE))


@dataclass(frozen=True)
class Protected:
    enc: str
    hash: str
    mask: str


def check_id_number(raw: str) -> IdNumber:
    try:
        return parse_id_number(raw)
    except InvalidIdNumber as exc:
        raise Invalid(str(exc), code="bad_id_number", field="id_number") from None


def protect_id_number(number: IdNumber) -> Protected:
    c = cipher()
    return Protected(
        c.encrypt(number.number), c.blind_index(number.number), mask_id_number(number.number)
    )


def normalise_phone(raw: str) -> str:
    """Digits of a mobile (11 digits) or landline (area code, dash, number); '' stays ''."""
    if raw.__class__ is str and len(raw) == 11 and _MOBILE.match(raw):
        return raw  # the common case, as typed: nothing to take out
    value = re.sub(r"[\s()（）]", "", str(raw or ""))
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        return ""
    if _MOBILE.match(value) or _LANDLINE.match(value):
        return value
    raise Invalid(f"电话号码格式不正确：{mask_phone(value)}", code="bad_phone", field="phone")


def mask_normalised_phone(phone: str) -> str:
    """``mask_phone`` of what normalise_phone returned, without its parsing for a mobile."""
    if len(phone) == 11 and phone[0] == "1":
        return phone[:3] + "****" + phone[7:]
    return mask_phone(phone)


def protect_phone(phone: str) -> Protected:
    if not phone:
        return Protected("", "", "")
    c = cipher()
    return Protected(c.encrypt(phone), c.blind_index(phone), mask_phone(phone))


def id_hash_of(raw: str) -> str | None:
    """The keyed hash of a typed ID number, or None when it is not a valid number."""
    try:
        return cipher().blind_index(parse_id_number(raw).number)
    except InvalidIdNumber:
        return None


def phone_hash_of(raw: str) -> str | None:
    try:
        phone = normalise_phone(raw)
    except Invalid:
        return None
    return cipher().blind_index(phone) if phone else None


def encrypt_many(values: Sequence[str]) -> list[str]:
    """Many values at once, for the import (see :meth:`FieldCipher.encrypt_many`)."""
    return cipher().encrypt_many(values)


def blind_indexer() -> Callable[[str], str]:
    """``cipher().blind_index`` for many values (see :meth:`FieldCipher.blind_indexer`)."""
    return cipher().blind_indexer()
