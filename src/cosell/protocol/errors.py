"""The one exception hierarchy. `code` is always the AWS error code that goes into `__type`.

HTTP status per error is a fact the model lacks. The API Reference (API_CreateOpportunity.html,
"Errors") gives 400 for every client error and 500 for InternalServerException, and the one
observed real error (AccessDeniedException, aws-samples/partner-crm-integration-samples#10) came
back as 400; the Smithy httpError traits (403/409/429) disagree. cosell follows the API Reference.
Errors that happen before an operation is known (transport errors) use the usual HTTP codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class FieldError:
    """One ValidationException ErrorList entry."""

    field_name: str | None
    code: str
    message: str

    def to_wire(self) -> dict:
        return {"FieldName": self.field_name, "Code": self.code, "Message": self.message}


class FieldViolation(Protocol):
    """A broken rule as the domain reports it (domain/violations.py): which field, which code, why."""

    @property
    def field(self) -> str: ...

    @property
    def code(self) -> str: ...

    @property
    def message(self) -> str: ...


class ServiceError(Exception):
    code = "InternalServerException"
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def members(self) -> dict:
        """Modeled members of the error body besides `Message`."""
        return {}


class ValidationError(ServiceError):
    code = "ValidationException"
    REQUEST = "REQUEST_VALIDATION_FAILED"
    BUSINESS = "BUSINESS_VALIDATION_FAILED"

    def __init__(self, message: str, reason: str, errors: list[FieldError]):
        super().__init__(message)
        self.reason = reason
        self.errors = errors

    @classmethod
    def from_errors(cls, reason: str, errors: list[FieldError]) -> ValidationError:
        if len(errors) == 1:
            message = errors[0].message
        else:
            message = f"{len(errors)} validation errors detected: " + "; ".join(e.message for e in errors)
        return cls(message, reason, errors)

    @classmethod
    def from_violations(cls, violations: Iterable[FieldViolation]) -> ValidationError:
        """The ValidationException of broken business rules: Reason BUSINESS_VALIDATION_FAILED, every
        violation in the ErrorList."""
        return cls.from_errors(cls.BUSINESS, [FieldError(v.field, v.code, v.message) for v in violations])

    @classmethod
    def of_field(cls, field: str | None, message: str, code: str = "INVALID_VALUE") -> ValidationError:
        """A request refused for one member: Reason REQUEST_VALIDATION_FAILED, the member in the ErrorList."""
        return cls.from_errors(cls.REQUEST, [FieldError(field, code, message)])

    def members(self) -> dict:
        return {"Reason": self.reason, "ErrorList": [e.to_wire() for e in self.errors]}


class ConflictError(ServiceError):
    code = "ConflictException"


class NotFoundError(ServiceError):
    code = "ResourceNotFoundException"


class AccessDeniedError(ServiceError):
    code = "AccessDeniedException"


class ServiceQuotaExceededError(ServiceError):
    code = "ServiceQuotaExceededException"


class InvalidEventPatternError(ServiceError):
    code = "InvalidEventPatternException"


class LimitExceededError(ServiceError):
    code = "LimitExceededException"


class ThrottlingError(ServiceError):
    code = "ThrottlingException"


class InternalServerError(ServiceError):
    code = "InternalServerException"
    status = 500


class SerializationError(ServiceError):
    """Malformed JSON body: the code AWS JSON services answer with."""

    code = "SerializationException"


class UnknownOperationError(ServiceError):
    code = "UnknownOperationException"


class NotYetImplementedError(ServiceError):
    """An operation of the model that cosell does not serve yet."""

    code = "NotImplementedException"
    status = 501


class MethodNotAllowedError(ServiceError):
    code = "MethodNotAllowedException"
    status = 405


class RequestTooLargeError(ServiceError):
    code = "RequestEntityTooLargeException"
    status = 413


class UnsupportedMediaTypeError(ServiceError):
    code = "UnsupportedMediaTypeException"
    status = 415


class RequestTimeoutError(ServiceError):
    """The body did not arrive in time: a transport error, like RequestEntityTooLargeException."""

    code = "RequestTimeoutException"
    status = 408


# The common errors of AWS's signature checks (statuses as AWS JSON services answer them).
class MissingAuthenticationTokenError(ServiceError):
    code = "MissingAuthenticationTokenException"
    status = 403


class IncompleteSignatureError(ServiceError):
    code = "IncompleteSignatureException"
    status = 400


class UnrecognizedClientError(ServiceError):
    code = "UnrecognizedClientException"
    status = 403


class InvalidSignatureError(ServiceError):
    code = "InvalidSignatureException"
    status = 403
