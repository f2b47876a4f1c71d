"""R11 (StateOrRegion) and R12 (PostalCode): the pure functions of cosell.domain.addresses and their data."""

import csv
import io
import re
from importlib.resources import files

import botocore.session
import pytest

from cosell.domain import addresses
from cosell.domain.addresses import country_name, postal_code_violations, state_or_region_violations
from cosell.domain.violations import Violation

STATE = "customer.account.address.stateOrRegion"
POSTAL = "customer.account.address.postalCode"

COUNTRY_CODES = botocore.session.get_session().get_service_model("partnercentral-selling").shape_for("CountryCode").enum


def _packaged_rows(name: str) -> list[list[str]]:
    text = (files("cosell.data") / name).read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


POSTAL_ROWS = _packaged_rows("PostalCodeValidations.csv")[1:]  # (Name, exact AWS message)
NO_POSTAL_NAMES = [row[0] for row in _packaged_rows("CountriesWithoutPostalCode.csv")[1:] if row]
MESSAGE_BY_NAME = dict(POSTAL_ROWS)
# Rows no CountryCode reaches: GB is "United Kingdom" (own row); Serbia and Montenegro has no code.
UNREACHABLE = {"Great Britain", "Serbia and Montenegro"}


def _description(message: str) -> str:
    return re.search(r"must be in (.+) format\.$", message)[1]


def _example(alternative: str) -> str:
    """A value written in the given notation: 9/N -> 4, letters for A-runs, (A)/(A/N) filled in."""
    value = alternative.replace("(A/N)", "7").replace("(A)", "Q")
    value = re.sub(r"[0-9]+", lambda m: "4" * len(m[0]) if set(m[0]) == {"9"} else m[0], value)
    value = value.replace("N", "3")
    return re.sub(r"A[A-Z]*", lambda m: "K" * len(m[0]), value)


ALTERNATIVE_CASES = [
    (name, alternative)
    for name, message in POSTAL_ROWS
    for alternative in re.split(r"\s+or\s+", _description(message), flags=re.IGNORECASE)
]


def test_postal_csv_has_149_formats_and_59_countries_without():
    assert len(POSTAL_ROWS) == 149
    assert len(NO_POSTAL_NAMES) == 59


# --- the country table ---------------------------------------------------------------------------


def test_country_table_covers_exactly_the_model_enum():
    rows = _packaged_rows("country_names.csv")
    assert rows[0] == ["CountryCode", "Name"]
    codes = [code for code, _ in rows[1:]]
    assert sorted(codes) == sorted(COUNTRY_CODES)
    assert len(set(codes)) == len(codes)
    names = [addresses._normalise_name(name) for _, name in rows[1:]]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("US", "United States"),
        ("KR", "Korea"),
        ("MO", "MACAO"),
        ("LY", "Libyan Arab Jamahiriya"),
        ("GB", "United Kingdom"),
        ("MK", "Macedonia, The former Yugoslav Republic Of"),
        ("VI", "VIRGIN ISLANDS, U.S."),
        ("VA", "Holy See (Vatican City State)"),
        ("SZ", "Swaziland"),
        ("AN", "Netherlands Antilles"),
        ("BQ", "Bonaire, Sint Eustatius and Saba"),
    ],
)
def test_country_name(code, name):
    assert country_name(code) == name


def test_country_name_unknown_code():
    assert country_name("XX") is None


def test_every_csv_country_name_reaches_a_code():
    for name in [name for name, _ in POSTAL_ROWS] + NO_POSTAL_NAMES:
        code = addresses._code_for_name(name)
        if name in UNREACHABLE:
            assert code is None, name
        else:
            assert code is not None and country_name(code) is not None, name


def test_oddly_spelled_no_postal_names_reach_their_codes():
    assert addresses._code_for_name("Bonaire,Sint Eustatius and Saba") == "BQ"
    assert addresses._code_for_name("Saint Helena, Ascension and  Tristan Da Cunha") == "SH"
    assert {"BQ", "SH", "AE", "HK", "QA", "GH", "MO"} <= addresses._no_postal_codes()
    assert len(addresses._no_postal_codes()) == 59


