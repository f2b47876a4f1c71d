"""Model patterns that backtrack catastrophically are matched through an equivalent that does not
(validation/policy.py PATTERN_REWRITES): the same strings match, and a hostile value is refused at
once instead of holding the server."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cosell.protocol.model import service_model
from cosell.protocol.validation.patterns import compiled_pattern
from cosell.protocol.validation.policy import PATTERN_REWRITES

WEBSITE = service_model().shape_for("CompanyWebsiteUrl").metadata["pattern"]
SENDER_EMAIL = service_model().shape_for("SenderContactEmail").metadata["pattern"]


def test_the_model_still_has_the_patterns_that_are_rewritten():
    """A new botocore whose model fixed or changed a pattern makes its rewrite dead: this says so."""
    assert WEBSITE in PATTERN_REWRITES
    assert SENDER_EMAIL in PATTERN_REWRITES


# Short strings (the original pattern is exponential on long ones) built from the characters that
# matter to it: letters, digits, the scheme's and www's, dots, hyphens, and characters inside and
# outside U+0028..U+007C.
_ALPHABET = "aZ09-.:/wht!~ \n" + "(|?=" + "\x27\x7d\u00e9" + "@@_+"


@pytest.mark.parametrize("original", sorted(PATTERN_REWRITES))
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=_ALPHABET, max_size=16) | st.sampled_from([
    "https://www.example.com", "http://example.com/path?q=1", "www.aws.com", "example.co.uk", "a.b", "ab.c",
    "https://", "www.", ".com", "a..b", "a.-", "-.a", "a_b.com", "example.com/é", "exa mple.com",
    "ada@alpha.example", "a.b+c@x-y.co.uk", "a@b", "a@b.", "a@.b", "a@b..c", "a@b.c\n", "a@b\nc", "@b.c",
    "a@b_c.d", "a@bé", "a@b.é", "a@b!c"]))
def test_a_rewrite_matches_the_same_strings(original, text):
    assert (re.compile(original).fullmatch(text) is None) == (compiled_pattern(original).fullmatch(text) is None), text


def test_a_hostile_website_is_refused_at_once():
    """The model's own pattern would take ~10^36 steps on this value: finishing at all is the point."""
    hostile = "a" + ".a" * 120 + "!"
    assert compiled_pattern(WEBSITE).fullmatch(hostile) is None
    assert compiled_pattern(WEBSITE).fullmatch("a" + ".a" * 120) is not None


def test_a_hostile_sender_email_is_refused_at_once():
    """80 characters the model's own pattern would backtrack over for hours."""
    assert compiled_pattern(SENDER_EMAIL).fullmatch("a@" + "a" * 76 + "!") is None
    assert compiled_pattern(SENDER_EMAIL).fullmatch("a@" + "a" * 76 + "!a") is not None
