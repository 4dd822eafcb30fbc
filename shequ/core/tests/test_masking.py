from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.core.masking import mask_id_number, mask_middle, mask_name, mask_phone


@pytest.fixture
def settings() -> SimpleNamespace:
    """Stand-in for pytest-django's ``settings``, which autouse fixtures of the
    project conftest write to: these Django-free tests must also run with
    ``-p no:django`` (and need no Django settings when run with it)."""
    return SimpleNamespace()


DIGITS = "0123456789"


def is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


# ---------------------------------------------------------------- ID numbers


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("22040219900101123X", "2204**********123X"),
        (" 220402 19900101 123X ", "2204**********123X"),
        ("220402900101123", "2204*******1123"),  # legacy 15-digit number
        ("", ""),
        (None, ""),
        ("12345", "*****"),
        ("G12345678", "*********"),  # passport: too short to keep 8 of 9
    ],
)
def test_mask_id_number_examples(raw: str | None, masked: str) -> None:
    assert mask_id_number(raw) == masked


@given(st.text())
def test_mask_id_number_reveals_only_first_and_last_four(raw: str) -> None:
    compact = "".join(raw.split())
    out = mask_id_number(raw)
    assert len(out) == len(compact)
    n = len(compact)
    kept = set(range(4)) | set(range(n - 4, n)) if n >= 15 else set()
    for i, ch in enumerate(out):
        if i in kept:
            assert ch == compact[i]
        else:
            assert ch == "*"


# -------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("8613812345678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),  # full-width
        ("0437-1234567", "0437-***4567"),
        ("0437 12345678", "0437 ****5678"),
        ("010-12345678", "010-****5678"),
        ("(0437)1234567", "(0437)***4567"),
        ("04371234567", "0437***4567"),
        ("1234567", "***4567"),
        ("123456", "******"),
        ("12345", "*****"),
        ("", ""),
        (None, ""),
        ("0437-1234567-801", "0437-***4567-***"),
        ("0437-1234567转801", "0437-***4567转***"),
        ("1234-5678-9012", "****-****-9012"),  # unknown format: last 4 digits only
    ],
)
def test_mask_phone_examples(raw: str | None, masked: str) -> None:
    assert mask_phone(raw) == masked


@given(st.from_regex(r"1[0-9]{10}", fullmatch=True))
def test_mask_phone_any_mobile(number: str) -> None:
    assert mask_phone(number) == number[:3] + "****" + number[-4:]


@given(st.text(alphabet=DIGITS + " -+()", max_size=20))
def test_mask_phone_reveals_at_most_prefix_and_last_four(raw: str) -> None:
    out = mask_phone(raw)
    in_digits = "".join(c for c in raw if c in DIGITS)
    out_digits = "".join(c for c in out if c in DIGITS)
    if len(in_digits) < 7:
        assert out_digits == ""
        assert set(out) <= {"*"}
    else:
        assert len(out_digits) <= 8  # area code (≤4) or mobile prefix (3) + last 4
        assert out_digits.endswith(in_digits[-4:])
        assert is_subsequence(out_digits, in_digits)
        assert out.count("*") >= len(in_digits) - 8


@given(st.text())
def test_mask_phone_total_on_any_text(raw: str) -> None:
    out = mask_phone(raw)
    assert sum(c in DIGITS for c in out) <= 8


# --------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳修", "欧阳*"),
        ("欧阳", "欧*"),
        ("诸葛亮", "诸葛*"),
        ("张", "*"),
        (" 李四 ", "李*"),
        ("阿依古丽·买买提", "阿*******"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask_name_examples(raw: str | None, masked: str) -> None:
    assert mask_name(raw) == masked


@given(st.text())
def test_mask_name_keeps_at_most_the_surname(raw: str) -> None:
    name = raw.strip()
    out = mask_name(raw)
    assert len(out) == len(name)
    for i, ch in enumerate(out):
        assert ch == "*" or (i < 2 and ch == name[i])
    if name:
        assert out[-1] == "*"  # never the whole name


# ------------------------------------------------------------------- helpers


@given(st.text(), st.integers(0, 5), st.integers(0, 5))
def test_mask_middle(value: str, start: int, end: int) -> None:
    out = mask_middle(value, start, end)
    assert len(out) == len(value)
    if len(value) <= start + end:
        assert out == "*" * len(value)
    else:
        assert out[:start] == value[:start]
        assert out[len(out) - end :] == value[len(value) - end :]
        assert set(out[start : len(out) - end]) == {"*"}
