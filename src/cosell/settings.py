"""One frozen Settings object, built from CLI flags and COSELL_* environment variables, and checked as
it is built: a mode is a closed set and a number has its range, so a typo stops the server instead of
changing its meaning."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any


class AuthMode(StrEnum):
    """Who may call: any request, mapped to the default account unless a known key signs it (`open`),
    or only requests whose SigV4 signature verifies against an account's key (`strict`)."""

    OPEN = "open"
    STRICT = "strict"


class ReviewMode(StrEnum):
    """The simulated AWS reviewer: decisions come from `cosell review` and the Sandbox's UpdateOpportunity
    (`manual`), or a reviewer decides by itself after review_delay_seconds (`auto`)."""

    MANUAL = "manual"
    AUTO = "auto"


class InvitedReview(StrEnum):
    """The review status of the opportunity an invited partner gets by accepting a partner's invitation:
    Approved at once, as observed (`approved`, engagements.md §8-6), or Submitted until the inviting
    partner's opportunity is Approved, as DG-mp documents (`inherit`)."""

    APPROVED = "approved"
    INHERIT = "inherit"


class EventDelivery(StrEnum):
    """Where published events are delivered from: a thread of the server (`thread`, the default: on SQLite
    its writes join the server's group commit), a worker process beside the server (`process`: it takes
    another core; meant for PostgreSQL, where it waits on no lock the server holds), or nowhere (`off`:
    events are only logged, for /_cosell/events, and wait there until a server delivers them)."""

    PROCESS = "process"
    THREAD = "thread"
    OFF = "off"


@dataclass(frozen=True)
class StoreTuning:
    """The store's tunables (the defaults are the measured best: bench/README.md)."""

    # On an event loop, how long a group-commit batch stays open at most before the loop commits it; it
    # is committed sooner once it has as many units as the last batch.
    gather_seconds: float = 0.002
    # How often the checkpointer copies committed WAL frames into the database file, while there are commits.
    checkpoint_interval_seconds: float = 0.25
    # WAL pages past which the writer finishes a checkpoint itself, so that the WAL file starts over
    # (4096 pages: 16 MiB at SQLite's default page size).
    restart_wal_frames: int = 4096
    # How many batches a loop fsyncs itself after seeing it had nothing else to do.
    loop_syncs_per_probe: int = 15

    def __post_init__(self) -> None:
        if not 0 <= self.gather_seconds <= 1:
            raise ValueError("gather_seconds must be from 0 to 1")
        if not 0 < self.checkpoint_interval_seconds <= 60:
            raise ValueError("checkpoint_interval_seconds must be more than 0 and at most 60")
        if self.restart_wal_frames < 1 or self.loop_syncs_per_probe < 0:
            raise ValueError("restart_wal_frames must be at least 1 and loop_syncs_per_probe not negative")


QUOTA_CHOICES = ("off", "aws")  # or the path of a JSON quota file (quotas.py)


