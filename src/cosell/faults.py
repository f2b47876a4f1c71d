"""Fault injection (`cosell faults set|clear|list`, POST /_cosell/faults): errors, latency and dropped
responses on chosen operations, which AWS cannot give a tester.

Faults live in the database (store/faults.py), so every server process sharing it applies them.
The request path never reads them per request: each process keeps a copy (FaultBoard) and re-reads
it at most every REREAD_SECONDS, or at once after this process changed them. An injected error is
raised before the operation runs (nothing is written); a dropped response is raised after it committed.
Every injected error says so in its message. Nothing here touches an operation's data.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from dataclasses import dataclass

from cosell.protocol.errors import FieldError, InternalServerError, ThrottlingError, ValidationError
from cosell.protocol.model import service_model
from cosell.store import Store

ALL_OPERATIONS = "*"
INJECTABLE_ERRORS = {"ThrottlingException": ThrottlingError, "InternalServerException": InternalServerError}
REREAD_SECONDS = 0.5
MAX_LATENCY_MS = 300_000


class FaultBoard:
    """This process's copy of the faults in force, re-read at most every REREAD_SECONDS."""

    def __init__(self, store: Store):
        self._store = store
        self._lock = threading.Lock()
        self._faults: dict[str, dict] = {}
        self._read_at: float | None = None

    def current(self) -> dict[str, dict]:
        """Faults by operation name ("*" included), at most REREAD_SECONDS old."""
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at >= REREAD_SECONDS:
                with self._store.read() as tx:
                    self._faults = {fault["Operation"]: fault for fault in tx.faults.list()}
                self._read_at = now
            return self._faults

    def mark_stale(self) -> None:
        with self._lock:
            self._read_at = None


@dataclass(frozen=True)
class FaultPlan:
    """What a request hit by a fault gets: a delay before its operation runs (the caller waits it,
    so the server's event loop is not blocked), and whether its response is dropped."""

    delay_seconds: float
    dropped: dict | None


class Faults:
    def __init__(self, store: Store, rng: random.Random | None = None):
        self.store = store
        self.board = FaultBoard(store)
        self.random = rng or random.Random()

    def before(self, operation: str):
        """Called before the operation runs: may sleep, may raise the injected error. Returns what
        `after` needs to know: the fault whose response is to be dropped, or None. An operation's
        own fault takes the place of the `*` fault; its Rate decides whether this request is hit."""
        faults = self.board.current()
        fault = faults.get(operation) or faults.get(ALL_OPERATIONS)
        if fault is None or self.random.random() >= fault["Rate"]:
            return None
        if fault["Error"]:
            raise INJECTABLE_ERRORS[fault["Error"]](
                f"Injected by cosell (faults set --operation {fault['Operation']} --error {fault['Error']}); "
                f"{operation} did not run.")
        return FaultPlan((fault["LatencyMs"] or 0) / 1000, fault if fault["DropResponse"] else None)

    def after(self, plan: FaultPlan | None) -> None:
        """Called after the operation ran, before the response is sent."""
        if plan is not None and plan.dropped is not None:
            raise InternalServerError(
                f"Response dropped by cosell (faults set --operation {plan.dropped['Operation']} --drop-response); "
                "the operation ran and its changes were committed.")


    def configure(self, body: dict, now: dt.datetime) -> dict:
        """POST /_cosell/faults; see configure_faults."""
        answer = configure_faults(self.store, body, now)
        self.board.mark_stale()  # this process applies its own change at once
        return answer


def configure_faults(store: Store, body: dict, now: dt.datetime) -> dict:
    """POST /_cosell/faults. Body: {"Action": "set"|"clear"|"list", "Operation": "<Op>"|"*",
    "Error": "ThrottlingException"|"InternalServerException", "Rate": 0..1, "LatencyMs": int,
    "DropResponse": bool}. Answers {"Faults": [...]} with the faults now in force. Faults are
    server-wide: they apply to every account's requests."""
    action = body.get("Action")
    if action not in ("set", "clear", "list"):
        _refuse(FieldError("Action", "REQUIRED_FIELD_MISSING" if action is None else "INVALID_ENUM_VALUE",
                           "Action must be one of set, clear, list."))
    if action == "set":
        fault = _fault_to_set(body)
        with store.write() as tx:
            tx.faults.put(fault, now)
    elif action == "clear":
        operation = body.get("Operation")
        if operation is not None:
            _check_operation(operation)
        with store.write() as tx:
            tx.faults.delete(operation)
    with store.read() as tx:
        return {"Faults": tx.faults.list()}


def _refuse(*errors: FieldError):
    raise ValidationError.from_errors(ValidationError.REQUEST, list(errors))


def _check_operation(operation) -> None:
    if operation is None or operation == "":
        _refuse(FieldError("Operation", "REQUIRED_FIELD_MISSING", "Operation is required: an operation name or *."))
    if not isinstance(operation, str):
        _refuse(FieldError("Operation", "INVALID_VALUE", "Operation must be an operation name or *."))
    if operation != ALL_OPERATIONS and operation not in service_model().operation_names:
        _refuse(FieldError("Operation", "INVALID_ENUM_VALUE",
                           f"{operation} is not an operation of partnercentral-selling (or * for all)."))


def _number_error(name: str, value, kind: type | tuple[type, ...], low, high, message: str) -> list[FieldError]:
    """No error when `value` is a `kind` (never a bool) from `low` to `high`."""
    if isinstance(value, bool) or not isinstance(value, kind):
        return [FieldError(name, "INVALID_VALUE", message)]
    return [] if low <= value <= high else [FieldError(name, "VALUE_OUT_OF_RANGE", message)]


def _fault_to_set(body: dict) -> dict:
    """The fault a "set" body describes, every field checked."""
    _check_operation(body.get("Operation"))
    error, latency_ms, drop_response = body.get("Error"), body.get("LatencyMs"), body.get("DropResponse") or False
    rate = 1.0 if body.get("Rate") is None else body["Rate"]
    errors = _number_error("Rate", rate, (int, float), 0, 1, "Rate must be a number from 0 to 1.")
    if error is not None and (not isinstance(error, str) or error not in INJECTABLE_ERRORS):
        errors.append(FieldError("Error", "INVALID_ENUM_VALUE",
                                 f"Error must be one of {', '.join(INJECTABLE_ERRORS)}."))
    if latency_ms is not None:
        errors += _number_error("LatencyMs", latency_ms, int, 0, MAX_LATENCY_MS,
                                f"LatencyMs must be a whole number of milliseconds from 0 to {MAX_LATENCY_MS}.")
    if not isinstance(drop_response, bool):
        errors.append(FieldError("DropResponse", "INVALID_VALUE", "DropResponse must be true or false."))
    elif drop_response and error is not None:
        errors.append(FieldError("DropResponse", "INVALID_VALUE",
                                 "DropResponse runs the operation and Error refuses it: set one of them."))
    if error is None and not latency_ms and drop_response is False:
        errors.append(FieldError("Error", "REQUIRED_FIELD_MISSING",
                                 "Give the fault an effect: Error, LatencyMs or DropResponse."))
    if errors:
        _refuse(*errors)
    return {"Operation": body["Operation"], "Error": error, "Rate": float(rate), "LatencyMs": latency_ms or None,
            "DropResponse": drop_response}
