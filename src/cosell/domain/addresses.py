"""Address rules for Customer.Account.Address, as pure functions.

R11 (StateOrRegion) and R12 (PostalCode) of the behaviour reference, §3.1:

* R11: StateOrRegion is accepted only when CountryCode is US, and must then be one of the 62 names
  listed in the service model's StateOrRegion documentation (read from botocore, never copied).
  It is required for US unless the opportunity is national-security.
* R12: PostalCode must be empty for the 59 countries without postal codes, is otherwise required
  (unless national-security), and must match the country's format for the 149 countries with a
  format check; a failed check returns exactly AWS's message from PostalCodeValidations.csv.

Data (in ``cosell.data``, loaded once, lazily):

* ``PostalCodeValidations.csv`` and ``CountriesWithoutPostalCode.csv``: unchanged copies from
  aws-samples/partner-crm-integration-samples, ``opportunity-samples/`` (MIT, ``LICENSE-aws-samples``).
  Both name countries in AWS's English spelling.
* ``country_names.csv``: CountryCode -> the name AWS uses, one row per value of the model's
  CountryCode enum. The names are the ``country`` column of the same repository's
  ``Opportunity_-_StandardValues.csv``, which lists the countries in the enum's own order (plus
  "Great Britain" and "Serbia and Montenegro", which have no code of their own); the pairing was
  cross-checked against ISO 3166 names. Names are matched after normalising whitespace and comma
  spacing, so "Bonaire,Sint Eustatius and Saba" and "Saint Helena, Ascension and  Tristan Da Cunha"
  (as spelled in CountriesWithoutPostalCode.csv) reach BQ and SH.

Consequence: the PostalCodeValidations rows "Great Britain" (GB is "United Kingdom", which has its
own row) and "Serbia and Montenegro" (no code in the enum) are never applied.
"""

from __future__ import annotations

import csv
import html
import io
import re
from functools import cache
from importlib.resources import files

from cosell.domain.violations import Violation
from cosell.protocol.model import service_model

STATE_FIELD = "customer.account.address.stateOrRegion"
POSTAL_FIELD = "customer.account.address.postalCode"

# --- data loading -------------------------------------------------------------------------------


def _read_csv(name: str) -> list[list[str]]:
    """Rows of a packaged CSV, header dropped (utf-8-sig: CountriesWithoutPostalCode has a BOM)."""
    text = (files("cosell.data") / name).read_text(encoding="utf-8-sig")
    return [row for row in csv.reader(io.StringIO(text))][1:]


def _normalise_name(name: str) -> str:
    name = re.sub(r"\s*,\s*", ", ", name)
    return re.sub(r"\s+", " ", name).strip().casefold()


@cache
def _name_by_code() -> dict[str, str]:
    return {code: name for code, name in _read_csv("country_names.csv")}


@cache
def _code_by_name() -> dict[str, str]:
    return {_normalise_name(name): code for code, name in _name_by_code().items()}


def _code_for_name(name: str) -> str | None:
    return _code_by_name().get(_normalise_name(name))


@cache
def _no_postal_codes() -> frozenset[str]:
    codes = {_code_for_name(row[0]) for row in _read_csv("CountriesWithoutPostalCode.csv") if row}
    return frozenset(code for code in codes if code is not None)


_MESSAGE_FORMAT = re.compile(r"postal code must be in (?P<fmt>.+) format\.$")


@cache
def _postal_format_rows() -> tuple[tuple[str, str, str], ...]:
    """(CSV country name, format description, exact message) for every PostalCodeValidations row."""
    rows = []
    for name, message in _read_csv("PostalCodeValidations.csv"):
        match = _MESSAGE_FORMAT.search(message)
        if match is None:  # pragma: no cover - the shipped CSV always has it
            raise ValueError(f"no format in postal-code message for {name!r}")
        rows.append((name, match["fmt"], message))
    return tuple(rows)


@cache
def _postal_rules() -> dict[str, tuple[re.Pattern[str], str]]:
    """CountryCode -> (full-match pattern, AWS message) for the rows reachable from a code."""
    rules = {}
    for name, description, message in _postal_format_rows():
        code = _code_for_name(name)
        if code is not None:
            rules[code] = (_postal_pattern(name, description), message)
    return rules


@cache
def _us_states() -> tuple[str, ...]:
    """The 62 valid StateOrRegion names, from the model's 'Valid values: A | B | ...' doc text."""
    doc = service_model().shape_for("Address").members["StateOrRegion"].documentation
    text = html.unescape(re.sub(r"<[^>]+>", "", doc))
    match = re.search(r"Valid values:\s*(.+?)\s*$", text, re.S)
    if match is None:  # pragma: no cover - guards a botocore doc rewrite
        raise ValueError("StateOrRegion valid values not found in the service model")
    return tuple(value.strip() for value in match[1].split(" | "))


# --- postal-code format notation --------------------------------------------------------------
#
# How the "must be in <fmt> format" descriptions are read (Wikipedia "List of postal codes" style):
# * alternatives are separated by " OR " / " or ";
# * "9" and "N" are a digit, but a run of digits holding anything other than 9 is literal: "97133",
#   "97500", "97150", "120" and "1101" are fixed values, "988NN" is 988 + two digits and "4789N"
#   is 47890..47899;
# * "A" is a letter; a run of capitals that starts with A is notation throughout, so "AA", "AAA"
#   and the Netherlands' "AC" are 2, 3 and 2 letters; any other capital run is literal ("LT-",
#   "S-", "SE-", "B-", "VC", "KB", "M");
# * "(x)" is optional, "(A/N)" an optional letter or digit (UK "A(A)N(A/N)NAA");
# * "-" and " " are literal (one space, where the description shows one); El Salvador's "1101" is
#   kept literal (Wikipedia's postal-code list gives it as the one code for all inbound mail);
# * letters match in either case (the whole pattern is case-insensitive); the whole value must match.
# A few rows are not notation, or reject the country's ordinary codes when read literally: they
# get an override below. Each override only widens the literal reading (whatever matches the
# stated format still matches), and AWS's message is kept unchanged.

