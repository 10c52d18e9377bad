from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from relance.core import cells


@pytest.mark.parametrize("value, expected", [
    (46351, date(2026, 11, 25)),                  # serial number (Sheets UNFORMATTED_VALUE)
    (46351.75, date(2026, 11, 25)),               # serial with a time part
    ("46351", date(2026, 11, 25)),                # serial shown as text
    (datetime(2026, 11, 25, 8, 0), date(2026, 11, 25)),
    (date(2026, 11, 25), date(2026, 11, 25)),
    ("25/11/2026", date(2026, 11, 25)),
    ("05/11/2026", date(2026, 11, 5)),            # day first, never 11 May
    ("5/11/26", date(2026, 11, 5)),
    ("25.11.2026", date(2026, 11, 25)),
    ("2026-11-05", date(2026, 11, 5)),            # ISO: dateutil dayfirst would swap to 11 May
    ("2026-11-05T10:00:00", date(2026, 11, 5)),
    ("25 novembre 2026", date(2026, 11, 25)),
    ("1er décembre 2026", date(2026, 12, 1)),
    ("  25/11/2026 ", date(2026, 11, 25)),
    (None, None),
    ("", None),
    ("   ", None),
])
def test_dates_staff_type(value, expected):
    assert cells.parse_date(value) == expected


@pytest.mark.parametrize("value, message", [
    ("31/02/2026", "date illisible"),
    ("bientôt", "date illisible"),
    ("11/2026", "date incomplète"),
    ("novembre", "date incomplète"),
    ("01/01/0001", "date"),
    ("31/12/9999", "date improbable"),
    (True, "date illisible"),
    (float("nan"), "date illisible"),
    (-5, "date illisible"),
])
def test_bad_dates_say_why(value, message):
    with pytest.raises(ValueError, match=message):
        cells.parse_date(value)


@pytest.mark.parametrize("value, expected", [
    ("1 234,56 €", "1234.56"),
    ("1\u202f234,56\xa0€", "1234.56"),            # what Babel itself prints
    ("1234,56", "1234.56"),
    ("1234.56", "1234.56"),
    ("1.234,56", "1234.56"),
    ("1,234.56", "1234.56"),
    ("€1,234.56", "1234.56"),
    ("12,5", "12.50"),
    ("1 234 EUR", "1234.00"),
    ("-120,00 €", "-120.00"),                     # parsed; negativity is judged by the row rules
    (1234.5, "1234.50"),
    (0.1 + 0.2, "0.30"),                          # never 0.30000000000000004 in a letter
    (100, "100.00"),
    (None, None),
    ("", None),
])
def test_amounts_staff_type(value, expected):
    result = cells.parse_amount(value)
    assert result == (Decimal(expected) if expected else None)


@pytest.mark.parametrize("value", ["abc", "12abc", "1e5", "=SUM(A1:A3)", True, "1" * 40, float("inf")])
def test_bad_amounts_are_refused(value):
    with pytest.raises(ValueError, match="montant"):
        cells.parse_amount(value)


@pytest.mark.parametrize("text, ok", [
    ("a@b.fr", True), ("compta@boulangerie-martin.example", True), ("", False), ("pas un email", False),
    ("a@b.fr\r\nBcc: evil@x.com", False), ("Jean <a@b.fr>", False), ("a@b", False), ("a@b.fr,c@d.fr", False),
])
def test_valid_email(text, ok):
    assert cells.valid_email(text) is ok


@given(st.text(alphabet="ab9._+-@()[]:\\", min_size=3, max_size=14))
def test_plain_address_shortcut_agrees_with_the_full_check(text):
    """valid_email skips parseaddr for plain-looking addresses (15 µs each, 62 500 clients): same verdict."""
    from email.utils import parseaddr
    import re
    full = parseaddr(text)[1] == text and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) is not None
    assert cells.valid_email(text) is full


def test_choices_ignore_case_and_accents():
    assert cells.parse_choice("payee", ("Payée", "Litige")) == "Payée"
    assert cells.parse_choice("Paid", ("Payée",), {"Paid": "Payée"}) == "Payée"
    with pytest.raises(ValueError, match="valeur inconnue"):
        cells.parse_choice("Bientôt payée", ("Payée",))


def test_clean_text_drops_control_characters_but_keeps_newlines():
    assert cells.clean_text("Dupont\x00\x1b SARL\nLigne 2") == "Dupont SARL\nLigne 2"
    assert cells.clean_text(1024.0) == "1024"


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_french_formatting_round_trips(amount):
    from relance.messages.render import money
    assert cells.parse_amount(money(amount)) == amount
