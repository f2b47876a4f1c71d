"""One business-rule violation: becomes one ValidationException ErrorList entry (FieldName, Code, Message)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    field: str  # AWS lowerCamel dotted path, e.g. "customer.account.address.postalCode"
    code: str  # ValidationException ErrorList Code, e.g. "INVALID_STRING_FORMAT"
    message: str
