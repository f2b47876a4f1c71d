"""The model's patterns, compiled for matching whole values: by the standard library's re when it
reads them as the `regex` package does, by `regex` otherwise; a pattern that backtracks
catastrophically is replaced by its equivalent from policy.PATTERN_REWRITES."""

from __future__ import annotations

import re
import warnings
from functools import cache

import regex

from cosell.protocol.validation.policy import PATTERN_REWRITES

_CLASSES_READ_DIFFERENTLY = re.compile(r"\\[wWsSbB]")


@cache
def compiled_pattern(pattern: str):
    """The model's pattern, compiled by the standard library's re when it can (an e-mail address
    matches sooner), by regex when it needs regex's syntax (\\p{L} classes) or
    reads it differently: their \\w, \\s and \\b take other characters for letters and spaces
    (re's \\w matches "²"). tests/test_validation_patterns.py checks the model's patterns."""
    pattern = PATTERN_REWRITES.get(pattern, pattern)
    if _CLASSES_READ_DIFFERENTLY.search(pattern):
        return regex.compile(pattern)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # re warns of syntax it would read differently ("[[", ...)
        try:
            return re.compile(pattern)
        except (re.error, FutureWarning):
            pass
    return regex.compile(pattern)
