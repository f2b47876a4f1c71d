"""One frozen Settings object, built from CLI flags and COSELL_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4588
    data_dir: Path = Path(".cosell")
    # Every record belongs to an account; until signatures arrive, all requests use this one.
    account_id: str = "123456789012"
    database_url: str | None = None  # default: SQLite file in data_dir
    max_body_bytes: int = 1024 * 1024
    # The simulated AWS reviewer: "manual" (decisions come from `cosell review` / the Sandbox's
    # UpdateOpportunity) or "auto" (a background reviewer decides after review_delay_seconds).
    review: str = "manual"
    review_delay_seconds: float = 5.0
    review_rules: Path | None = None
    # Who may call: "open" (any request, the default account unless a known key signs it) or
    # "strict" (every request SigV4-verified against the accounts' keys).
    auth: str = "open"
    allow_open_auth: bool = False  # open mode on a non-loopback address needs this
    admin_token: str | None = None  # required by /_cosell/* admin endpoints in strict mode
    # Quotas: "off", "aws" (AWS's published limits) or the path of a JSON quota file.
    quotas: str = "off"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cosell.db').resolve()}"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Defaults, then COSELL_* variables, then explicit overrides (CLI flags) that are not None."""
        env = os.environ
        values = {
            "host": env.get("COSELL_HOST", cls.host),
            "port": int(env.get("COSELL_PORT", cls.port)),
            "data_dir": Path(env.get("COSELL_DATA", str(cls.data_dir))),
            "account_id": env.get("COSELL_ACCOUNT_ID", cls.account_id),
            "database_url": env.get("COSELL_DATABASE_URL") or None,
            "review": env.get("COSELL_REVIEW", cls.review),
            "review_delay_seconds": float(env.get("COSELL_REVIEW_DELAY", cls.review_delay_seconds)),
            "review_rules": Path(env["COSELL_REVIEW_RULES"]) if env.get("COSELL_REVIEW_RULES") else None,
            "auth": env.get("COSELL_AUTH", cls.auth),
            "admin_token": env.get("COSELL_ADMIN_TOKEN") or None,
            "quotas": env.get("COSELL_QUOTAS", cls.quotas),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        for key in ("data_dir", "review_rules"):
            if isinstance(values[key], str):
                values[key] = Path(values[key])
        return cls(**values)