_ALTERNATIVE_SEPARATOR = re.compile(r"\s+or\s+", re.IGNORECASE)
_FORMAT_TOKEN = re.compile(
    r"\((?P<optional>[^)]*)\)|(?P<digits>[0-9]+)|(?P<wildcards>N+)|(?P<letters>[A-MO-Z]+)|(?P<literal>.)"
)


def _format_to_regex(description: str) -> str:
    """Regex source (no anchors; use fullmatch with re.IGNORECASE | re.ASCII) for a description."""
    return "|".join(_alternative_to_regex(alt) for alt in _ALTERNATIVE_SEPARATOR.split(description.strip()))


def _alternative_to_regex(alternative: str) -> str:
    parts = []
    for token in _FORMAT_TOKEN.finditer(alternative):
        if token["optional"] is not None:
            choices = "|".join(_alternative_to_regex(choice) for choice in token["optional"].split("/"))
            parts.append(f"(?:{choices})?")
        elif token["digits"]:
            run = token["digits"]
            parts.append(_repeat("[0-9]", len(run)) if set(run) == {"9"} else run)
        elif token["wildcards"]:
            parts.append(_repeat("[0-9]", len(token["wildcards"])))
        elif token["letters"]:
            run = token["letters"]
            parts.append(_repeat("[A-Z]", len(run)) if run.startswith("A") else re.escape(run))
        else:
            parts.append(re.escape(token["literal"]))
    return "".join(parts)


def _repeat(char_class: str, count: int) -> str:
    return char_class if count == 1 else f"{char_class}{{{count}}}"


_UK_POSTCODE = _format_to_regex("A(A)N(A/N)NAA OR A(A)N(A/N) NAA")

_FORMAT_OVERRIDES = {
    # "DT3 6GB OR L2 2DP" are two example postcodes, not notation: read as a UK postcode (outward
    # code letters+digits, optional space, inward code digit + 2 letters). Unreachable today:
    # GB is "United Kingdom".
    "Great Britain": _UK_POSTCODE,
    # Eircode: routing key letter + 2 digits (or D6W), then 4 letters/digits. Literal "A99 9A9A"
    # would reject most real Eircodes, e.g. D02 X285.
    "Ireland": r"[A-Z][0-9][0-9W] ?[0-9A-Z]{4}",
    # Brunei codes are 2 letters (district) + 4 digits; "KB" is only Belait's (BS8811 is the capital).
    "Brunei Darussalam": r"[A-Z]{2}[0-9]{4}",
    # Eswatini codes are a region letter (H, L, M, S) + 3 digits; "M" is only Manzini's (H100 = Mbabane).
    "Swaziland": r"[A-Z][0-9]{3}",
    # The Vatican's one code is 00120; "120" looks like a spreadsheet dropped its leading zeros.
    "Holy See (Vatican City State)": r"(?:00)?120",
    # Saudi codes are 5 digits; the "-9999" extension is commonly left out.
    "Saudi Arabia": r"[0-9]{5}(?:-[0-9]{4})?",
}


def _postal_pattern(name: str, description: str) -> re.Pattern[str]:
    source = _FORMAT_OVERRIDES.get(name) or _format_to_regex(description)
    return re.compile(f"(?:{source})", re.IGNORECASE | re.ASCII)


# --- public API ---------------------------------------------------------------------------------


def _present(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def country_name(country_code: str) -> str | None:
    """AWS's English name for an ISO-3166 alpha-2 CountryCode, or None if it isn't in the enum."""
    return _name_by_code().get(country_code)


def state_or_region_violations(
    country_code: str | None, state_or_region: str | None, national_security: bool
) -> list[Violation]:
    """R11. A missing country is another rule's business: no violation here."""
    if country_code is None:
        return []
    if country_code != "US":
        if _present(state_or_region):
            return [
                Violation(
                    STATE_FIELD,
                    "INVALID_VALUE",
                    f"StateOrRegion is only accepted when CountryCode is US; CountryCode is {country_code}.",
                )
            ]
        return []
    if not _present(state_or_region):
        if national_security:
            return []
        return [Violation(STATE_FIELD, "REQUIRED_FIELD_MISSING", "StateOrRegion is required when CountryCode is US.")]
    if state_or_region not in _us_states():
        valid = " | ".join(_us_states())
        return [
            Violation(
                STATE_FIELD,
                "INVALID_VALUE",
                f"StateOrRegion is not a valid value; valid values: {valid}.",
            )
        ]
    return []


def postal_code_violations(
    country_code: str | None, postal_code: str | None, national_security: bool
) -> list[Violation]:
    """R12. A missing country is another rule's business: no violation here."""
    if country_code is None:
        return []
    name = country_name(country_code) or country_code
    if country_code in _no_postal_codes():
        if _present(postal_code):
            return [
                Violation(
                    POSTAL_FIELD,
                    "INVALID_VALUE",
                    f"PostalCode is not accepted for country {name}: {name} does not take a postal code.",
                )
            ]
        return []
    if not _present(postal_code):
        if national_security:
            return []
        return [Violation(POSTAL_FIELD, "REQUIRED_FIELD_MISSING", f"PostalCode is required for country {name}.")]
    rule = _postal_rules().get(country_code)
    if rule is not None and rule[0].fullmatch(postal_code or "") is None:
        return [Violation(POSTAL_FIELD, "INVALID_STRING_FORMAT", rule[1])]
    return []
