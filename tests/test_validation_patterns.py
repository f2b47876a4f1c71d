"""The patterns of the implemented operations' inputs match the same strings whether the standard
library's re or the regex module compiled them (validation uses re where it can: it is faster)."""

from __future__ import annotations

import re
import warnings

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosell.operations.families import REGISTRY
from cosell.protocol.model import PARTNER_CENTRAL_SELLING, service_model
from cosell.protocol.validation.patterns import compiled_pattern as _compiled_pattern
from cosell.protocol.validation.policy import PATTERN_REWRITES


def _patterns(shape, seen: set[str]) -> set[str]:
    if shape.name in seen:
        return set()
    seen.add(shape.name)
    found = {shape.metadata["pattern"]} if shape.metadata.get("pattern") else set()
    for member in {"structure": lambda: shape.members.values(), "list": lambda: [shape.member],
                   "map": lambda: [shape.key, shape.value]}.get(shape.type_name, list)():
        found |= _patterns(member, seen)
    return found


def _model_patterns() -> list[str]:
    model, seen = service_model(), set()
    names = sorted(REGISTRY.operations(PARTNER_CENTRAL_SELLING))
    return sorted(set().union(*(_patterns(model.operation_model(name).input_shape, seen) for name in names)))


def _re_reads(pattern: str) -> bool:
    if re.search(r"\\[wWsSbB]", pattern):  # re and regex differ on these classes
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            re.compile(pattern)
        except (re.error, FutureWarning):
            return False
    return True


PATTERNS = _model_patterns()
READ_BY_RE = [pattern for pattern in PATTERNS if _re_reads(pattern)]


def test_most_patterns_are_compiled_by_re_and_the_rest_by_regex():
    assert len(READ_BY_RE) > len(PATTERNS) / 2
    for pattern in PATTERNS:
        compiled = _compiled_pattern(pattern)
        assert isinstance(compiled, re.Pattern) == (pattern in READ_BY_RE), pattern


_near_misses = st.text(alphabet="aZ09-_.:/@+=!#$%&'*?^`{|}~ \n\t\x1c\u00e9\u00b2\u0663\uff13\u4e2d\U0001f600arnsktoejb",
                       max_size=90)


# A rewritten pattern (validation/policy.py) is not itself matched with re or regex; the original can
# backtrack for hours on a random near miss (tests/test_pattern_rewrites.py checks the two agree).
@pytest.mark.parametrize("pattern", [pattern for pattern in READ_BY_RE if pattern not in PATTERN_REWRITES])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_re_and_regex_match_the_same_strings(pattern, data):
    standard, module = re.compile(pattern), regex.compile(pattern)
    matching = data.draw(st.from_regex(standard, fullmatch=True) | _near_misses)
    for text in (matching, matching + "\n", matching[:-1], matching.upper()):
        assert (standard.fullmatch(text) is None) == (module.fullmatch(text) is None), (pattern, text)