# --- R11: StateOrRegion ----------------------------------------------------------------------------


def test_us_states_come_from_the_model():
    states = addresses._us_states()
    assert len(states) == 62
    assert {"Dist. of Columbia", "APO/AE", "AFO/FPO", "FPO, AP", "Virgin Islands", "Wyoming"} <= set(states)


@pytest.mark.parametrize("state", ["Washington", "Dist. of Columbia", "FPO, AP", "Puerto Rico"])
def test_us_state_accepted(state):
    assert state_or_region_violations("US", state, False) == []


def test_every_model_state_accepted():
    assert all(state_or_region_violations("US", state, False) == [] for state in addresses._us_states())


@pytest.mark.parametrize("state", [None, "", "   "])
def test_us_missing_state_is_required(state):
    assert state_or_region_violations("US", state, False) == [
        Violation(STATE, "REQUIRED_FIELD_MISSING", "StateOrRegion is required when CountryCode is US.")
    ]


def test_national_security_skips_required_state():
    assert state_or_region_violations("US", None, True) == []


@pytest.mark.parametrize("state", ["WA", "texas", "Ontario", "District of Columbia"])
def test_us_unknown_state_is_invalid(state):
    [violation] = state_or_region_violations("US", state, False)
    assert (violation.field, violation.code) == (STATE, "INVALID_VALUE")
    assert violation.message.startswith("StateOrRegion is not a valid value; valid values: Alabama | Alaska")
    assert "FPO, AP" in violation.message


@pytest.mark.parametrize("national_security", [False, True])
def test_state_outside_us_is_invalid(national_security):
    [violation] = state_or_region_violations("FR", "Texas", national_security)
    assert (violation.field, violation.code) == (STATE, "INVALID_VALUE")
    assert "only accepted when CountryCode is US" in violation.message


@pytest.mark.parametrize("state", [None, ""])
def test_no_state_outside_us_is_fine(state):
    assert state_or_region_violations("DE", state, False) == []


def test_no_country_no_state_violation():
    assert state_or_region_violations(None, "Texas", False) == []
    assert state_or_region_violations(None, None, False) == []


# --- R12: PostalCode formats ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "alternative"), ALTERNATIVE_CASES)
def test_every_format_alternative_accepts_its_example(name, alternative):
    example = _example(alternative)
    pattern = addresses._postal_pattern(name, _description(MESSAGE_BY_NAME[name]))
    assert pattern.fullmatch(example), (name, alternative, example)
    assert pattern.fullmatch(example.lower()), (name, alternative, example)
    code = addresses._code_for_name(name)
    if code is not None:
        assert postal_code_violations(code, example, False) == []


@pytest.mark.parametrize(("name", "message"), POSTAL_ROWS)
def test_every_format_rejects_wrong_values_with_the_exact_csv_message(name, message):
    pattern = addresses._postal_pattern(name, _description(message))
    first = _example(re.split(r"\s+or\s+", _description(message), flags=re.IGNORECASE)[0])
    wrong = ["#" + first, first + "#", "?", "ZZZZZZZZZZZZ"]
    assert not any(pattern.fullmatch(value) for value in wrong), name
    code = addresses._code_for_name(name)
    if code is not None:
        for value in wrong:
            assert postal_code_violations(code, value, False) == [Violation(POSTAL, "INVALID_STRING_FORMAT", message)]


