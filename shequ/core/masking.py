"""Masking of personal data for display (列表页、公示页、日志).

Rules follow common practice of Chinese government service platforms and the
"minimum necessary" principle of the Personal Information Protection Law
(个人信息保护法 art. 6): show just enough to tell records apart.

Every function here is total: ``None``/empty input gives ``""``, and input too
short to mask meaningfully is replaced by stars entirely — the clear value is
never returned.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["mask_id_number", "mask_middle", "mask_name", "mask_phone"]

STAR = "*"

# 11-digit mainland mobile, optionally with the +86 / 86 country code.
_MOBILE_RE = re.compile(r"(?:\+?86)?(1[0-9]{10})")
# Landline: area code 0 + 2 digits (010, 02x) or 0 + 3 digits (all others),
# optionally in parentheses and followed by a separator, then a 7–8 digit local
# number.
# An extension (分机) may follow after "-", "#", "转" or "ext".
_LANDLINE_RE = re.compile(
    r"(?P<area>\(?0(?:[12][0-9]|[3-9][0-9]{2})\)?[-\s]?)(?P<local>[0-9]{7,8})"
    r"(?:(?P<ext_sep>\s*(?:[-#转]|ext\.?)\s*)(?P<ext>[0-9]{1,6}))?",
    re.IGNORECASE,
)
_COMPACT_DROP = re.compile(r"[\s\-()]")

# 复姓: the surname is kept whole on public pages (欧阳**), as is customary.
# fmt: off
_COMPOUND_SURNAMES = frozenset([
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "司空", "夏侯", "轩辕", "令狐", "端木", "南宫", "西门", "独孤",
    "呼延", "申屠", "澹台", "公羊", "太史", "闻人", "万俟", "百里", "东郭", "钟离",
    "赫连", "濮阳", "拓跋", "完颜", "第五", "公冶", "宗政", "淳于", "单于", "太叔",
    "仲孙", "乐正", "壤驷", "漆雕",
])
# fmt: on


def mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    """Keep ``keep_start`` leading and ``keep_end`` trailing characters, star the rest.

    If the value is not longer than ``keep_start + keep_end`` it is starred
    entirely (otherwise "masking" would show everything).
    """
    if not value:
        return ""
    n = len(value)
    if n <= keep_start + keep_end:
        return STAR * n
    return value[:keep_start] + STAR * (n - keep_start - keep_end) + value[n - keep_end :]


def mask_id_number(value: str | None) -> str:
    """``220402199001011234`` → ``2204**********1234``.

    Whitespace is removed first. Values shorter than 15 characters (i.e.
    neither an 18-digit nor a legacy 15-digit number) are starred entirely:
    keeping 8 of e.g. 10 characters would nearly disclose them.
    """
    if not value:
        return ""
    compact = "".join(value.split())
    if len(compact) < 15:
        return STAR * len(compact)
    return mask_middle(compact, 4, 4)


def mask_phone(value: str | None) -> str:
    """Mask a phone number, keeping what helps a caseworker recognise it.

    - mobile ``13812345678`` (also ``+86 138 1234 5678``) → ``138****5678``;
    - landline ``0437-1234567`` → ``0437-***4567`` (area code and last 4 kept,
      the input's own separator/parentheses preserved; an extension such as
      ``-801`` or ``转801`` is starred: ``0437-***4567-***``);
    - anything with fewer than 7 digits → all stars (same length);
    - other formats: every digit except the last 4 becomes ``*``, punctuation
      is kept.
    """
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value).strip()  # full-width digits from IMEs
    digits = sum(ch in "0123456789" for ch in text)
    if digits < 7:
        return STAR * len(text)

    mobile = _MOBILE_RE.fullmatch(_COMPACT_DROP.sub("", text))
    if mobile:
        number = mobile.group(1)
        return number[:3] + STAR * 4 + number[-4:]

    landline = _LANDLINE_RE.fullmatch(text)
    if landline:
        local = landline.group("local")
        masked = landline.group("area") + STAR * (len(local) - 4) + local[-4:]
        if landline.group("ext"):
            masked += landline.group("ext_sep") + STAR * len(landline.group("ext"))
        return masked

    out: list[str] = []
    keep = 4
    for ch in reversed(text):
        if ch in "0123456789":
            if keep:
                keep -= 1
                out.append(ch)
            else:
                out.append(STAR)
        else:
            out.append(ch)
    return "".join(reversed(out))


def mask_name(value: str | None) -> str:
    """``张三`` → ``张*``, ``王小明`` → ``王**``, ``欧阳娜娜`` → ``欧阳**``.

    The first character (the whole surname for the common 复姓) is kept and
    every other character starred, so the length is preserved. A one-character
    value becomes ``*``; a two-character compound surname alone (``欧阳``)
    keeps only its first character. Minority names with ``·`` are starred like
    any other character.
    """
    if not value:
        return ""
    name = value.strip()
    if not name:
        return ""
    keep = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else 1
    if len(name) <= keep:
        return STAR * len(name)
    return name[:keep] + STAR * (len(name) - keep)
