"""What the members of a /_cosell request must be, for every admin endpoint: text, one of a set, a catalog
(the Sandbox when not given), an account, a JSON object. A member that is not is a ValidationException
naming it, as AWS names a request's fields."""

from __future__ import annotations

import re
from typing import Any, NoReturn

from cosell.protocol.errors import ValidationError
from cosell.protocol.facts import CATALOGS, SANDBOX_CATALOG


def refuse(name: str, code: str, message: str) -> NoReturn:
    raise ValidationError.of_field(name, message, code)


def required(body: dict, name: str, allowed: tuple[str, ...] | None = None) -> str:
    """A member that must be given, as text (and one of `allowed`)."""
    value = body.get(name)
    if value is None:
        refuse(name, "REQUIRED_FIELD_MISSING", f"{name} is required.")
    return _text(name, value, allowed)


def optional(body: dict, name: str, allowed: tuple[str, ...] | None = None) -> str | None:
    """A member that may be left out; given, it is text (and one of `allowed`)."""
    value = body.get(name)
    return None if value is None else _text(name, value, allowed)


def _text(name: str, value: Any, allowed: tuple[str, ...] | None) -> str:
    if not isinstance(value, str) or not value:
        refuse(name, "INVALID_VALUE", f"{name} must be text.")
    if allowed is not None and value not in allowed:
        refuse(name, "INVALID_ENUM_VALUE", f"{name} must be one of {', '.join(allowed)}.")
    return value


def catalog(body: dict) -> str:
    """The Catalog a request names; the Sandbox when it names none."""
    return required({"Catalog": body.get("Catalog") or SANDBOX_CATALOG}, "Catalog", CATALOGS)


def json_object(body: dict, name: str) -> dict | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        refuse(name, "INVALID_VALUE", f"{name} must be a JSON object.")
    return value


def target_account(body: dict, default_account_id: str) -> str:
    """The account an admin request acts on: its AccountId, or the server's default account."""
    account_id = body.get("AccountId") or default_account_id
    if not isinstance(account_id, str) or not re.fullmatch(r"[0-9]{12}", account_id):
        refuse("AccountId", "INVALID_STRING_FORMAT", "AccountId must be 12 digits.")
    return account_id
