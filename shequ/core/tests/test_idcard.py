from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequ.core.idcard import (
    IdNumber,
    InvalidIdNumber,
    check_digit,
    cross_check,
    make_id_number,
    normalize_id_number,
    parse_id_number,
)


@pytest.fixture
def settings() -> SimpleNamespace:
    """Stand-in for pytest-django's ``settings``, which autouse fixtures of the
    project conftest write to: these Django-free tests must also run with
    ``-p no:django`` (and need no Django settings when run with it)."""
    return SimpleNamespace()


TODAY = date(2025, 6, 1)
DIGITS = "0123456789"


def reference_check_digit(first17: str) -> str:
    """GB 11643-1999 check code written out literally: W_i = 2^(i-1) mod 11 for position i
    counted from the right (the check digit being position 1), and
    a_1 ≡ (12 - Σ a_i·W_i) mod 11, with 10 written as X."""
    total = sum(int(a) * (2 ** (18 - pos) % 11) for pos, a in enumerate(first17, start=1))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


regions = st.text(alphabet=DIGITS, min_size=6, max_size=6)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
body17 = st.text(alphabet=DIGITS, min_size=17, max_size=17)


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    first17 = (
        draw(regions)
        + draw(birth_dates).strftime("%Y%m%d")
        + draw(st.text(alphabet=DIGITS, min_size=3, max_size=3))
    )
    return first17 + reference_check_digit(first17)


# --------------------------------------------------------------- check digit


def test_examples_from_the_standard() -> None:
    # The two sample numbers used in GB 11643-1999 itself.
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"


@given(body17)
def test_check_digit_agrees_with_reference_formula(first17: str) -> None:
    assert check_digit(first17) == reference_check_digit(first17)


@pytest.mark.parametrize("bad", ["", "1234567890123456", "123456789012345678", "1234567890123456X"])
def test_check_digit_requires_17_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        check_digit(bad)


def test_check_digit_rejects_non_ascii_digits() -> None:
    with pytest.raises(ValueError):
        check_digit("١" * 17)  # Arabic-Indic digits satisfy str.isdigit()


# -------------------------------------------------------------------- parse


def test_parse_standard_example() -> None:
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert parsed == IdNumber("11010519491231002X", "110105", date(1949, 12, 31), "F")


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width from a Chinese IME
        "110105\u300019491231002X",  # ideographic space
    ],
)
def test_parse_accepts_sloppy_input(raw: str) -> None:
    assert parse_id_number(raw, today=TODAY).number == "11010519491231002X"


def test_normalize_does_not_validate() -> None:
    assert normalize_id_number(" ab c ") == "ABC"


@pytest.mark.parametrize(
    ("raw", "code", "fragment"),
    [
        ("", "empty", "身份证号"),
        ("   ", "empty", "身份证号"),
        ("110105491231002", "old_15", "18位"),
        ("1101051949123100", "length", "18位"),
        ("11010519491231002X1", "length", "18位"),
        ("11010519491231X02X", "chars", "数字"),
        ("1101051949123100-X", "chars", "数字"),
        ("110105199002300015", "birth_date", "出生日期无效"),
        ("110105199013010015", "birth_date", "出生日期无效"),
        ("440524188001010014", "birth_too_early", "1900"),
        ("110105194912310021", "check_digit", "校验位错误"),
    ],
)
def test_parse_rejects_with_clear_message(raw: str, code: str, fragment: str) -> None:
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse_id_number(raw, today=TODAY)
    assert excinfo.value.code == code
    assert fragment in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


def test_birth_date_limits() -> None:
    assert parse_id_number(make_id_number("110105", date(1900, 1, 1), 0, "M"), today=TODAY)
    assert parse_id_number(make_id_number("110105", TODAY, 0, "F"), today=TODAY)
    tomorrow = make_id_number("110105", date(2025, 6, 2), 0, "F")
    with pytest.raises(InvalidIdNumber, match="出生日期晚于今天") as excinfo:
        parse_id_number(tomorrow, today=TODAY)
    assert excinfo.value.code == "birth_future"
    too_early = make_id_number("110105", date(1899, 12, 31), 0, "F")
    with pytest.raises(InvalidIdNumber, match="早于1900"):
        parse_id_number(too_early, today=TODAY)


