"""The automatic AWS reviewer's decisions: pure, from the opportunity and the user's rules.

A rule file is a JSON list; the first rule whose field matches decides, otherwise the opportunity is
Approved. Example:
    [{"field": "Project.Title", "contains": "reject", "decision": "Rejected",
      "reason": "Duplicate of Partner Referral"},
     {"field": "Project.CustomerBusinessProblem", "contains": "TBD", "decision": "Action Required",
      "comments": "Please describe the customer's business problem."}]
A rule matches with "equals", "contains" or "missing": true (the field is empty).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cosell.domain.lifecycle import ACTION_REQUIRED, APPROVED, REJECTED


@dataclass(frozen=True)
class Decision:
    status: str
    comments: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ReviewRule:
    field: str
    decision: str
    equals: str | None = None
    contains: str | None = None
    missing: bool = False
    comments: str | None = None
    reason: str | None = None

    def matches(self, opportunity: dict) -> bool:
        value: Any = opportunity
        for part in self.field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if self.missing:
            return not value
        if value is None:
            return False
        text = value if isinstance(value, str) else json.dumps(value)
        return (self.equals is not None and text == self.equals) or (self.contains is not None and self.contains in text)


class ReviewRulesError(ValueError):
    """The review rules file cannot be used (`cosell serve` stops with this message)."""


def load_rules(path: Path) -> tuple[ReviewRule, ...]:
    """The rules of a JSON file: a list of {field, decision, equals|contains|missing, comments?, reason?}."""
    try:
        entries = json.loads(path.read_text())
    except OSError as error:
        raise ReviewRulesError(f"review rules file {path} cannot be read: {error.strerror}") from None
    except ValueError as error:
        raise ReviewRulesError(f"review rules file {path} is not valid JSON: {error}") from None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ReviewRulesError(f"review rules file {path} must hold a JSON list of rules (objects)")
    known = {name for name in ReviewRule.__dataclass_fields__}
    rules = []
    for number, entry in enumerate(entries, start=1):
        unknown = sorted(set(entry) - known)
        if unknown or "field" not in entry or "decision" not in entry:
            raise ReviewRulesError(f"review rules file {path}, rule {number}: needs field and decision, and takes "
                                   f"only {', '.join(sorted(known))}" + (f" (not {', '.join(unknown)})" if unknown else ""))
        rule = ReviewRule(**entry)
        if rule.decision not in (APPROVED, ACTION_REQUIRED, REJECTED):
            raise ReviewRulesError(f"review rules file {path}, rule {number}: decision must be Approved, Action "
                                   f"Required or Rejected, not {rule.decision!r}")
        rules.append(rule)
    return tuple(rules)


def decide(opportunity: dict, rules: tuple[ReviewRule, ...]) -> Decision:
    for rule in rules:
        if rule.matches(opportunity):
            return Decision(rule.decision, rule.comments, rule.reason)
    return Decision(APPROVED)
