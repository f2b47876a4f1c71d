"""The fast path: a valid request, checked and cleaned without collecting anything.

Most requests are valid. For them, one generated function per structure shape checks and cleans the
members inline (no path, no error list, no call per string member) and gives up with NeedsFullCheck at
the first doubt; the full validation (full.py) then runs from the start and reports the errors. So the
fast path only has to accept exactly what the full validation accepts without error, and clean it the
same way, member order included; every error message stays the full validation's
(tests/test_fast_paths.py checks both against each other).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import regex
from botocore.model import Shape

from cosell.protocol.validation.patterns import compiled_pattern
from cosell.protocol.validation.policy import DOCUMENTED_ENUMS, NULL_IS_MEANINGFUL, PATTERN_CHECKED_BY_BUSINESS_RULE
from cosell.timestamps import parse_timestamp


class NeedsFullCheck(Exception):
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
    if pattern and values and all(compiled_pattern(pattern).fullmatch(value) for value in values):
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
        scope[f"match_{tag}"] = compiled_pattern(pattern).fullmatch
        conditions.append(f"match_{tag}({item}) is None")
    return conditions


class CheckCompiler:
    """Turns shapes into fast checks: value in, cleaned value out, NeedsFullCheck on any doubt."""

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
        scope: dict[str, Any] = {"NEEDS_FULL_CHECK": NeedsFullCheck}
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
        if shape.metadata.get("union"):  # exactly one member (the full validation says so otherwise)
            lines.append(f"    if len(cleaned) != 1 or len([1 for n in {tuple(names)!r} if get(n) is not None]) != 1: "
                         "raise NEEDS_FULL_CHECK")
        lines.append("    return cleaned")
        exec("\n".join(lines), scope)  # noqa: S102 - source built above from the model's names and bounds
        return scope[f"check_{shape.name}"]

    def _list(self, shape: Shape, check_pattern: bool):
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if shape.member.type_name == "string":  # strings checked inline, in one generated loop
            scope: dict[str, Any] = {"NEEDS_FULL_CHECK": NeedsFullCheck}
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
                raise NeedsFullCheck
            return [check_item(item) for item in value]

        return check_list

    def _map(self, shape: Shape, check_pattern: bool):
        check_key = self.compile(shape.key, check_pattern)
        check_value = self.compile(shape.value, check_pattern)

        def check_map(value):
            if value.__class__ is not dict:
                raise NeedsFullCheck
            cleaned = {}
            for key, item in value.items():
                check_key(key)
                if item is not None:
                    cleaned[key] = check_value(item)
            return cleaned

        return check_map

    def _string(self, shape: Shape, check_pattern: bool):
        scope: dict[str, Any] = {"NEEDS_FULL_CHECK": NeedsFullCheck}
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
                raise NeedsFullCheck
            return value

        return check_integer

    _long = _integer

    @staticmethod
    def _of_classes(*classes: type):
        """A check that the value is exactly of one of `classes` (bool is not an int, nor an int a bool)."""

        def build(_shape: Shape, _check_pattern: bool):
            def check_class(value):
                if value.__class__ not in classes:
                    raise NeedsFullCheck
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
                raise NeedsFullCheck
            return parsed

        return check_timestamp

    @staticmethod
    def _give_up(_value):
        raise NeedsFullCheck