def test_leap_day() -> None:
    assert parse_id_number(make_id_number("220402", date(2000, 2, 29), 1, "M"), today=TODAY)
    first17 = "22040219000229011"  # 1900 is not a leap year (divisible by 100, not 400)
    with pytest.raises(InvalidIdNumber, match="出生日期无效"):
        parse_id_number(first17 + check_digit(first17), today=TODAY)


def test_default_today_is_real_today() -> None:
    with pytest.raises(InvalidIdNumber, match="晚于今天"):
        parse_id_number(make_id_number("110105", date(2999, 1, 1), 0, "M"))


@given(body17, st.data())
def test_any_17_digits_with_valid_date_parse(first17: str, data: st.DataObject) -> None:
    birth = data.draw(birth_dates)
    first17 = first17[:6] + birth.strftime("%Y%m%d") + first17[14:]
    parsed = parse_id_number(first17 + reference_check_digit(first17), today=TODAY)
    assert parsed.number == first17 + reference_check_digit(first17)
    assert parsed.region == first17[:6]
    assert parsed.birth_date == birth
    assert parsed.sex == ("M" if int(first17[16]) % 2 else "F")


@given(valid_numbers(), st.integers(min_value=0, max_value=17), st.data())
def test_any_single_character_change_is_rejected(
    number: str, position: int, data: st.DataObject
) -> None:
    alphabet = DIGITS + "X" if position == 17 else DIGITS
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(InvalidIdNumber):
        parse_id_number(changed, today=TODAY)


# --------------------------------------------------------------------- make


@given(regions, birth_dates, st.integers(min_value=0, max_value=99), st.sampled_from("MF"))
def test_make_parse_round_trip(region: str, birth: date, seq: int, sex: str) -> None:
    number = make_id_number(region, birth, seq, sex)
    assert len(number) == 18
    assert number[14:16] == f"{seq:02d}"
    parsed = parse_id_number(number, today=TODAY)
    assert (parsed.number, parsed.region, parsed.birth_date, parsed.sex) == (
        number,
        region,
        birth,
        sex,
    )
    assert number[17] == reference_check_digit(number[:17])


def test_make_accepts_chinese_sex_and_uses_all_digits() -> None:
    numbers = {make_id_number("220402", date(1990, 1, 1), seq, "男")[16] for seq in range(10)}
    assert numbers == set("13579")
    numbers = {make_id_number("220402", date(1990, 1, 1), seq, "女")[16] for seq in range(10)}
    assert numbers == set("02468")


@pytest.mark.parametrize(
    ("region", "seq", "sex"),
    [("22040", 0, "M"), ("22040a", 0, "M"), ("220402", 100, "M"), ("220402", -1, "M"),
     ("220402", 0, "X")],
)  # fmt: skip
def test_make_rejects_bad_arguments(region: str, seq: int, sex: str) -> None:
    with pytest.raises(ValueError):
        make_id_number(region, date(1990, 1, 1), seq, sex)


# -------------------------------------------------------------- IdNumber/cross


def test_repr_does_not_leak_number() -> None:
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert "11010519491231002X" not in repr(parsed)
    assert "1101**********002X" in repr(parsed)
    assert str(parsed) == "11010519491231002X"


def test_age_on() -> None:
    parsed = parse_id_number(make_id_number("110105", date(1964, 2, 29), 3, "F"), today=TODAY)
    assert parsed.age_on(date(2024, 2, 28)) == 59
    assert parsed.age_on(date(2024, 2, 29)) == 60
    assert parsed.age_on(date(2025, 2, 28)) == 60


def test_cross_check_consistent() -> None:
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert cross_check(parsed, birth_date=date(1949, 12, 31), sex="F") == []
    assert cross_check(parsed, birth_date=datetime(1949, 12, 31, 8), sex="女") == []
    assert cross_check(parsed, birth_date=None, sex=None) == []
    assert cross_check(parsed, birth_date=None, sex="") == []


def test_cross_check_reports_each_disagreement() -> None:
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    problems = cross_check(parsed, birth_date=date(1949, 1, 31), sex="m")
    assert len(problems) == 2
    assert "出生日期1949年1月31日与身份证号不符" in problems[0]
    assert "1949年12月31日" in problems[0]
    assert "性别“男”与身份证号不符" in problems[1]
    assert cross_check(parsed, birth_date=None, sex="unknown") == [
        "性别“unknown”无法识别，应为男或女"
    ]
