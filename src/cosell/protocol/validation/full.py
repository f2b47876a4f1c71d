"""The full validation: every violation of a request is collected (not just the first) into a
ValidationException with Reason REQUEST_VALIDATION_FAILED. Compiled once per shape from the model.

Field names are the lowerCamel dotted paths AWS reports (`customer.account.websiteUrl`; list positions
are not part of the name, they go in the message). Validation also cleans the request: unknown members
are dropped (the real service ignores them) and explicit nulls of optional members are removed (the
real service accepts them), except where policy.py says a null means something.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.model import Shape

from cosell.protocol.errors import FieldError
from cosell.protocol.validation.patterns import compiled_pattern
from cosell.protocol.validation.policy import DOCUMENTED_ENUMS, NULL_IS_MEANINGFUL, PATTERN_CHECKED_BY_BUSINESS_RULE
from cosell.timestamps import parse_timestamp

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


class TooManyErrors(Exception):
    """Raised by _error once more than MAX_REPORTED_ERRORS are collected: the rest is not looked at."""


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
        raise TooManyErrors
    return INVALID


def _string_validator(shape: Shape, check_pattern: bool) -> Validator:
    model_enum = frozenset(shape.enum) if shape.enum else None
    documented = DOCUMENTED_ENUMS.get(shape.name) if model_enum is None else None
    documented_enum = frozenset(documented) if documented else None
    values = shape.enum or documented
    listed = ", ".join(values) if values and len(values) <= 30 else None
    pattern = shape.metadata.get("pattern") if check_pattern else None
    matcher = compiled_pattern(pattern).fullmatch if pattern else None
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


class Compiler:
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
        # A union (a payload that is one of several kinds) sets exactly one member, as botocore's own
        # parameter validation requires ("Invalid number of parameters set for tagged union structure").
        union = ", ".join(members) if shape.metadata.get("union") else None

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
            if union is not None and sum(value.get(name) is not None for name in members) != 1:
                _error(errors, path, "INVALID_VALUE", f"{shown_path(path)} must set exactly one of {union}.")
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
