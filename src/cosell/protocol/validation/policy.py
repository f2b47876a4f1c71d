"""Validation's exceptions to the model, as data, each with its source. Everything else about a
request's shape (required members, types, enums, patterns, lengths, list sizes) is the model's."""

from __future__ import annotations

from cosell.protocol.facts import CATALOGS

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
    # Catalog: "a string value from a predefined list: AWS or Sandbox" (protocol/facts.py).
    "CatalogIdentifier": CATALOGS,
}

# Model patterns that backtrack catastrophically, with an equivalent that does not: the same strings
# match, in linear time. CompanyWebsiteUrl (engagement customers) nests lazy groups over overlapping
# characters: `([.][a-zA-Z0-9(-|/|=|?)??]+?)+?`, where `(-|` is the range U+0028..U+007C, which holds
# `.` itself, so a value such as "a" + ".a" * 25 + "!" takes seconds, and 255 characters forever
# (measured: each two more characters quadruple the time). As that class holds `.`, a run of
# `.`-then-class groups is one `.` followed by class characters, and lazy quantifiers do not change
# what a whole-string match accepts. tests/test_validation_patterns.py checks both against each other.
#
# SenderContactEmail (invitation payloads) has an unescaped `.` between domain labels,
# `@[a-zA-Z0-9-]+(?:.[a-zA-Z0-9-]+)*`: the `.` also matches label characters, so a near miss of 26
# characters takes 11 ms and each two more multiply it by ~2.7 (an 80-character value would hold the
# server for hours). The same strings are label runs separated by single other characters (not
# newline, as `.`): `[a-zA-Z0-9-]+(?:[^a-zA-Z0-9\n-][a-zA-Z0-9-]+)*`, where each separator is forced.
PATTERN_REWRITES = {
    r"(?=.{4,255}$)((http|https)://)??(www[.])??([a-zA-Z0-9]|-)+?([.][a-zA-Z0-9(-|/|=|?)??]+?)+?":
        r"(?=.{4,255}$)((http|https)://)?(www[.])?[a-zA-Z0-9-]+[.][\x28-\x7c]+",
    r"(?=.{1,80}$)[a-zA-Z0-9.!#$%&'*+/=?^_{|}~-]+@[a-zA-Z0-9-]+(?:.[a-zA-Z0-9-]+)*":
        r"(?=.{1,80}$)[a-zA-Z0-9.!#$%&'*+/=?^_{|}~-]+@[a-zA-Z0-9-]+(?:[^a-zA-Z0-9\n-][a-zA-Z0-9-]+)*",
}
