"""The developer kit's costs: an in-process mock per test, and a reset with 10,000 opportunities stored.

    python bench/devkit.py                      # writes bench/RESULTS-devkit.md
    python bench/devkit.py --count 10000 --runs 30

Each figure is the median of --runs, and is given as a ratio to a baseline measured in the same run, on
the same machine: a mock's set-up and tear-down against creating the boto3 client a test makes anyway;
a reset of 10,000 opportunities against a reset of an empty store. Targets (issue 16): a mock under
20 ms, a reset under 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH] + [str(BENCH)]

import boto3  # noqa: E402

import workload  # noqa: E402
from cosell.control.reset import reset  # noqa: E402
from cosell.gateway import Gateway  # noqa: E402
from cosell.mock import mock_partnercentral  # noqa: E402
from cosell.settings import Settings  # noqa: E402
from cosell.store import Store  # noqa: E402


def median_ms(action, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def mock_figures(runs: int) -> tuple[float, float]:
    def one_mock():
        with mock_partnercentral():
            pass

    def one_client():
        boto3.client("partnercentral-selling", region_name="us-east-1", aws_access_key_id="x",
                     aws_secret_access_key="y")

    one_mock()  # the process's template database, and imports
    one_client()
    return median_ms(one_mock, runs), median_ms(one_client, runs)


def reset_figures(count: int, runs: int, workdir: Path) -> tuple[float, float]:
    timings, empty = [], []
    for run in range(runs):
        directory = workdir / f"reset-{run}"
        directory.mkdir()
        url = f"sqlite:///{directory / 'cosell.db'}"
        workload.seed(url, count)
        store = Store(url)
        gateway = Gateway(Settings(data_dir=directory), store)
        timings.append(reset(gateway)["Milliseconds"])
        empty.append(reset(gateway)["Milliseconds"])  # the same store, now empty
        store.close()
    return statistics.median(timings), statistics.median(empty)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="opportunities stored before a reset")
    parser.add_argument("--runs", type=int, default=30, help="mocks measured (resets: a fifth of it, at least 3)")
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS-devkit.md")
    args = parser.parse_args()
    mock_ms, client_ms = mock_figures(args.runs)
    with tempfile.TemporaryDirectory(prefix="cosell-devkit-") as workdir:
        reset_ms, empty_ms = reset_figures(args.count, max(3, args.runs // 5), Path(workdir))
    rows = [
        ("mock_partnercentral() set-up + tear-down", f"{mock_ms:.1f} ms", "boto3.client()", f"{client_ms:.1f} ms",
         f"{mock_ms / client_ms:.2f}", "< 20 ms"),
        (f"reset, {args.count:,} opportunities stored", f"{reset_ms:.1f} ms", "reset of an empty store",
         f"{empty_ms:.1f} ms", f"{reset_ms / empty_ms:.2f}", "< 50 ms"),
    ]
    report = [f"# Developer kit: mock and reset ({dt.date.today().isoformat()})", "",
              f"`python bench/devkit.py --count {args.count} --runs {args.runs}`; medians.", "",
              "| measured | median | baseline | baseline median | ratio | target |", "|---|---:|---|---:|---:|---|",
              *(f"| {' | '.join(row)} |" for row in rows), ""]
    args.output.write_text("\n".join(report))
    print("\n".join(report))


if __name__ == "__main__":
    main()