REAL_CODES = [
    ("US", "98101"),
    ("US", "98101-1234"),
    ("CA", "K1A 0B1"),
    ("CA", "K1A0B1"),
    ("CA", "k1a 0b1"),
    ("GB", "SW1A 1AA"),
    ("GB", "M1 1AE"),
    ("GB", "EC1A 1BB"),
    ("GB", "DN55 1PT"),
    ("GB", "B338TH"),
    ("NL", "1012 AB"),
    ("NL", "1012AB"),
    ("IE", "D02 X285"),
    ("IE", "A65 F4E2"),
    ("IE", "D6W XK27"),
    ("BR", "01310-100"),
    ("BR", "01310"),
    ("IN", "560 001"),
    ("IN", "560001"),
    ("LT", "LT-01100"),
    ("LT", "01100"),
    ("SE", "114 55"),
    ("SE", "SE-11455"),
    ("SE", "S-11455"),
    ("BE", "B-1000"),
    ("BE", "1000"),
    ("DE", "10115"),
    ("FR", "75001"),
    ("JP", "100-0001"),
    ("PL", "00-950"),
    ("PT", "1000-001"),
    ("CZ", "110 00"),
    ("GR", "106 82"),
    ("MT", "VLT 1117"),
    ("BM", "HM 12"),
    ("BM", "HM BX"),
    ("BN", "BS8811"),
    ("BN", "KB2333"),
    ("SZ", "H100"),
    ("SZ", "M200"),
    ("VA", "00120"),
    ("VA", "120"),
    ("SA", "12643"),
    ("SA", "12643-2121"),
    ("SM", "47890"),
    ("NC", "98800"),
    ("MC", "98000"),
    ("GP", "97110"),
    ("RE", "97400"),
    ("BL", "97133"),
    ("MF", "97150"),
    ("PM", "97500"),
    ("SV", "1101"),
    ("VC", "VC0100"),
    ("AU", "2000"),
    ("CN", "100000"),
    ("AR", "C1002AAA"),  # no format row: anything non-empty
    ("CL", "8320000"),
]


@pytest.mark.parametrize(("code", "postal"), REAL_CODES)
def test_real_postal_codes_accepted(code, postal):
    assert postal_code_violations(code, postal, False) == []


@pytest.mark.parametrize(
    ("code", "postal"),
    [
        ("US", "9810"),
        ("US", "98101 1234"),
        ("CA", "K1A-0B1"),
        ("GB", "SW1A1AAA"),
        ("NL", "1012 A"),
        ("LT", "LT 01100"),
        ("SE", "SE 11455"),
        ("PL", "00950"),
        ("NC", "98700"),
        ("BL", "97134"),
        ("SV", "1102"),
        ("SM", "47900"),
        ("SA", "1264"),
    ],
)
def test_wrong_postal_codes_rejected_with_csv_message(code, postal):
    name = country_name(code)
    assert postal_code_violations(code, postal, False) == [
        Violation(POSTAL, "INVALID_STRING_FORMAT", MESSAGE_BY_NAME[name])
    ]


def test_csv_message_kept_verbatim_even_when_odd():
    [violation] = postal_code_violations("MF", "12345", False)
    assert violation.message == (
        "The postal code is invalid for country Saint Martin (French Part ), "
        "Saint Martin (French Part ) postal code must be in 97150 format."
    )


# --- R12: presence ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["AE", "HK", "QA", "BQ", "SH"])
@pytest.mark.parametrize("national_security", [False, True])
def test_no_postal_country_rejects_a_value(code, national_security):
    [violation] = postal_code_violations(code, "12345", national_security)
    assert (violation.field, violation.code) == (POSTAL, "INVALID_VALUE")
    assert violation.message.endswith(f"{country_name(code)} does not take a postal code.")


@pytest.mark.parametrize("code", ["AE", "HK", "QA"])
@pytest.mark.parametrize("postal", [None, ""])
def test_no_postal_country_accepts_none(code, postal):
    assert postal_code_violations(code, postal, False) == []


@pytest.mark.parametrize("code", ["US", "FR", "AR"])
@pytest.mark.parametrize("postal", [None, "", "  "])
def test_missing_postal_code_is_required(code, postal):
    assert postal_code_violations(code, postal, False) == [
        Violation(POSTAL, "REQUIRED_FIELD_MISSING", f"PostalCode is required for country {country_name(code)}.")
    ]


def test_national_security_skips_required_postal_code_but_not_format():
    assert postal_code_violations("US", None, True) == []
    assert postal_code_violations("US", "ABC", True)[0].code == "INVALID_STRING_FORMAT"


def test_no_country_no_postal_violation():
    assert postal_code_violations(None, None, False) == []
    assert postal_code_violations(None, "anything", False) == []


def test_no_overlap_between_formats_and_no_postal_countries():
    assert not set(addresses._postal_rules()) & addresses._no_postal_codes()
    assert len(addresses._postal_rules()) == 149 - len(UNREACHABLE)
