"""Fault injection (`cosell faults set|clear`, POST /_cosell/faults): errors, latency and dropped
responses on chosen operations, which AWS cannot give a tester."""

from __future__ import annotations

from cosell.store import Store


class Faults:
    def __init__(self, store: Store):
        self.store = store

    def before(self, operation: str):
        """Called before the operation runs: may sleep, may raise the injected error. Returns what
        `after` needs to know."""
        return None

    def after(self, plan) -> None:
        """Called after the operation committed, before the response is sent."""
        return None


def configure_faults(store: Store, account_id: str, body: dict, now) -> dict:
    """POST /_cosell/faults. Body: {"Action": "set"|"clear"|"list", "Operation": "<Op>"|"*",
    "Error": "ThrottlingException"|"InternalServerException", "Rate": 0..1, "LatencyMs": int,
    "DropResponse": bool}. Answers {"Faults": [...]} with the faults now in force."""
    from cosell.protocol.errors import NotYetImplementedError

    raise NotYetImplementedError("fault injection is not built yet")
