"""Shape validation of requests, compiled once from the botocore model: a fast path for valid
requests (fast.py) and the full validation that reports every violation (full.py), with validation's
exceptions to the model as data (policy.py). This package knows shapes, not business rules.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape

from cosell.protocol.errors import FieldError, ValidationError
from cosell.protocol.validation.fast import CheckCompiler, NeedsFullCheck
from cosell.protocol.validation.full import MAX_REPORTED_ERRORS, Compiler, TooManyErrors


class RequestValidator:
    """Validates and cleans one operation's input; compiled once at start-up."""

    def __init__(self, input_shape: Shape, compiler: Compiler, checks: CheckCompiler | None):
        """`checks` None: no fast path, the full validation alone (see compile_validators)."""
        self._validate = compiler.compile(input_shape)
        self._check = checks.compile(input_shape) if checks is not None else CheckCompiler._give_up

    def __call__(self, request: Any) -> dict:
        try:
            return self._check(request)
        except NeedsFullCheck:
            pass  # something is wrong or unusual: the full validation says what
        errors: list[FieldError] = []
        try:
            cleaned = self._validate(request, (), errors)
        except TooManyErrors:
            reported = errors[:MAX_REPORTED_ERRORS]
            message = (f"More than {MAX_REPORTED_ERRORS} validation errors detected; the first {MAX_REPORTED_ERRORS}: "
                       + "; ".join(e.message for e in reported))
            raise ValidationError(message, ValidationError.REQUEST, reported) from None
        if errors:
            raise ValidationError.from_errors(ValidationError.REQUEST, errors)
        return cleaned


# Compiled validators by (model uid, operation, fast path): compiled once per process, so that a new
# Gateway (the in-process mock makes one per test) costs no compilation.
_COMPILED: dict[tuple[str, str, bool], RequestValidator] = {}


def compile_validators(operation_models, fast_path: bool = True) -> dict[str, RequestValidator]:
    """fast_path=False: every request goes through the full validation alone, the reference the fast
    path must agree with (tests/test_fast_paths.py)."""
    compiler, checks = Compiler(), CheckCompiler() if fast_path else None
    validators = {}
    for op in operation_models:
        key = (op.service_model.metadata.get("uid", op.service_model.service_name), op.name, fast_path)
        if key not in _COMPILED:
            _COMPILED[key] = RequestValidator(op.input_shape, compiler, checks)
        validators[op.name] = _COMPILED[key]
    return validators


_SHAPE_VALIDATORS: dict[str, RequestValidator] = {}


def shape_validator(shape_name: str) -> RequestValidator:
    """A validator of one shape of partnercentral-selling's model (what cosell's own endpoints take in the
    API's shapes: an AWS referral's CreateOpportunity body, a lead's Lead context), full validation only."""
    if shape_name not in _SHAPE_VALIDATORS:
        from cosell.protocol.model import service_model
        _SHAPE_VALIDATORS[shape_name] = RequestValidator(service_model().shape_for(shape_name), Compiler(), None)
    return _SHAPE_VALIDATORS[shape_name]
