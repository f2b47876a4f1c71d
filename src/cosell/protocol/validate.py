"""Shape validation of requests, compiled once from the botocore model.

Every violation is collected (not just the first) into a ValidationException with
Reason REQUEST_VALIDATION_FAILED. Field names are the lowerCamel dotted paths AWS reports
(`customer.account.websiteUrl`; list positions are not part of the name, they go in the message).
Validation also cleans the request: unknown members are dropped (the real service ignores them)
and explicit nulls of optional members are removed (the real service accepts them).
This module knows shapes, not business rules.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from functools import cache
from typing import Any, Callable

import regex
from botocore.model import Shape

from cosell.protocol.errors import FieldError, ValidationError

Path = tuple  # member names (str) and list positions (int)
Validator = Callable[[Any, Path, list], Any]

INVALID = object()  # a value that failed validation; never stored

# Bounds on what one hostile request can make the answer cost (tests/test_hostile_input.py): a
# 1 MiB list of 250,000 bad values in a list the model leaves unbounded (PrimaryNeedsFromAws) would
# otherwise give 250,000 ErrorList entries, a 200 MB answer. Validation stops at the first
# MAX_REPORTED_ERRORS + 1 errors and reports the first MAX_REPORTED_ERRORS; a value echoed in a
# message is cut to MAX_SHOWN_VALUE characters.
MAX_REPORTED_ERRORS = 100
MAX_SHOWN_VALUE = 256


class _TooManyErrors(Exception):
    """Raised by _error once more than MAX_REPORTED_ERRORS are collected: the rest is not looked at."""


# Members whose model pattern the real service checks as a business rule instead, with its own
# error (DG-ds, working-with-deal-sizing-insights: an invalid EstimationUrl is reported as
# "Invalid Estimation URL: <url>", or silently dropped when an Amount is given).
PATTERN_CHECKED_BY_BUSINESS_RULE = {("ExpectedCustomerSpend", "EstimationUrl")}


# Members whose explicit null means something other than "absent": on UpdateOpportunity an omitted
# ExpectedContractDuration means "no change" but an explicit null clears it (DG-ds, deal sizing; R24).
# These keep their null in the cleaned request.
NULL_IS_MEANINGFUL = {("Project", "ExpectedContractDuration")}

# Value lists the model documents but does not declare as an enum, with their source. Such a list is
# checked after the shape's own length and pattern: a value that breaks the model's pattern is a
# pattern violation (INVALID_STRING_FORMAT) like any other, and only a well-formed value outside the
# list gets the list's answer (INVALID_ENUM_VALUE). Choice: the model declares the pattern and only
# documents the list, so the declared rule is applied first (`Sand box` and `Sandbox1` break
# Catalog's `[a-zA-Z]+`; `Production` is well-formed and not a catalog).
DOCUMENTED_ENUMS = {
    # Catalog: "a string value from a predefined list: AWS or Sandbox" (model doc, every operation).
    "CatalogIdentifier": ("AWS", "Sandbox"),
}


def lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def field_name(path: Path) -> str:
    return ".".join(lower_camel(p) for p in path if isinstance(p, str))


def shown_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + lower_camel(part))
    return out


def shown_value(value: str) -> str:
    return value if len(value) <= MAX_SHOWN_VALUE else value[:MAX_SHOWN_VALUE] + "..."


def _error(errors: list, path: Path, code: str, message: str) -> object:
    errors.append(FieldError(field_name(path), code, message))
    if len(errors) > MAX_REPORTED_ERRORS:
        raise _TooManyErrors
    return INVALID


_CLASSES_READ_DIFFERENTLY = re.compile(r"\\[wWsSbB]")


@cache
def _compiled_pattern(pattern: str):
    """The model's pattern, compiled by the standard library's re when it can (an e-mail address
    matches in a third of the time), by regex when it needs regex's syntax (\\p{L} classes) or
    reads it differently: their \\w, \\s and \\b take other characters for letters and spaces
    (re's \\w matches "²"). tests/test_validation_patterns.py checks the model's patterns."""
    if _CLASSES_READ_DIFFERENTLY.search(pattern):
        return regex.compile(pattern)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # re warns of syntax it would read differently ("[[", ...)
        try:
            return re.compile(pattern)
        except (re.error, FutureWarning):
            pass
    return regex.compile(pattern)


def _string_validator(shape: Shape, check_pattern: bool) -> Validator:
    model_enum = frozenset(shape.enum) if shape.enum else None
    documented = DOCUMENTED_ENUMS.get(shape.name) if model_enum is None else None
    documented_enum = frozenset(documented) if documented else None
    values = shape.enum or documented
    listed = ", ".join(values) if values and len(values) <= 30 else None
    pattern = shape.metadata.get("pattern") if check_pattern else None
    matcher = _compiled_pattern(pattern).fullmatch if pattern else None
    min_len = shape.metadata.get("min")
    max_len = shape.metadata.get("max")
    sensitive = shape.metadata.get("sensitive", False)

    def not_listed(value, path, errors):
        hint = f" Valid values: {listed}." if listed else f" It must be one of the {shape.name} values."
        return _error(errors, path, "INVALID_ENUM_VALUE",
                      f"Value '{shown_value(value)}' at {shown_path(path)} is not a valid value.{hint}")

    def validate(value, path, errors):
        if not isinstance(value, str):
            return _error(errors, path, "INVALID_VALUE", f"{shown_path(path)} must be a string.")
        if model_enum is not None and value not in model_enum:
            return not_listed(value, path, errors)
        if (min_len is not None and len(value) < min_len) or (max_len is not None and len(value) > max_len):
            return _error(errors, path, "INVALID_STRING_FORMAT",
                          f"{shown_path(path)} must be between {min_len or 0} and {max_len} characters long.")
        if matcher is not None and matcher(value) is None:
            shown = "The value" if sensitive else f"Value '{shown_value(value)}'"
            return _error(errors, path, "INVALID_STRING_FORMAT",
                          f"{shown} at {shown_path(path)} does not match the required format {pattern}.")
        if documented_enum is not None and value not in documented_enum:  # after the pattern: see DOCUMENTED_ENUMS
            return not_listed(value, path, errors)
        return value

    return validate


def _integer_validator(shape: Shape) -> Validator:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")

    def validate(value, path, errors):
        if isinstance(value, bool) or not isinstance(value, int):
            return _error(errors, path, "INVALID_VALUE", f"{shown_path(path)} must be an integer.")
        if (low is not None and value < low) or (high is not None and value > high):
            return _error(errors, path, "VALUE_OUT_OF_RANGE",
                          f"{shown_path(path)} must be between {low} and {high}.")
        return value

    return validate


def _float_validator(shape: Shape) -> Validator:
    def validate(value, path, errors):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _error(errors, path, "INVALID_VALUE", f"{shown_path(path)} must be a number.")
        return value

    return validate


def _boolean_validator(shape: Shape) -> Validator:
    def validate(value, path, errors):
        if not isinstance(value, bool):
            return _error(errors, path, "INVALID_VALUE", f"{shown_path(path)} must be true or false.")
        return value

    return validate


def parse_timestamp(value) -> dt.datetime | None:
    """ISO 8601 (what the model's iso8601 format sends) or epoch seconds; None when unreadable."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return dt.datetime.fromtimestamp(value, dt.timezone.utc)
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.timezone.utc)
            return parsed.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _timestamp_validator(shape: Shape) -> Validator:
    def validate(value, path, errors):
        parsed = parse_timestamp(value)
        if parsed is None:
            return _error(errors, path, "INVALID_VALUE",
                          f"{shown_path(path)} must be an ISO 8601 date-time, for example 2025-01-31T12:00:00Z.")
        return parsed

    return validate


def _blob_validator(shape: Shape) -> Validator:
    def validate(value, path, errors):
        if not isinstance(value, str):
            return _error(errors, path, "INVALID_VALUE", f"{shown_path(path)} must be a base64 string.")
        return value

    return validate


class _Compiler:
    """Turns shapes into validators, once per shape (recursive shapes go through a late binding)."""

    def __init__(self):
        self._done: dict[tuple, Validator] = {}

    def compile(self, shape: Shape, check_pattern: bool = True) -> Validator:
        key = (shape.name, check_pattern)
        if key in self._done:
            return self._done[key]
        slot: list[Validator] = []
        self._done[key] = lambda value, path, errors: slot[0](value, path, errors)
        builder = getattr(self, "_" + shape.type_name, None)
        validator = builder(shape, check_pattern) if builder else _string_validator(shape, check_pattern)
        slot.append(validator)
        self._done[key] = validator
        return validator

    def _structure(self, shape: Shape, _check_pattern: bool) -> Validator:
        members = {
            name: self.compile(member, (shape.name, name) not in PATTERN_CHECKED_BY_BUSINESS_RULE)
            for name, member in shape.members.items()
        }
        required = tuple(shape.required_members)
        keep_null = tuple(name for name in members if (shape.name, name) in NULL_IS_MEANINGFUL)

        def validate(value, path, errors):
            if not isinstance(value, dict):
                return _error(errors, path, "INVALID_VALUE", f"{shown_path(path) or 'The request'} must be an object.")
            cleaned = {}
            for name in keep_null:
                if name in value and value[name] is None:
                    cleaned[name] = None
            for name, member_validator in members.items():
                item = value.get(name)
                if item is None:
                    continue
                result = member_validator(item, path + (name,), errors)
                if result is not INVALID:
                    cleaned[name] = result
            for name in required:
                if value.get(name) is None:
                    _error(errors, path + (name,), "REQUIRED_FIELD_MISSING",
                           f"{shown_path(path + (name,))} is required.")
            return cleaned

        return validate

    def _list(self, shape: Shape, check_pattern: bool) -> Validator:
        item_validator = self.compile(shape.member, check_pattern)
        low, high = shape.metadata.get("min"), shape.metadata.get("max")

        def validate(value, path, errors):
            if not isinstance(value, list):
                return _error(errors, path, "INVALID_VALUE", f"{shown_path(path)} must be a list.")
            if low is not None and len(value) < low:
                return _error(errors, path, "NOT_ENOUGH_VALUES",
                              f"{shown_path(path)} must have at least {low} item(s).")
            if high is not None and len(value) > high:
                return _error(errors, path, "TOO_MANY_VALUES",
                              f"{shown_path(path)} can have at most {high} item(s); {len(value)} were sent.")
            cleaned = []
            for index, item in enumerate(value):
                if item is None:
                    _error(errors, path + (index,), "INVALID_VALUE", f"{shown_path(path + (index,))} must not be null.")
                    continue
                result = item_validator(item, path + (index,), errors)
                if result is not INVALID:
                    cleaned.append(result)
            return cleaned

        return validate

    def _map(self, shape: Shape, check_pattern: bool) -> Validator:
        key_validator = self.compile(shape.key, check_pattern)
        value_validator = self.compile(shape.value, check_pattern)

        def validate(value, path, errors):
            if not isinstance(value, dict):
                return _error(errors, path, "INVALID_VALUE", f"{shown_path(path)} must be an object.")
            cleaned = {}
            for key, item in value.items():
                if key_validator(key, path, errors) is INVALID or item is None:
                    continue
                result = value_validator(item, path + (key,), errors)
                if result is not INVALID:
                    cleaned[key] = result
            return cleaned

        return validate

    def _string(self, shape, check_pattern):
        return _string_validator(shape, check_pattern)

    def _integer(self, shape, _):
        return _integer_validator(shape)

    _long = _integer

    def _float(self, shape, _):
        return _float_validator(shape)

    _double = _float

    def _boolean(self, shape, _):
        return _boolean_validator(shape)

    def _timestamp(self, shape, _):
        return _timestamp_validator(shape)

    def _blob(self, shape, _):
        return _blob_validator(shape)


# --- The fast path: a valid request, cleaned without collecting anything ---------------------------
#
# Most requests are valid. For them, one generated function per structure shape checks and cleans the
# members inline (no path, no error list, no call per string member) and gives up with
# _NeedsFullCheck at the first doubt; the validators above then run from the start and report the
# errors. So the fast path only has to accept exactly what they accept without error, and clean it
# the same way, member order included; every error message stays theirs.


class _NeedsFullCheck(Exception):
    """Raised by a fast check that met something it does not accept as is."""


# A pattern that only bounds the length: `(?s).{m,n}` fullmatches exactly the strings of m..n code points.
_LENGTH_ONLY_PATTERN = regex.compile(r"\(\?s\)\.\{(\d+),(\d+)\}")


def _string_conditions(shape: Shape, check_pattern: bool, item: str, scope: dict, tag: str) -> list[str]:
    """Python conditions on the expression `item`, each true when _string_validator would refuse it."""
    conditions = [f"{item}.__class__ is not str"]
    values = shape.enum or DOCUMENTED_ENUMS.get(shape.name)
    if values:
        scope[f"values_{tag}"] = frozenset(values)
        conditions.append(f"{item} not in values_{tag}")
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    pattern = shape.metadata.get("pattern") if check_pattern else None
    if pattern and values and all(_compiled_pattern(pattern).fullmatch(value) for value in values):
        pattern = None  # implied: only the listed values pass, and each of them matches it
    length_only = _LENGTH_ONLY_PATTERN.fullmatch(pattern) if pattern else None
    if length_only:
        low = max(low or 0, int(length_only[1]))
        high = int(length_only[2]) if high is None else min(high, int(length_only[2]))
        pattern = None
    if low:
        conditions.append(f"len({item}) < {int(low)}")
    if high is not None:
        conditions.append(f"len({item}) > {int(high)}")
    if pattern:
        scope[f"match_{tag}"] = _compiled_pattern(pattern).fullmatch
        conditions.append(f"match_{tag}({item}) is None")
    return conditions


class _CheckCompiler:
    """Turns shapes into fast checks: value in, cleaned value out, _NeedsFullCheck on any doubt."""

    def __init__(self):
        self._done: dict[tuple, Callable[[Any], Any]] = {}

    def compile(self, shape: Shape, check_pattern: bool = True) -> Callable[[Any], Any]:
        key = (shape.name, check_pattern)
        if key in self._done:
            return self._done[key]
        slot: list = []
        self._done[key] = lambda value: slot[0](value)  # recursive shapes
        check = getattr(self, "_" + shape.type_name, self._string)(shape, check_pattern)
        slot.append(check)
        self._done[key] = check
        return check

    def _structure(self, shape: Shape, _check_pattern: bool):
        """A generated function, for example (Customer of CreateOpportunity):

            def check_Customer(value):
                if value.__class__ is not dict: raise NEEDS_FULL_CHECK
                get = value.get
                cleaned = {}
                item = get('Account')
                if item is not None:
                    cleaned['Account'] = check_1(item)
                ...
                return cleaned

        String members are checked inline; a required member that is missing or null gives up."""
        names = list(shape.members)
        if not all(name.isidentifier() for name in [shape.name, *names]):  # the model's names always are
            return self._give_up
        scope: dict[str, Any] = {"NEEDS_FULL_CHECK": _NeedsFullCheck}
        lines = [f"def check_{shape.name}(value):",
                 "    if value.__class__ is not dict: raise NEEDS_FULL_CHECK",
                 "    get = value.get",
                 "    cleaned = {}"]
        for name in names:
            if (shape.name, name) in NULL_IS_MEANINGFUL:
                lines.append(f"    if {name!r} in value and value[{name!r}] is None: cleaned[{name!r}] = None")
        required = set(shape.required_members)
        for index, (name, member) in enumerate(shape.members.items()):
            check_pattern = (shape.name, name) not in PATTERN_CHECKED_BY_BUSINESS_RULE
            lines += [f"    item = get({name!r})", "    if item is not None:"]
            if member.type_name == "string":
                conditions = _string_conditions(member, check_pattern, "item", scope, str(index))
                lines += [f"        if {' or '.join(conditions)}: raise NEEDS_FULL_CHECK",
                          f"        cleaned[{name!r}] = item"]
            else:
                scope[f"check_{index}"] = self.compile(member, check_pattern)
                lines.append(f"        cleaned[{name!r}] = check_{index}(item)")
            if name in required:
                lines.append("    else: raise NEEDS_FULL_CHECK")
        lines.append("    return cleaned")
        exec("\n".join(lines), scope)  # noqa: S102 - source built above from the model's names and bounds
        return scope[f"check_{shape.name}"]

    def _list(self, shape: Shape, check_pattern: bool):
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if shape.member.type_name == "string":  # strings checked inline, in one generated loop
            scope: dict[str, Any] = {"NEEDS_FULL_CHECK": _NeedsFullCheck}
            conditions = ["value.__class__ is not list"]
            conditions += [f"len(value) < {int(low)}"] if low is not None else []
            conditions += [f"len(value) > {int(high)}"] if high is not None else []
            item_conditions = _string_conditions(shape.member, check_pattern, "item", scope, "0")
            exec("def check_strings(value):\n"  # noqa: S102 - conditions built from the model's bounds
                 f"    if {' or '.join(conditions)}: raise NEEDS_FULL_CHECK\n"
                 "    for item in value:\n"
                 f"        if {' or '.join(item_conditions)}: raise NEEDS_FULL_CHECK\n"
                 "    return value[:]", scope)
            return scope["check_strings"]
        check_item = self.compile(shape.member, check_pattern)  # refuses None, as the list validator does

        def check_list(value):
            if value.__class__ is not list or (low is not None and len(value) < low) \
                    or (high is not None and len(value) > high):
                raise _NeedsFullCheck
            return [check_item(item) for item in value]

        return check_list

    def _map(self, shape: Shape, check_pattern: bool):
        check_key = self.compile(shape.key, check_pattern)
        check_value = self.compile(shape.value, check_pattern)

        def check_map(value):
            if value.__class__ is not dict:
                raise _NeedsFullCheck
            cleaned = {}
            for key, item in value.items():
                check_key(key)
                if item is not None:
                    cleaned[key] = check_value(item)
            return cleaned

        return check_map

    def _string(self, shape: Shape, check_pattern: bool):
        scope: dict[str, Any] = {"NEEDS_FULL_CHECK": _NeedsFullCheck}
        conditions = _string_conditions(shape, check_pattern, "value", scope, "0")
        exec("def check_string(value):\n"  # noqa: S102 - conditions built from the model's bounds
             f"    if {' or '.join(conditions)}: raise NEEDS_FULL_CHECK\n"
             "    return value", scope)
        return scope["check_string"]

    @staticmethod
    def _integer(shape: Shape, _check_pattern: bool):
        low, high = shape.metadata.get("min"), shape.metadata.get("max")

        def check_integer(value):
            if value.__class__ is not int or (low is not None and value < low) or (high is not None and value > high):
                raise _NeedsFullCheck
            return value

        return check_integer

    _long = _integer

    @staticmethod
    def _of_classes(*classes: type):
        """A check that the value is exactly of one of `classes` (bool is not an int, nor an int a bool)."""

        def build(_shape: Shape, _check_pattern: bool):
            def check_class(value):
                if value.__class__ not in classes:
                    raise _NeedsFullCheck
                return value

            return check_class

        return staticmethod(build)

    _float = _double = _of_classes(float, int)
    _boolean = _of_classes(bool)
    _blob = _of_classes(str)

    @staticmethod
    def _timestamp(_shape: Shape, _check_pattern: bool):
        def check_timestamp(value):
            parsed = parse_timestamp(value)
            if parsed is None:
                raise _NeedsFullCheck
            return parsed

        return check_timestamp

    @staticmethod
    def _give_up(_value):
        raise _NeedsFullCheck


class RequestValidator:
    """Validates and cleans one operation's input; compiled once at start-up."""

    def __init__(self, input_shape: Shape, compiler: _Compiler, checks: _CheckCompiler | None):
        """`checks` None: no fast path, the full validation alone (see compile_validators)."""
        self._validate = compiler.compile(input_shape)
        self._check = checks.compile(input_shape) if checks is not None else _CheckCompiler._give_up

    def __call__(self, request: Any) -> dict:
        try:
            return self._check(request)
        except _NeedsFullCheck:
            pass  # something is wrong or unusual: the full validation says what
        errors: list[FieldError] = []
        try:
            cleaned = self._validate(request, (), errors)
        except _TooManyErrors:
            reported = errors[:MAX_REPORTED_ERRORS]
            message = (f"More than {MAX_REPORTED_ERRORS} validation errors detected; the first {MAX_REPORTED_ERRORS}: "
                       + "; ".join(e.message for e in reported))
            raise ValidationError(message, ValidationError.REQUEST, reported) from None
        if errors:
            raise ValidationError.from_errors(ValidationError.REQUEST, errors)
        return cleaned


def compile_validators(operation_models, fast_path: bool = True) -> dict[str, RequestValidator]:
    """fast_path=False: every request goes through the full validation alone, the reference the fast
    path must agree with (tests/test_fast_paths.py)."""
    compiler, checks = _Compiler(), _CheckCompiler() if fast_path else None
    return {op.name: RequestValidator(op.input_shape, compiler, checks) for op in operation_models}
