"""The benchmark harness: one command that measures cosell against the targets and writes RESULTS.md.

    python bench/run.py                  # the full run (a few minutes), writes bench/RESULTS.md
    python bench/run.py --smoke          # tiny sizes and durations (< 60 s): checks the harness works
    python bench/run.py --only get,list --duration 5 --sizes 10000,100000,1000000

It starts `cosell serve` (default SQLite store, --log-level warning) on data seeded straight into the
SQLite file (bench/workload.py), loads it with wrk (bench/lua, -t2 -c16) and reports requests/s and
p50/p99 per operation next to each target, and as a ratio to a baseline: a no-op POST served by the
same stack (cosell's own POST /_cosell/noop when it answers 200, else bench/noop_app.py under uvicorn
with the same settings). It measures and reports; a missed target never fails the run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# bench/ holds a profile.py: keep the stdlib's `profile` first on the path, bench/ last.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH] + [str(BENCH)]

OPERATIONS = ["baseline", "ready", "create", "full", "events", "get", "list", "update", "signed", "scale", "memory",
              "profile", "spy"]
# Every member of the seed's CreateOpportunity request filled (2.6 KB: two contacts, a team member, marketing
# with channels and use cases, APN programs, spend, delivery models), from shared/bench/ (its README).
FULL_CREATE_BODY = BENCH / "bodies" / "full-create-body.json"
TARGETS = {  # (operation, data size key): what the issue asks for, on 2 cores, 16 connections
    "CreateOpportunity": {"min_rps": 4000, "max_p99_ms": 15, "min_ratio": 0.12},
    "CreateOpportunity, full body": {"min_rps": 4000, "max_p99_ms": 15},
    "GetOpportunity": {"min_rps": 8000, "min_ratio": 0.25},
    "ListOpportunities": {"min_rps": 2000, "max_p99_ms": 20},
    "UpdateOpportunity": {"min_rps": 2000},
}
# Issue 14: with an EventBridge rule and a webhook receiving every event, CreateOpportunity keeps at least
# 85% of its throughput without them.
EVENTS_MIN_RATIO = 0.85
EVENTS_ROUNDS = 2  # interleaved pairs: back-to-back runs of the same code differ by ±10% here
EVENTS_DRAIN_SECONDS = 30  # how long the delivery of the backlog is watched after a measurement


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Run:
    """Everything one harness run measures, and the commands it ran."""

    def __init__(self, args, workdir: Path):
        self.args, self.workdir = args, workdir
        self.rows: list[dict] = []  # one per wrk measurement
        self.checks: list[tuple[str, str, str, bool | None]] = []  # (figure, measured, target, passed)
        self.facts: list[tuple[str, str]] = []  # start-up, memory, seeding
        self.commands: list[str] = []
        self.baseline: dict | None = None
        self.reference: dict | None = None  # the Starlette no-op, for reading the ratios (startup_and_baseline)
        self.baseline_kind = "not measured"
        self.profiles: list[str] = []

    # --- helpers ----------------------------------------------------------------------------------
    def server(self, data_dir: Path, *extra: str) -> workload.Server:
        server = workload.Server.cosell(data_dir, self.workdir, *extra)
        self.commands.append(" ".join(server.argv))
        return server.start()

    def seed(self, name: str, count: int, **options) -> tuple[Path, int, int]:
        data = self.workdir / name
        started = time.perf_counter()
        first, block = workload.seed(f"sqlite:///{data / 'cosell.db'}", count, **options)
        seconds = time.perf_counter() - started
        opts = "".join(f", {k}={v!r}" for k, v in options.items())
        self.commands.append(f"# python: workload.seed('sqlite:///{data}/cosell.db', {count}{opts})  ({seconds:.1f} s)")
        synced = time.perf_counter()
        os.sync()  # so that the kernel's writeback of the new file does not run during the measurements
        self.commands.append(f"sync  ({time.perf_counter() - synced:.1f} s)")
        self.facts.append((f"seeding {count:,} opportunities ({name})", f"{seconds:.1f} s, "
                           f"{(data / 'cosell.db').stat().st_size / 1e6:,.0f} MB file"))
        log(f"seeded {count:,} into {name} in {seconds:.1f} s")
        return data, first, block

    def load(self, server, label: str, data: str, script: str, script_args: list, operation: str | None = None,
             warmup: bool = True) -> dict:
        if warmup and self.args.warmup:
            workload.wrk(server.url, script, script_args, self.args.warmup)
        cpu, busy, children = server.cpu_seconds(), machine_busy_seconds(), children_seconds()
        result, command = workload.wrk(server.url, script, script_args, self.args.duration,
                                       log=self.workdir / "wrk.log")
        cpu, busy = server.cpu_seconds() - cpu, machine_busy_seconds() - busy
        seconds = result["duration_us"] / 1e6
        result["server_cores"] = cpu / seconds
        result["cpu_us_per_request"] = cpu / max(1, result["requests"]) * 1e6
        result["wrk_cores"] = (children_seconds() - children) / seconds
        # Whatever else ran on the machine meanwhile (other processes' tests, disk writeback): noise.
        result["other_cores"] = max(0.0, busy / seconds - result["server_cores"] - result["wrk_cores"])
        self.commands.append(" ".join(command))
        result.update(label=label, data=data, operation=operation)
        self.rows.append(result)
        log(f"{label} @ {data}: {result['ok_per_s']:,.0f} ok req/s, p50 {result['p50_us'] / 1000:.2f} ms, "
            f"p99 {result['p99_us'] / 1000:.2f} ms, non-2xx {result['non_2xx']}, CPU: server "
            f"{result['server_cores']:.2f} wrk {result['wrk_cores']:.2f} other {result['other_cores']:.2f}")
        if result["first_errors"]:
            log(f"  first errors: {result['first_errors'][:2]}")
        return result

    def ratio(self, result: dict) -> float | None:
        return result["ok_per_s"] / self.baseline["ok_per_s"] if self.baseline else None

    def check(self, figure: str, measured: float | None, target: float, unit: str, higher_is_better: bool,
              shown: str | None = None) -> None:
        if measured is None:
            self.checks.append((figure, "not measured", f"{'≥' if higher_is_better else '≤'} {target:g}{unit}", None))
            return
        passed = measured >= target if higher_is_better else measured <= target
        self.checks.append((figure, shown or f"{measured:,.2f}{unit}",
                            f"{'≥' if higher_is_better else '≤'} {target:,g}{unit}", passed))

    def check_operation(self, result: dict) -> None:
        target = TARGETS[result["operation"]]
        name = f"{result['operation']} @ {result['data']}"
        suffix = f" ({result['non_2xx']:,} non-2xx not counted)" if result["non_2xx"] else ""
        self.check(f"{name}: req/s (2xx only)", result["ok_per_s"], target["min_rps"], "", True,
                   f"{result['ok_per_s']:,.0f}{suffix}")
        if "max_p99_ms" in target:
            self.check(f"{name}: p99", result["p99_us"] / 1000, target["max_p99_ms"], " ms", False)
        if "min_ratio" in target:
            self.check(f"{name}: ratio to baseline", self.ratio(result), target["min_ratio"], "", True)
            if self.reference:
                self.check(f"{name}: ratio to the Starlette no-op (reference row, the issue's ~30,000/s)",
                           result["ok_per_s"] / self.reference["ok_per_s"], target["min_ratio"], "", True)

    def wanted(self, *names: str) -> bool:
        return any(name in self.args.only for name in names)

    # --- the steps --------------------------------------------------------------------------------
    def startup_and_baseline(self) -> None:
        readies, noop_in_cosell = [], False
        for i in range(self.args.ready_runs if self.wanted("ready") else 1):
            server = self.server(self.workdir / f"fresh-{i}")
            readies.append(server.ready_seconds)
            if i == 0:
                noop_in_cosell = workload.post(server.url + "/_cosell/noop", {})[0] == 200
                if noop_in_cosell and self.wanted("baseline"):
                    self.measure_baseline(server, "cosell's own `POST /_cosell/noop` (same server process)")
            server.stop()
        if self.wanted("ready"):
            ready = statistics.median(readies)
            self.check("`cosell serve` ready (first 200 on /_cosell/health), fresh store, median of "
                       f"{len(readies)}", ready, 1.5, " s", False)
            self.facts.append(("ready times, fresh store", ", ".join(f"{r:.2f} s" for r in readies)))
        if self.wanted("baseline") and noop_in_cosell:
            # For reading the ratios: the "about 30,000 requests/s" no-op was a Starlette route
            # under uvicorn. cosell answers API requests from a leaner ASGI path (server.py), and its
            # own no-op takes that path, so its baseline is higher and every ratio stricter. This row
            # shows the Starlette no-op on the same machine; no ratio or target uses it.
            server = workload.Server.noop_app(self.workdir)
            self.commands.append(" ".join(server.argv))
            server.start()
            try:
                self.reference = self.load(server, "reference: Starlette no-op (bench/noop_app.py)", "–", "noop.lua",
                                           ["/_cosell/noop"])
            finally:
                server.stop()
        if self.wanted("baseline") and not noop_in_cosell:
            server = workload.Server.noop_app(self.workdir)
            self.commands.append(" ".join(server.argv))
            server.start()
            try:
                self.measure_baseline(server, "fallback: `bench/noop_app.py` (Starlette + uvicorn, same settings as "
                                      "`cosell serve`); cosell has no `POST /_cosell/noop` yet")
            finally:
                server.stop()

    def measure_baseline(self, server, kind: str) -> None:
        self.baseline = self.load(server, "baseline: no-op POST", "–", "noop.lua", ["/_cosell/noop"])
        self.baseline_kind = kind

    def main_dataset(self) -> None:
        """The 100,000-opportunity store (sizes[1]): Get, List, Update, Create."""
        if not self.wanted("create", "get", "list", "update"):
            return
        size = self.args.sizes[1]
        block = max(1000, size * 3 // 5)  # enough that 8 s of updates at ~5,000/s never run out
        data, first, block_start = self.seed(f"main-{size}", size, update_block=block)
        label = f"{size:,}"
        server = self.server(data)
        try:
            if self.wanted("get"):
                self.check_operation(self.load(server, "GetOpportunity", label, "get.lua", [first, size],
                                               "GetOpportunity"))
            if self.wanted("list"):
                self.check_operation(self.load(server, "ListOpportunities", label, "list.lua", [],
                                               "ListOpportunities"))
            if self.wanted("update"):
                body = self.workdir / "update.json"
                body.write_text(json.dumps(workload.update_request("__ID__")))
                result = self.load(server, "UpdateOpportunity", label, "update.lua",
                                   [body, block_start, block, self.args.threads], "UpdateOpportunity", warmup=False)
                if result["exhausted_threads"]:
                    log("  the update block ran out: raise the data size or lower --duration")
                self.check_operation(result)
            if self.wanted("create"):
                body = self.workdir / "create.json"
                body.write_text(json.dumps(workload.create_request(token="__TOKEN__")))
                run_id = f"bench{int(time.time())}"
                self.check_operation(self.load(server, "CreateOpportunity", label, "create.lua", [body, run_id],
                                               "CreateOpportunity"))
        finally:
            server.stop()

    def full_body(self) -> None:
        """CreateOpportunity with every member of the seed's request filled, on an empty store, beside the
        benchmark's usual body on an empty store of its own: what a full request costs more."""
        if not self.wanted("full"):
            return
        bodies = [("CreateOpportunity, bench body", self.workdir / "create-empty.json", None),
                  ("CreateOpportunity, full body", FULL_CREATE_BODY, "CreateOpportunity, full body")]
        bodies[0][1].write_text(json.dumps(workload.create_request(token="__TOKEN__")))
        for label, body, operation in bodies:
            server = self.server(self.workdir / f"empty-{len(self.rows)}")
            try:
                result = self.load(server, label, "0 (empty)", "create.lua", [body, f"full{int(time.time())}"],
                                   operation)
                if operation:
                    self.check_operation(result)
            finally:
                server.stop()

    def events(self) -> None:
        """CreateOpportunity on an empty store, with nothing listening for its events, then with an
        EventBridge rule (an HTTP target) and a webhook that each get every event, answered by a no-op
        endpoint (bench/noop_app.py) on the same machine; in interleaved pairs. Also counts how many of
        the deliveries were made by the time the measurement ended."""
        if not self.wanted("events"):
            return
        body = self.workdir / "create-events.json"
        body.write_text(json.dumps(workload.create_request(token="__TOKEN__")))
        receiver = workload.Server.noop_app(self.workdir)
        self.commands.append(" ".join(receiver.argv))
        receiver.start()
        endpoint = receiver.url + "/_cosell/noop"
        measured: dict[bool, list[float]] = {False: [], True: []}
        try:
            for _round in range(EVENTS_ROUNDS):
                for listening in (False, True):
                    data = self.workdir / f"events-{len(self.rows)}"
                    server = self.server(data)
                    try:
                        if listening:
                            workload.listen_to_events(server.url, endpoint)
                            self.commands.append(f"# python: workload.listen_to_events({server.url!r}, {endpoint!r})")
                        label = "CreateOpportunity, " + ("a rule and a webhook" if listening else "no rule, no webhook")
                        result = self.load(server, label, "0 (empty)", "create.lua", [body, f"ev{int(time.time())}"])
                        measured[listening].append(result["ok_per_s"])
                        if listening:
                            self.drained(data, label, _round)
                    finally:
                        server.stop()
        finally:
            receiver.stop()
        without, with_listeners = statistics.mean(measured[False]), statistics.mean(measured[True])
        self.check(f"CreateOpportunity with a rule and a webhook, ratio to without (mean of {EVENTS_ROUNDS} "
                   f"interleaved pairs: {with_listeners:,.0f} / {without:,.0f} req/s)", with_listeners / without,
                   EVENTS_MIN_RATIO, "", True)

    def drained(self, data: Path, label: str, round_number: int) -> None:
        """How many deliveries were made while the load ran, and how fast the rest went once it stopped."""
        done, total = workload.deliveries_made(data)
        started, deadline = time.perf_counter(), time.perf_counter() + EVENTS_DRAIN_SECONDS
        left = done
        while time.perf_counter() < deadline:
            time.sleep(1)
            left, total = workload.deliveries_made(data)
            if left >= total:
                break
        seconds = time.perf_counter() - started
        self.facts.append((f"{label}, round {round_number + 1}: deliveries made while the load ran; afterwards",
                           f"{done:,} of {total:,}; then {left - done:,} more in {seconds:.0f} s "
                           f"({(left - done) / seconds:,.0f}/s)"))

    def small_dataset(self) -> dict | None:
        """The 10,000-opportunity store (sizes[0]): List (for scaling), Get open and Get signed (strict)."""
        if not self.wanted("scale", "signed"):
            return None
        size = self.args.sizes[0]
        data, first, _ = self.seed(f"small-{size}", size)
        label = f"{size:,}"
        listed = None
        server = self.server(data)
        try:
            if self.wanted("scale"):
                listed = self.load(server, "ListOpportunities", label, "list.lua", [])
            if self.wanted("signed"):
                self.load(server, "GetOpportunity (open)", label, "get.lua", [first, size])
        finally:
            server.stop()
        if self.wanted("signed"):
            self.signed(data, size, label)
        return listed

    def signed(self, data: Path, size: int, label: str) -> None:
        """Strict mode: a pool of GetOpportunity requests pre-signed with botocore's SigV4Auth, replayed."""
        command = [str(workload.COSELL), "accounts", "create", "bench", "--data", str(data)]
        self.commands.append(" ".join(command))
        key = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        strict_first = workload.FIRST_NUMBER + size
        strict_count = max(100, size // 10)
        self.seed_more(data, strict_count, key["AccountId"], strict_first)
        server = workload.Server.cosell(data, self.workdir, "--auth", "strict")
        self.commands.append(" ".join(server.argv))
        pool = self.workdir / "signed.tsv"
        host = f"127.0.0.1:{server.port}"
        import random
        rng = random.Random(1)
        with open(pool, "w") as file:
            for _ in range(self.args.signed_pool):
                body = json.dumps({"Catalog": "Sandbox", "Identifier": f"O{strict_first + rng.randrange(strict_count)}"})
                headers = workload.signed_headers(key["AccessKeyId"], key["SecretAccessKey"], host, "GetOpportunity",
                                                  body.encode())
                file.write(f"GetOpportunity\t{headers['x-amz-date']}\t{headers['authorization']}\t{body}\n")
        self.commands.append(f"# python: {self.args.signed_pool} GetOpportunity requests signed with botocore "
                             f"SigV4Auth for {host} -> {pool}")
        server.start()
        try:
            self.load(server, "GetOpportunity (strict, pre-signed SigV4)", label, "signed.lua", [pool])
        finally:
            server.stop()

    def seed_more(self, data: Path, count: int, account_id: str, first_number: int) -> None:
        started = time.perf_counter()
        workload.seed(f"sqlite:///{data / 'cosell.db'}", count, account_id=account_id, first_number=first_number)
        self.commands.append(f"# python: workload.seed('sqlite:///{data}/cosell.db', {count}, "
                             f"account_id={account_id!r}, first_number={first_number})  "
                             f"({time.perf_counter() - started:.1f} s)")

    def large_dataset(self, small_list: dict | None) -> None:
        """The 1,000,000-opportunity store (sizes[2]): ready time, memory, List (scaling) and Get."""
        if not self.wanted("scale", "memory"):
            return
        size = self.args.sizes[2]
        data, first, _ = self.seed(f"large-{size}", size)
        label = f"{size:,}"
        server = self.server(data)
        try:
            self.facts.append((f"ready with {label} opportunities stored", f"{server.ready_seconds:.2f} s"))
            list_body = {"Catalog": "Sandbox", "LifeCycleStage": ["Qualified"],
                         "Sort": {"SortBy": "LastModifiedDate", "SortOrder": "DESCENDING"}, "MaxResults": 20}
            statuses = set()
            for i in range(10):
                statuses.add(workload.post(server.url, list_body, "ListOpportunities")[0])
                statuses.add(workload.post(server.url, {"Catalog": "Sandbox", "Identifier": f"O{first + i * (size // 10)}"},
                                           "GetOpportunity")[0])
            few = server.memory_kb()
            if self.wanted("memory"):
                self.check(f"resident memory (VmRSS) with {label} stored, after 10 List + 10 Get "
                           f"(HTTP {sorted(statuses)})", few["VmRSS"] / 1024, 150, " MB", False)
            if self.wanted("scale"):
                large = self.load(server, "ListOpportunities", label, "list.lua", [])
                self.load(server, "GetOpportunity", label, "get.lua", [first, size])
                after = server.memory_kb()
                self.facts.append((f"VmRSS after the wrk runs on {label}",
                                   f"{after['VmRSS'] / 1024:,.0f} MB (peak VmHWM {after['VmHWM'] / 1024:,.0f} MB)"))
                if small_list:
                    ratio = large["p50_us"] / small_list["p50_us"]
                    self.check(f"ListOpportunities p50 @ {label} / p50 @ {small_list['data']} "
                               f"({large['p50_us'] / 1000:.2f} ms / {small_list['p50_us'] / 1000:.2f} ms)",
                               ratio, 1.5, "×", False)
        finally:
            server.stop()

    def profile(self) -> None:
        script = BENCH / "profile.py"
        runs = []
        if self.wanted("profile"):
            runs.append(("in-process", [sys.executable, str(script), "--requests", str(self.args.profile_requests),
                                        "--size", str(self.args.sizes[0])]))
        if self.wanted("spy") and (Path(sys.executable).parent / "py-spy").exists():
            runs.append(("server", [sys.executable, str(script), "--server", "--duration",
                                    str(self.args.spy_duration), "--size", str(self.args.sizes[0])]))
        elif self.wanted("spy"):
            self.profiles.append("(py-spy is not installed in this venv: `pip install py-spy` to profile the server.)\n")
        for kind, command in runs:
            out = self.workdir / f"profile-{kind}.md"
            self.commands.append(" ".join(command))
            log(f"profiling ({kind})")
            done = subprocess.run(command + ["--markdown", str(out)], capture_output=True, text=True, timeout=900)
            if done.returncode != 0 or not out.exists():
                self.profiles.append(f"Profiling ({kind}) failed:\n\n```\n{done.stderr[-2000:]}\n```\n")
            else:
                self.profiles.append(out.read_text())

    # --- the report -------------------------------------------------------------------------------
    def markdown(self, argv: list[str], started: float) -> str:
        a = self.args
        lines = ["# cosell benchmark results", "",
                 f"Written by `python bench/run.py {' '.join(argv)}` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} "
                 f"UTC in {time.perf_counter() - started:,.0f} s. The harness measures and reports; a missed target "
                 "does not fail it. Load generator and server share the machine's cores.", ""]
        if a.smoke:
            lines += ["**Smoke run** (`--smoke`): tiny data and durations; it checks that the harness works, "
                      "not how fast cosell is.", ""]
        lines += ["## Machine and software", "", "| | |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in machine(a)]
        lines += ["", "## Targets", "", "| figure | measured | target | result |", "|---|---:|---:|---|"]
        for figure, measured, target, passed in self.checks:
            verdict = "–" if passed is None else ("pass" if passed else "**FAIL**")
            lines.append(f"| {figure} | {measured} | {target} | {verdict} |")
        bad = [row for row in self.rows if row["non_2xx"] or row["timeouts"] or row["connect_errors"]
               or row["read_errors"] or row["write_errors"] or row["exhausted_threads"]]
        lines += ["", "## Requests per second and latency", "",
                  f"wrk `-t{a.threads} -c{a.connections} -d{a.duration}s --latency` (each run but Update preceded by a "
                  f"{a.warmup} s warm-up with the same script), all on 127.0.0.1. req/s counts 2xx answers only. "
                  f"Baseline: {self.baseline_kind}.", ""]
        if bad:
            lines += ["**Errors**: " + "; ".join(
                f"{row['label']} @ {row['data']}: {row['non_2xx']:,} non-2xx, {row['timeouts']} timeouts, "
                f"{row['connect_errors'] + row['read_errors'] + row['write_errors']} socket errors"
                + (f", {row['exhausted_threads']} wrk threads ran out of opportunities to update and stopped "
                   "early (req/s understated)" if row["exhausted_threads"] else "")
                + (f" (first: `{row['first_errors'][0][:160]}`)" if row["first_errors"] else "") for row in bad), ""]
        noisy = [row for row in self.rows if row["other_cores"] > 0.25]
        if noisy:
            lines += [f"**Noise**: other processes used more than a quarter of a core during {len(noisy)} of the "
                      f"{len(self.rows)} runs (column `other`); their figures understate cosell.", ""]
        lines += ["CPU columns, in cores busy during the run: `server` (the server process, /proc/<pid>/stat, also "
                  "as µs per request), `wrk` (the load generator), `other` (everything else on the machine, "
                  "from /proc/stat).", "",
                  "| operation | opportunities | req/s | p50 ms | p99 ms | max ms | ratio to baseline | non-2xx | requests "
                  "| server | CPU µs/req | wrk | other |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in self.rows:
            ratio = self.ratio(row)
            non = f"**{row['non_2xx']:,}**" if row["non_2xx"] else "0"
            lines.append(f"| {row['label']} | {row['data']} | {row['ok_per_s']:,.0f} | {row['p50_us'] / 1000:.2f} | "
                         f"{row['p99_us'] / 1000:.2f} | {row['max_us'] / 1000:.1f} | "
                         f"{'–' if ratio is None else f'{ratio:.3f}'} | {non} | {row['requests']:,} | "
                         f"{row['server_cores']:.2f} | {row['cpu_us_per_request']:,.0f} | {row['wrk_cores']:.2f} | "
                         f"{row['other_cores']:.2f} |")
        lines += ["", "## Start-up, memory, seeding", "", "| | |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in self.facts]
        if self.profiles:
            lines += ["", "## Where the time goes", ""]
            for text in self.profiles:
                lines += [text, ""]
        before = BENCH / "profile-before.md"
        if before.exists() and not self.args.smoke:  # where the time went before: the comparison the issue asks for
            lines += ["## Before (commit b1eb7a1)", "", "From `bench/profile-before.md`, as recorded then:", ""]
            lines += [line.replace("### ", "#### ", 1) if line.startswith("### ") else line
                      for line in before.read_text().split("\n")[2:]]
            lines += [""]
        lines += ["## Commands", "", "In the order run (data directories under a temporary directory, removed "
                  "afterwards unless `--keep`; `# python:` lines are steps the harness does itself).", "", "```sh"]
        lines += self.commands + ["```", ""]
        return "\n".join(lines)


def machine_busy_seconds() -> float:
    """CPU time all cores have spent busy since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine(args) -> list[tuple[str, str]]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "?")
    memory = next((line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "?")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    import cosell
    source = Path(cosell.__file__).resolve().parent
    git = ""
    if args.label:
        git = args.label
    else:
        commit = subprocess.run(["git", "-C", str(source), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(source), "status", "--short", "--", "."], capture_output=True, text=True)
        if commit.returncode == 0:
            changed = [line[3:] for line in dirty.stdout.splitlines()]
            git = f"commit {commit.stdout.strip()}" + (f"; uncommitted changes in {', '.join(changed)}" if changed else "")
    return [
        ("cores", f"{os.cpu_count()} (`nproc`: {os.sched_getaffinity(0).__len__()})"),
        ("CPU", model),
        ("memory", memory),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", sys.version.split()[0] + f" ({sys.executable})"),
        ("SQLite", sqlite3.sqlite_version),
        ("server stack", f"uvicorn {version('uvicorn')} (HTTP: "
                         f"{'httptools' if version('httptools') != 'not installed' else 'h11 ' + version('h11')}, "
                         f"loop: {'uvloop' if version('uvloop') != 'not installed' else 'asyncio'}), starlette "
                         f"{version('starlette')}, SQLAlchemy {version('SQLAlchemy')}, botocore {version('botocore')}"),
        ("cosell measured", f"`{source}`" + (f" ({git})" if git else "")),
        ("load generator", f"{wrk_version}, -t{args.threads} -c{args.connections}, same machine"),
    ]


def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and durations: does the harness work?")
    parser.add_argument("--duration", type=int, help="seconds per wrk measurement (default 8; smoke 1)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up before a measurement (default 1; smoke 0)")
    parser.add_argument("--only", help=f"comma-separated steps among {','.join(OPERATIONS)} (default: all)")
    parser.add_argument("--sizes", help="small,main,large opportunity counts (default 10000,100000,1000000; "
                                        "smoke 300,2000,5000)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--output", type=Path, help="the Markdown report (default bench/RESULTS.md; smoke "
                                                    "bench/RESULTS-smoke.md)")
    parser.add_argument("--src", type=Path, help="benchmark the cosell package in this src/ directory instead of the "
                                                 "installed one (e.g. a `git archive` of a commit)")
    parser.add_argument("--label", help="what --src is, for the report (e.g. 'commit abc1234')")
    parser.add_argument("--workdir", type=Path, help="where data directories go (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the data directories and server logs")
    args = parser.parse_args(argv)
    args.duration = args.duration or (1 if args.smoke else 8)
    args.warmup = args.warmup if args.warmup is not None else (0 if args.smoke else 1)
    sizes = args.sizes or ("300,2000,5000" if args.smoke else "10000,100000,1000000")
    args.sizes = [int(size) for size in sizes.split(",")]
    if len(args.sizes) != 3:
        parser.error("--sizes takes three counts: small,main,large")
    args.only = set((args.only or ",".join(OPERATIONS)).split(","))
    if args.only - set(OPERATIONS):
        parser.error(f"unknown steps: {', '.join(args.only - set(OPERATIONS))}")
    args.output = args.output or BENCH / ("RESULTS-smoke.md" if args.smoke else "RESULTS.md")
    args.ready_runs = 1 if args.smoke else 3
    args.signed_pool = 200 if args.smoke else 2000
    args.profile_requests = 100 if args.smoke else 2000
    args.spy_duration = 1 if args.smoke else 5
    return args


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.src:
        src = str(args.src.resolve())
        sys.path.insert(0, src)
        os.environ["PYTHONPATH"] = src + os.pathsep + os.environ.get("PYTHONPATH", "")
    global workload
    import workload  # after --src: it imports cosell

    if not shutil.which("wrk"):
        sys.exit("bench/run.py needs wrk (Debian: apt-get install wrk)")
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="cosell-bench-", dir=args.workdir))
    run = Run(args, workdir)
    log(f"working in {workdir}")
    try:
        run.startup_and_baseline()
        run.main_dataset()
        run.full_body()
        run.events()
        small_list = run.small_dataset()
        run.large_dataset(small_list)
        run.profile()
    finally:
        report = run.markdown(argv, started)
        args.output.write_text(report)
        log(f"wrote {args.output}")
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
