import datetime as dt

import pytest

from lcsp_tui.domain.personnummer import (
    PersonnummerError,
    looks_like_personnummer,
    luhn_ok,
    mask,
    parse,
    with_check_digit,
)

REF = dt.date(2025, 9, 1)


@pytest.mark.parametrize(
    ("text", "digits", "year"),
    [
        ("191212121212", "191212121212", 1912),
        ("19121212-1212", "191212121212", 1912),
        ("121212-1212", "201212121212", 2012),  # latest century not in the future
        ("121212+1212", "191212121212", 1912),  # + means 100 years or older
        (" 19121212-1212 ", "191212121212", 1912),
        ("811228-9874", "198112289874", 1981),
    ],
)
def test_valid_forms_normalise_to_12_digits(text: str, digits: str, year: int) -> None:
    pnr = parse(text, REF)
    assert pnr.digits == digits
    assert pnr.birth_year == year
    assert str(pnr) == f"{digits[:8]}-{digits[8:]}"


def test_ten_digit_form_in_the_future_this_century_belongs_to_the_last() -> None:
    # 31 Dec 25 has not happened yet on 1 Sep 2025: born 1925 (99 years old, "-").
    ten = with_check_digit("251231123")
    pnr = parse(f"{ten[:6]}-{ten[6:]}", REF)
    assert pnr.birth_year == 1925
    # The same with "+": one more century back.
    assert parse(f"{ten[:6]}+{ten[6:]}", REF).birth_year == 1825


def test_plus_for_someone_turning_100_this_year() -> None:
    ten = with_check_digit("250101123")
    assert parse(f"{ten[:6]}+{ten[6:]}", REF).birth_year == 1925
    assert parse(f"{ten[:6]}-{ten[6:]}", REF).birth_year == 2025


def test_samordningsnummer_day_plus_60() -> None:
    pnr = parse("701063-2391", REF)
    assert pnr.digits == "197010632391"
    assert pnr.is_samordningsnummer
    assert pnr.birth_date == dt.date(1970, 10, 3)
    assert parse("197010632391", REF).birth_year == 1970


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("191212121213", "fel kontrollsiffra"),
        ("121212-1213", "fel kontrollsiffra"),
        ("19121312-1212", "ogiltigt datum"),  # month 13
        ("19120230-1212", "ogiltigt datum"),  # 30 Feb
        ("19121292-1212", "ogiltigt datum"),  # samordningsnummer day 32
        ("1212121212", "ska vara 12 siffror"),  # 10 digits need - or +
        ("19121212+1212", "ska vara 12 siffror"),
        ("abc", "ska vara 12 siffror"),
        ("", "ska vara 12 siffror"),
    ],
)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(PersonnummerError, match=message):
        parse(text, REF)


def test_birth_date_in_the_future_is_invalid() -> None:
    with pytest.raises(PersonnummerError, match="framtiden"):
        parse("20" + with_check_digit("300101123"), REF)


def test_serial_000_is_invalid_even_with_a_valid_check_digit() -> None:
    ten = with_check_digit("121212000")
    assert luhn_ok(ten)
    with pytest.raises(PersonnummerError, match="serienummer"):
        parse(f"{ten[:6]}-{ten[6:]}", REF)
    with pytest.raises(PersonnummerError, match="serienummer"):
        parse(f"19{ten}", REF)


def test_mask_hides_the_last_four() -> None:
    assert mask("191212121212") == "19121212-****"
    assert "1212" not in mask("191212121212")[9:]


@pytest.mark.parametrize(
    "text",
    ["191212121212", "19121212-1212", "121212-1212", "121212+1212", "1212121212", "A 121212-1212"],
)
def test_looks_like_personnummer(text: str) -> None:
    assert looks_like_personnummer(text)


@pytest.mark.parametrize("text", ["A Larsson", "1945", "Å Öberg 1945", "12345"])
def test_does_not_look_like_personnummer(text: str) -> None:
    assert not looks_like_personnummer(text)
