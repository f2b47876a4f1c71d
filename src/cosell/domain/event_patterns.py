"""EventBridge event patterns: checked when a rule is put (InvalidEventPatternException otherwise) and
matched against events. Pure.

No maintained Python implementation of the grammar exists (event-ruler's last release is a 2023
binding of a Go library), so this is the documented grammar, tested against the documentation's examples
(tests/test_event_patterns.py). Source: "Creating event patterns", "Comparison operators for use in event
patterns" and "Content filtering" in the EventBridge User Guide.

A pattern is a JSON object mirroring the event: a key holds a nested object (every key must match) or an
array of matchers (any may match); `$or` holds patterns of which any may match. A matcher is a value
(string, number, boolean, null: equal; numbers compare as numbers) or an object with one operator:
prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, exists, cidr. An event value that is
an array matches when one of its elements does.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any

Matcher = Callable[[bool, Any], bool]  # (present, value) -> matches


class InvalidPattern(ValueError):
    """Why a pattern is not valid (the text of EventBridge's InvalidEventPatternException reason)."""


_MISSING = object()
_NUMERIC_OPERATORS = {"=": lambda a, b: a == b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
                      ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
MAX_PATTERN_LENGTH = 4096  # the model's EventPattern: at most 4096 characters


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(expected: Any) -> Matcher:
    if _is_number(expected):
        return lambda present, value: present and _is_number(value) and value == expected
    return lambda present, value: present and type(value) is type(expected) and value == expected


def _text(operator: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidPattern(f"{operator} match pattern must be a string")
    return value


def _case_insensitive(operator: str, value: Any) -> tuple[str, bool]:
    """The text of a prefix/suffix matcher, and whether it ignores case ({"equals-ignore-case": text})."""
    if isinstance(value, dict):
        if set(value) != {"equals-ignore-case"}:
            raise InvalidPattern(f"Unsupported {operator} match pattern: {json.dumps(value)}")
        return _text(operator, value["equals-ignore-case"]).casefold(), True
    return _text(operator, value), False


def _string_test(operator: str, value: Any) -> Callable[[str], bool]:
    """A test on an event string for prefix, suffix, equals-ignore-case and wildcard."""
    if operator == "prefix":
        text, fold = _case_insensitive(operator, value)
        return (lambda s: s.casefold().startswith(text)) if fold else (lambda s: s.startswith(text))
    if operator == "suffix":
        text, fold = _case_insensitive(operator, value)
        return (lambda s: s.casefold().endswith(text)) if fold else (lambda s: s.endswith(text))
    if operator == "equals-ignore-case":
        text = _text(operator, value).casefold()
        return lambda s: s.casefold() == text
    if operator == "wildcard":
        text = _text(operator, value)
        if "**" in text:
            raise InvalidPattern("Consecutive wildcard characters at pos " + str(text.index("**") + 1))
        expression = re.compile("".join(".*" if part == "*" else re.escape(part.replace("\\*", "*"))
                                        for part in re.split(r"(?<!\\)(\*)", text)), re.DOTALL)
        return lambda s: expression.fullmatch(s) is not None
    raise InvalidPattern(f"Unrecognized match type {operator}")


def _on_strings(test: Callable[[str], bool]) -> Matcher:
    return lambda present, value: present and isinstance(value, str) and test(value)


def _anything_but(value: Any) -> Matcher:
    if isinstance(value, dict):
        if len(value) != 1 or next(iter(value)) not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            raise InvalidPattern(f"Unsupported anything-but pattern: {json.dumps(value)}")
        [(operator, operand)] = value.items()
        operands = operand if isinstance(operand, list) and operator in ("equals-ignore-case", "wildcard") else [operand]
        if not operands:
            raise InvalidPattern("Empty arrays are not allowed")
        tests = [_string_test(operator, item) for item in operands]
        return lambda present, item: present and isinstance(item, str) and not any(test(item) for test in tests)
    values = value if isinstance(value, list) else [value]
    if not values:
        raise InvalidPattern("Empty arrays are not allowed")
    if not (all(isinstance(item, str) for item in values) or all(_is_number(item) for item in values)):
        raise InvalidPattern("Inside anything but list, start|null|boolean is not supported.")
    equals = [_equal(item) for item in values]
    return lambda present, item: present and item is not None and not any(test(True, item) for test in equals)


def _numeric(value: Any) -> Matcher:
    if not isinstance(value, list) or len(value) not in (2, 4):
        raise InvalidPattern("Value of numeric must be an array of an operator and a number, or two of them")
    bounds = []
    for index in range(0, len(value), 2):
        operator, number = value[index], value[index + 1]
        if operator not in _NUMERIC_OPERATORS:
            raise InvalidPattern(f"Unrecognized numeric range operator: {operator}")
        if not _is_number(number):
            raise InvalidPattern(f"Value of {operator} must be numeric")
        bounds.append((_NUMERIC_OPERATORS[operator], number))
    if len(bounds) == 2 and not (value[0] in (">", ">=") and value[2] in ("<", "<=") and value[1] < value[3]):
        raise InvalidPattern("Bad numeric range: a lower bound (> or >=) then a greater upper bound (< or <=)")
    return lambda present, item: present and _is_number(item) and all(test(item, bound) for test, bound in bounds)


def _exists(value: Any) -> Matcher:
    if not isinstance(value, bool):
        raise InvalidPattern("exists match pattern must be either true or false.")
    return lambda present, item: (present and not isinstance(item, dict)) == value


def _cidr(value: Any) -> Matcher:
    try:
        network = ipaddress.ip_network(_text("cidr", value), strict=False)
    except ValueError:
        raise InvalidPattern(f"Nonstandard IP address: {value}") from None

    def matches(present: bool, item: Any) -> bool:
        try:
            return present and isinstance(item, str) and ipaddress.ip_address(item) in network
        except ValueError:
            return False
    return matches


def _matcher(element: Any) -> Matcher:
    if not isinstance(element, dict):
        return _equal(element)
    if len(element) != 1:
        raise InvalidPattern(f"Only one key allowed in a match expression: {json.dumps(element)}")
    [(operator, value)] = element.items()
    if operator == "anything-but":
        return _anything_but(value)
    if operator == "numeric":
        return _numeric(value)
    if operator == "exists":
        return _exists(value)
    if operator == "cidr":
        return _cidr(value)
    return _on_strings(_string_test(operator, value))


def _node(pattern: dict, path: str) -> Callable[[Any], bool]:
    """A test on an event object for one level of the pattern."""
    if not pattern:
        raise InvalidPattern(f"Empty objects are not allowed{' at ' + path if path else ''}")
    tests: list[Callable[[Any], bool]] = []
    for key, value in pattern.items():
        where = f"{path}.{key}" if path else key
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(item, dict) for item in value):
                raise InvalidPattern("$or must be an array of at least two objects")
            tests.append(_any_of([_node(item, path) for item in value]))
        elif isinstance(value, dict):
            tests.append(_nested(key, _node(value, where)))
        elif isinstance(value, list):
            if not value:
                raise InvalidPattern(f"Empty arrays are not allowed at {where}")
            tests.append(_leaf_test(key, [_matcher(element) for element in value]))
        else:
            raise InvalidPattern(f"Match value must be String, number, true, false, or null at {where}")
    return lambda event: isinstance(event, dict) and all(test(event) for test in tests)


def _any_of(alternatives: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    return lambda event: any(test(event) for test in alternatives)


def _nested(key: str, nested: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda event: isinstance(event.get(key), dict) and nested(event[key])


def _leaf_test(key: str, matchers: list[Matcher]) -> Callable[[Any], bool]:
    return lambda event: _leaf(event, key, matchers)


def _leaf(event: dict, key: str, matchers: list[Matcher]) -> bool:
    value = event.get(key, _MISSING)
    present = value is not _MISSING
    if present and isinstance(value, list):
        # An array matches when one of its elements does; an empty one is there but has no value.
        return any(matcher(True, item) for item in value for matcher in matchers) or (
            not value and any(matcher(False, None) for matcher in matchers))
    return any(matcher(present, None if not present else value) for matcher in matchers)


class EventPattern:
    """A checked pattern: `matches(event)`."""

    def __init__(self, text: str):
        if len(text) > MAX_PATTERN_LENGTH:
            raise InvalidPattern(f"Event pattern is longer than {MAX_PATTERN_LENGTH} characters")
        try:
            pattern = json.loads(text)
        except ValueError as error:
            raise InvalidPattern(f"Filter is not valid JSON: {error}") from None
        if not isinstance(pattern, dict):
            raise InvalidPattern("Filter is not an object")
        self.text = text
        self._test = _node(pattern, "")

    def matches(self, event: dict) -> bool:
        return self._test(event)
