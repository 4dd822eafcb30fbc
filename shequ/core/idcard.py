"""Citizen identity numbers (公民身份号码) as defined by GB 11643-1999.

Layout of the 18 characters (GB 11643-1999, 公民身份号码)::

    2 2 0 4 0 2 | 1 9 9 0 0 1 0 1 | 1 2 3 | X
    region (6)  | birth YYYYMMDD  | seq   | check digit
                                    ^^^ the 17th character's parity is the sex:
                                        odd = male, even = female

The check digit is ISO 7064 MOD 11-2 over the first 17 digits; the value 10
is written as the Roman numeral ``X``.

What is deliberately *not* checked: the region code against the GB/T 2260
table. That table changes every year (districts are merged and renamed) and a
person keeps the number issued under the old code for life, so a valid
number can carry a code that no longer exists.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "IdNumber",
    "InvalidIdNumber",
    "check_digit",
    "cross_check",
    "make_id_number",
    "normalize_id_number",
    "parse_id_number",
]

# GB 11643-1999 (check code): weight W_i = 2^(i-1) mod 11 counted from the right,
# i.e. for the 17 body digits read left to right:
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, ...)
# a_1 = (12 - (Σ a_i·W_i mod 11)) mod 11, the value 10 written as 'X'.
_CHECK_CHARS = "10X98765432"  # indexed by Σ mod 11

_BODY_RE = re.compile(r"[0-9]{17}[0-9X]")
_EARLIEST_BIRTH = date(1900, 1, 1)
_SHANGHAI = ZoneInfo("Asia/Shanghai")

_SEX_ALIASES = {"M": "M", "F": "F", "男": "M", "女": "F"}
_SEX_CHINESE = {"M": "男", "F": "女"}


class InvalidIdNumber(ValueError):
    """The value is not a valid 18-character citizen identity number.

    ``str(exc)`` is a Chinese message suitable for showing to the person who
    typed the number; ``exc.code`` is a stable machine-readable reason
    (``empty``, ``length``, ``old_15``, ``chars``, ``birth_date``,
    ``birth_too_early``, ``birth_future``, ``check_digit``).
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, repr=False)
class IdNumber:
    """A parsed, valid identity number. Build it with :func:`parse_id_number`."""

    number: str  # 18 characters, upper-case X
    region: str  # 6-digit administrative division code at the time of issue
    birth_date: date
    sex: str  # 'M' or 'F'

    def __repr__(self) -> str:
        # Never put the clear number into logs or tracebacks.
        masked = self.number[:4] + "*" * 10 + self.number[-4:]
        return f"IdNumber({masked!r}, region={self.region!r}, sex={self.sex!r})"

    def __str__(self) -> str:
        return self.number

    def age_on(self, day: date) -> int:
        """Age in full years on ``day`` (a person born on 29 Feb turns a year older on 1 Mar)."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character (``'0'``–``'9'`` or ``'X'``) for 17 ASCII digits.

    Raises ``ValueError`` if ``first17`` is not exactly 17 ASCII digits.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit() needs exactly 17 ASCII digits")
    total = sum(int(ch) * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    """Canonical form of user input: NFKC (full-width ``１２３Ｘ`` from Chinese IMEs
    becomes ASCII), all whitespace removed, ``x`` upper-cased. Does not validate."""
    value = unicodedata.normalize("NFKC", value)
    return "".join(value.split()).upper()


def parse_id_number(value: str, *, today: date | None = None) -> IdNumber:
    """Validate and decompose an identity number.

    Accepts surrounding/embedded spaces, full-width digits and a lower-case
    ``x``. Rejects (with :class:`InvalidIdNumber`):

    - anything that is not 18 characters — including the 15-digit numbers of
      the first-generation cards, which are no longer valid documents;
    - non-digits in the first 17 places, or a last character other than 0–9/X;
    - an impossible calendar date (``19900230``), a birth date before
      1900-01-01 or after ``today`` (default: today in Asia/Shanghai, so a
      baby registered just after midnight Beijing time is not "in the future"
      on a server running in UTC);
    - a wrong check digit.
    """
    number = normalize_id_number(value)
    if not number:
        raise InvalidIdNumber("请填写身份证号", "empty")
    if len(number) == 15 and number.isascii() and number.isdigit():
        raise InvalidIdNumber("身份证号应为18位（15位旧号码已停用，请填写18位号码）", "old_15")
    if len(number) != 18:
        raise InvalidIdNumber(f"身份证号应为18位（当前为{len(number)}位）", "length")
    if not _BODY_RE.fullmatch(number):
        raise InvalidIdNumber("身份证号格式错误：前17位应为数字，最后一位应为数字或X", "chars")

    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("身份证号中的出生日期无效", "birth_date") from None
    if birth < _EARLIEST_BIRTH:
        raise InvalidIdNumber("身份证号中的出生日期无效（早于1900年）", "birth_too_early")
    if today is None:
        today = datetime.now(_SHANGHAI).date()
    if birth > today:
        raise InvalidIdNumber("身份证号中的出生日期晚于今天", "birth_future")

    if check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber("身份证号校验位错误，请核对是否输错", "check_digit")

    return IdNumber(
        number=number,
        region=number[:6],
        birth_date=birth,
        sex="M" if int(number[16]) % 2 else "F",
    )


def make_id_number(region: str, birth: date, seq: int, sex: str) -> str:
    """Build a valid number — for demo data and tests only.

    ``seq`` (0–99) fills digits 15–16; the 17th digit is chosen by ``sex``
    (``'M'``/``'F'``, or ``'男'``/``'女'``) as ``2 * (seq % 5) + (1 if male)``
    so that generated numbers use all ten digits. No validation of the
    birth date against today: tests use future dates to exercise rejection.
    """
    if len(region) != 6 or not region.isascii() or not region.isdigit():
        raise ValueError(f"region must be 6 ASCII digits, got {region!r}")
    if not 0 <= seq <= 99:
        raise ValueError(f"seq must be in 0..99, got {seq}")
    if isinstance(birth, datetime):
        birth = birth.date()
    code = _normalize_sex(sex)
    if code is None:
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    seventeenth = 2 * (seq % 5) + (1 if code == "M" else 0)
    # Explicit zero padding: strftime("%Y") does not pad years < 1000 on glibc.
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:02d}{seventeenth}"
    return first17 + check_digit(first17)


def cross_check(id_number: IdNumber, *, birth_date: date | None, sex: str | None) -> list[str]:
    """Compare separately entered birth date / sex with what the number encodes.

    Returns Chinese messages, one per disagreement; empty list if consistent.
    ``None`` or ``''`` means "not given" and is not checked. ``sex`` accepts
    ``'M'``/``'F'`` (any case) and ``'男'``/``'女'``; any other value is reported
    as a message rather than raised, because it usually comes from a form.
    """
    problems: list[str] = []
    if birth_date is not None:
        if isinstance(birth_date, datetime):
            birth_date = birth_date.date()
        if birth_date != id_number.birth_date:
            problems.append(
                f"出生日期{_fmt_date(birth_date)}与身份证号不符"
                f"（身份证号中为{_fmt_date(id_number.birth_date)}）"
            )
    if sex:
        code = _normalize_sex(sex)
        if code is None:
            problems.append(f"性别“{sex}”无法识别，应为男或女")
        elif code != id_number.sex:
            problems.append(
                f"性别“{_SEX_CHINESE[code]}”与身份证号不符"
                f"（身份证号第17位表示{_SEX_CHINESE[id_number.sex]}）"
            )
    return problems


def _normalize_sex(sex: str) -> str | None:
    return _SEX_ALIASES.get(sex.strip().upper())


def _fmt_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