def _choice(enum: type[Enum], name: str, value: Any) -> Enum:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise ValueError(f"{name} must be one of {choices}, not {value!r}") from None


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4588
    data_dir: Path = Path(".cosell")
    # The account of every request that no known access key signs (open mode), and of admin calls
    # that name none.
    account_id: str = "123456789012"
    database_url: str | None = None  # default: the SQLite file in data_dir
    auth: AuthMode = AuthMode.OPEN
    allow_open_auth: bool = False  # open mode on a non-loopback address needs this
    admin_token: str | None = None  # required by the /_cosell/* admin endpoints in strict mode
    quotas: str = "off"  # "off", "aws" (AWS's published limits) or the path of a JSON quota file
    review: ReviewMode = ReviewMode.MANUAL
    review_delay_seconds: float = 5.0
    review_rules: Path | None = None
    invited_review: InvitedReview = InvitedReview.APPROVED
    # A Sandbox CreateOpportunity with Origin "AWS Referral" becomes AWS's invitation this long after
    # (observed ~5 s, engagements.md §0.7).
    referral_delay_seconds: float = 5.0
    # AWS prospects a StartProspectingFromEngagementTask's engagements this long after it starts (IN_PROGRESS
    # at half of it). AWS documents no duration; its work is asynchronous.
    prospecting_delay_seconds: float = 30.0
    # Events: where they are delivered from, the SQS-compatible endpoint of SQS targets, how many attempts a
    # delivery gets (backoff with jitter between them), and AWS's duplicates on purpose (`--event-duplicates`).
    event_delivery: EventDelivery = EventDelivery.THREAD
    sqs_endpoint_url: str | None = None
    event_attempts: int = 8
    event_duplicates: bool = False
    # Request bodies: at most this many bytes, arriving within this time; an oversized body of at most
    # drain factor x limit bytes is read and thrown away, so the client reads the 413 (server/body.py).
    max_body_bytes: int = 1024 * 1024
    body_timeout_seconds: float = 30.0
    body_drain_factor: int = 8
    store: StoreTuning = field(default_factory=StoreTuning)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalized values are set once, here
        set_(self, "auth", _choice(AuthMode, "auth", self.auth))
        set_(self, "review", _choice(ReviewMode, "review", self.review))
        set_(self, "invited_review", _choice(InvitedReview, "invited_review", self.invited_review))
        set_(self, "event_delivery", _choice(EventDelivery, "event_delivery", self.event_delivery))
        if not 1 <= self.event_attempts <= 100:
            raise ValueError(f"event_attempts must be from 1 to 100, not {self.event_attempts!r}")
        set_(self, "data_dir", Path(self.data_dir))
        if self.review_rules is not None:
            set_(self, "review_rules", Path(self.review_rules))
        if not re.fullmatch(r"[0-9]{12}", self.account_id):
            raise ValueError(f"account_id must be 12 digits, not {self.account_id!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be from 0 to 65535, not {self.port}")
        if not self.quotas or (self.quotas not in QUOTA_CHOICES and self.quotas.strip() != self.quotas):
            raise ValueError(f"quotas must be off, aws or the path of a quota file, not {self.quotas!r}")
        for name in ("review_delay_seconds", "referral_delay_seconds", "prospecting_delay_seconds",
                     "body_timeout_seconds"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be a number of seconds, 0 or more, not {getattr(self, name)!r}")
        if self.max_body_bytes < 1 or self.body_drain_factor < 1:
            raise ValueError("max_body_bytes and body_drain_factor must be at least 1")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cosell.db').resolve()}"

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given values (None leaves a value as it is)."""
        return replace(self, **{key: value for key, value in overrides.items() if value is not None})

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then COSELL_* variables, then explicit overrides (CLI flags) that are not None."""
        env = os.environ
        values: dict[str, Any] = {}
        for name, variable, convert in _ENVIRONMENT:
            if env.get(variable):
                try:
                    values[name] = convert(env[variable])
                except ValueError:
                    raise ValueError(f"{variable}={env[variable]!r} is not a valid {name}") from None
        values.update({key: value for key, value in overrides.items() if value is not None})
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**values)


def _flag(value: str) -> bool:
    """A switch's variable: 1/true/yes/on or 0/false/no/off (anything else is an error, not False)."""
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


# (setting, environment variable, conversion)
_ENVIRONMENT = (
    ("host", "COSELL_HOST", str),
    ("port", "COSELL_PORT", int),
    ("data_dir", "COSELL_DATA", Path),
    ("account_id", "COSELL_ACCOUNT_ID", str),
    ("database_url", "COSELL_DATABASE_URL", str),
    ("auth", "COSELL_AUTH", str),
    ("admin_token", "COSELL_ADMIN_TOKEN", str),
    ("quotas", "COSELL_QUOTAS", str),
    ("review", "COSELL_REVIEW", str),
    ("review_delay_seconds", "COSELL_REVIEW_DELAY", float),
    ("review_rules", "COSELL_REVIEW_RULES", Path),
    ("invited_review", "COSELL_INVITED_REVIEW", str),
    ("referral_delay_seconds", "COSELL_REFERRAL_DELAY", float),
    ("prospecting_delay_seconds", "COSELL_PROSPECTING_DELAY", float),
    ("event_delivery", "COSELL_EVENT_DELIVERY", str),
    ("sqs_endpoint_url", "COSELL_SQS_ENDPOINT_URL", str),
    ("event_attempts", "COSELL_EVENT_ATTEMPTS", int),
    ("event_duplicates", "COSELL_EVENT_DUPLICATES", _flag),
    ("max_body_bytes", "COSELL_MAX_BODY_BYTES", int),
    ("body_timeout_seconds", "COSELL_BODY_TIMEOUT", float),
)
