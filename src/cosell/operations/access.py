"""Who may see and act on a record: the one place handlers ask, instead of comparing account ids.

A caller is a partner account (12 digits) or AWS, the pseudo-account `aws` (domain/identifiers.py), which
acts through cosell's own controls, never the AWS wire. Each kind of record says how it is found for a
caller: an opportunity by its owner; an engagement by its members, AWS among them when it takes part;
an invitation by its sender and its receiver. The finder is registered beside the kind's
operations (`@finder("Opportunity")`) and asks its repository for the records that caller may see,
so a membership table joins there, not here.

A record the caller may not see does not exist for it: ResourceNotFoundException ("might not exist,
or isn't visible with the current credentials", model), never a hint that another account has it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cosell.operations.context import Context
from cosell.protocol.errors import NotFoundError

# finder(tx, account_id, catalog, identifier, lock) -> the record, or None when that caller cannot see it.
# `lock`: no other transaction writes the record (or waits to) until this one ends (PostgreSQL).
Finder = Callable[[Any, str, str, str, bool], Any]

_FINDERS: dict[str, Finder] = {}


def finder(kind: str) -> Callable[[Finder], Finder]:
    """Decorator: how records of `kind` (as the API names it: Opportunity, Engagement...) are found."""

    def register(find: Finder) -> Finder:
        if kind in _FINDERS:
            raise ValueError(f"{kind} already has a finder")
        _FINDERS[kind] = find
        return find

    return register


def find(tx, account_id: str, kind: str, catalog: str, identifier: str, *, lock: bool = False) -> Any:
    """The record, or None when `account_id` cannot see it (or it does not exist)."""
    return _FINDERS[kind](tx, account_id, catalog, identifier, lock)


def visible(tx, ctx: Context, kind: str, catalog: str, identifier: str, *, lock: bool = False) -> Any:
    """The caller's view of the record, or ResourceNotFoundException."""
    record = find(tx, ctx.account_id, kind, catalog, identifier, lock=lock)
    if record is None:
        raise NotFoundError(f"{kind} {identifier} was not found in catalog {catalog}.")
    return record
