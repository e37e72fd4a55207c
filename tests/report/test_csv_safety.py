"""The formula neutraliser of CSV cells (OWASP "CSV injection"), one case at a time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from supportkpi.report.csv_safety import FORMULA_STARTS, neutralise_cell


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://x","y")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "-5+cmd",
        "@SUM(A1)",
        "\tX",
        "\rX",
        "=",
        "-",
        "- item",
        "+49 30 1234",  # a phone number is text: a spreadsheet would compute it
        "-1e",
        "--5",
    ],
    ids=repr,
)
def test_text_that_starts_a_formula_gets_a_quote(text: str) -> None:
    assert neutralise_cell(text) == "'" + text


def test_every_start_character_is_covered() -> None:
    assert FORMULA_STARTS == ("=", "+", "-", "@", "\t", "\r")
    for start in FORMULA_STARTS:
        assert neutralise_cell(f"{start}cmd") == f"'{start}cmd"


@pytest.mark.parametrize("number", [-5, 0, 3, -0.25, 1e-9, float("-inf"), True, Decimal("-1.5")])
def test_numbers_stay_numbers(number: object) -> None:
    assert neutralise_cell(number) is number


@pytest.mark.parametrize("text", ["-5", "+5", "-0.25", "-.5", "-5.", "-1.5e3", "+2E-7"])
def test_text_that_is_only_a_number_stays_as_it_is(text: str) -> None:
    assert neutralise_cell(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "billing",
        "a=b",
        "x-1",
        "x@example.com",
        " =1",  # a leading space: spreadsheets read text
        "'=already quoted",
        "\nX",  # a line break is quoted by the CSV writer, not read as a formula
        "Zoë Müller",
        "東京",
    ],
    ids=repr,
)
def test_safe_text_is_unchanged(text: str) -> None:
    assert neutralise_cell(text) == text


@pytest.mark.parametrize("text", ["=Zoë", "@東京", "-ünïcode", "+\u00a0x"], ids=repr)
def test_unicode_after_a_formula_start_is_quoted_too(text: str) -> None:
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", [None, date(2026, 10, 1), ["=a"], b"=bytes"])
def test_values_that_are_not_text_are_left_to_the_caller(value: object) -> None:
    # None, dates and lists are rendered by the caller first (see dashboard csv_value).
    assert neutralise_cell(value) is value


def test_unicode_digits_are_not_plain_numbers() -> None:
    # "\d" would match Arabic-Indic digits; a spreadsheet does not read them as a number.
    assert neutralise_cell("-٣") == "'-٣"
