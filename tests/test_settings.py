"""Settings are checked when built: a mistyped mode or an impossible number stops `cosell serve` with a
message naming the setting, instead of silently changing what the server does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import database_args, free_port
from cosell.settings import AuthMode, ReviewMode, Settings, StoreTuning


def test_modes_are_closed_sets():
    assert Settings(auth="strict", review="auto").auth is AuthMode.STRICT
    assert Settings(review="auto").review is ReviewMode.AUTO
    with pytest.raises(ValueError, match="auth must be one of open, strict, not 'strikt'"):
        Settings(auth="strikt")
    with pytest.raises(ValueError, match="review must be one of manual, auto, not 'automatic'"):
        Settings(review="automatic")


@pytest.mark.parametrize("values, message", [
    ({"account_id": "12345"}, "account_id must be 12 digits"),
    ({"port": 70000}, "port must be from 0 to 65535"),
    ({"review_delay_seconds": -1}, "review_delay_seconds must be a number of seconds"),
    ({"body_timeout_seconds": float("nan")}, "body_timeout_seconds must be a number of seconds"),
    ({"max_body_bytes": 0}, "max_body_bytes and body_drain_factor must be at least 1"),
    ({"quotas": ""}, "quotas must be off, aws or the path of a quota file"),
])
def test_impossible_numbers_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        Settings(**values)


def test_store_tunables_are_checked():
    with pytest.raises(ValueError, match="gather_seconds"):
        StoreTuning(gather_seconds=5)
    assert Settings(store=StoreTuning(gather_seconds=0.001)).store.gather_seconds == 0.001


def test_environment_variables_are_read_and_checked(monkeypatch):
    monkeypatch.setenv("COSELL_BODY_TIMEOUT", "2.5")
    monkeypatch.setenv("COSELL_REVIEW", "auto")
    settings = Settings.from_env(port=5000)
    assert (settings.body_timeout_seconds, settings.review, settings.port) == (2.5, ReviewMode.AUTO, 5000)
    monkeypatch.setenv("COSELL_MAX_BODY_BYTES", "a lot")
    with pytest.raises(ValueError, match="COSELL_MAX_BODY_BYTES='a lot' is not a valid max_body_bytes"):
        Settings.from_env()


def test_a_mistyped_mode_stops_the_server(tmp_path):
    done = subprocess.run([sys.executable, "-m", "cosell.cli", "serve", "--port", str(free_port()),
                           *database_args(Path(tmp_path) / "data")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COSELL_AUTH": "strikt"})
    assert done.returncode != 0
    assert "cosell serve: auth must be one of open, strict, not 'strikt'" in done.stderr


@pytest.mark.parametrize("content, message", [
    ('[{"field": 1', "is not valid JSON"),
    ('{"field": "Project.Title"}', "must hold a JSON list of rules"),
    ('[{"field": "Project.Title", "decison": "Rejected"}]', "rule 1: needs field and decision"),
    ('[{"field": "Project.Title", "decision": "Maybe"}]', "rule 1: decision must be Approved, Action Required or Rejected"),
])
def test_a_bad_review_rules_file_stops_the_server(tmp_path, content, message):
    rules = tmp_path / "rules.json"
    rules.write_text(content)
    done = subprocess.run([sys.executable, "-m", "cosell.cli", "serve", "--port", str(free_port()), "--review", "auto",
                           "--review-rules", str(rules), *database_args(Path(tmp_path) / "data")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"cosell serve: review rules file {rules}" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr
