"""The benchmark harness runs end to end (`bench/run.py --smoke`): it starts real servers, seeds them,
drives every operation with wrk and writes its report. Whether cosell is fast is the harness's own
report, never this test's: nothing here looks at a time or a rate."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MEASURED = ["baseline: no-op POST", "GetOpportunity", "ListOpportunities", "UpdateOpportunity", "CreateOpportunity",
            "GetOpportunity (open)", "GetOpportunity (strict, pre-signed SigV4)"]


def _rows(report: str) -> dict[str, list[dict]]:
    """The 'Requests per second and latency' table, by operation."""
    section = report.split("## Requests per second and latency", 1)[1].split("\n## ", 1)[0]
    header, rows = None, {}
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if header is None:
            header = cells
            continue
        rows.setdefault(cells[0], []).append(dict(zip(header, cells, strict=False)))
    return rows


def test_the_benchmark_harness_runs_every_operation_against_a_live_server(tmp_path):
    if shutil.which("wrk") is None:
        if os.environ.get("CI"):
            pytest.fail("wrk is missing: .ci/run installs it (Debian package wrk)")
        pytest.skip("wrk is not installed (Debian: apt-get install wrk)")
    report_file = tmp_path / "smoke.md"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--output", str(report_file),
                           "--workdir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = report_file.read_text()

    rows = _rows(report)
    for operation in MEASURED:
        assert operation in rows, (operation, sorted(rows))
        for row in rows[operation]:
            assert int(row["requests"].replace(",", "")) > 0, row
            assert row["non-2xx"] == "0", row  # every request got a success answer
    for timeouts, socket_errors in re.findall(r"(\d+) timeouts, (\d+) socket errors", report):
        assert (timeouts, socket_errors) == ("0", "0"), report
    targets = report.split("## Targets", 1)[1].split("\n## ", 1)[0]
    assert "resident memory" in targets and "ready" in targets
