"""Where one request's time goes: parse, auth, validation, rules, store, serialize.

    python bench/profile.py                      # in-process: Gateway.handle under pyinstrument
    python bench/profile.py --server             # the live server under wrk, sampled with py-spy
    python bench/profile.py --requests 3000 --size 10000 --markdown out.md

In-process, a few thousand RawRequests per operation (Create, Get, List, Update, and Get signed in
strict mode) go through `cosell.gateway.Gateway.handle` on a seeded SQLite store, exactly the call the
server makes, once timed without a profiler (µs per request) and once under pyinstrument. Every sample
is charged to the deepest cosell frame on its stack (time in SQLAlchemy under cosell.store is store
time, json.dumps under cosell.protocol.awsjson is serialize time) and summed by phase and by module.

--server starts `cosell serve`, loads it with wrk (bench/lua) and samples it with py-spy --gil: the
share of the interpreter lock each part of the stack holds (uvicorn/h11, starlette, anyio's thread
handoff, asyncio, cosell by phase). Both need `pip install pyinstrument py-spy` (not in pyproject).
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# This file is called profile.py: keep the stdlib's `profile` importable (cProfile imports it) by
# putting bench/ last on the path instead of first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH] + [str(BENCH)]

import workload  # noqa: E402

PARSE_FUNCTIONS = {"parse_body", "_has_lone_surrogate", "_reject_constant", "_finite_float", "_nesting_depth_exceeds"}
PHASES = ["parse", "auth", "validation", "rules (domain)", "operation", "store", "serialize", "gateway", "other cosell"]
SERVER_LAYERS = ["uvicorn", "h11", "starlette", "anyio", "asyncio"]


def phase_of(module: str, function: str) -> str:
    """The phase of a request that the deepest cosell frame of a sample belongs to."""
    if module == "cosell.protocol.awsjson":
        return "parse" if function in PARSE_FUNCTIONS else "serialize"
    if module == "cosell.auth":
        return "auth"
    if module.startswith("cosell.protocol.validation"):
        return "validation"
    for prefix, phase in (("cosell.domain", "rules (domain)"), ("cosell.store", "store"),
                          ("cosell.operations", "operation"), ("cosell.gateway", "gateway")):
        if module.startswith(prefix):
            return phase
    return "other cosell"


def module_of(path: str | None) -> str:
    """Dotted module of a source path: .../src/cosell/store/store.py -> cosell.store.store; a library
    file -> its top-level package (sqlalchemy, json, botocore ...)."""
    if not path:
        return "?"
    parts = Path(path).with_suffix("").parts
    if "cosell" in parts:
        tail = parts[len(parts) - 1 - parts[::-1].index("cosell"):]
        return ".".join(tail)
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            return parts[parts.index(marker) + 1]
    for i, part in enumerate(parts):
        if part.startswith("python3"):
            return parts[i + 1] if i + 1 < len(parts) else part
    return parts[-1]


# --- In-process ----------------------------------------------------------------------------------

def build_requests(count: int, first: int, seeded: int, block: int, strict_key, strict_first: int,
                   strict_count: int) -> dict[str, list]:
    from cosell.gateway import RawRequest

    def raw(target: str, body: dict, headers: dict | None = None) -> RawRequest:
        data = json.dumps(body).encode()
        return RawRequest("POST", "/", headers or {"x-amz-target": f"AWSPartnerCentralSelling.{target}",
                                                   "content-type": "application/x-amz-json-1.0",
                                                   "host": "127.0.0.1:4588"}, data, raw_path="/")

    rng = random.Random(7)
    list_body = {"Catalog": "Sandbox", "LifeCycleStage": ["Qualified"],
                 "Sort": {"SortBy": "LastModifiedDate", "SortOrder": "DESCENDING"}, "MaxResults": 20}
    signed = []
    for _ in range(count):
        data = json.dumps({"Catalog": "Sandbox",
                           "Identifier": f"O{strict_first + rng.randrange(strict_count)}"}).encode()
        headers = workload.signed_headers(strict_key.access_key_id, strict_key.secret_access_key,
                                          "127.0.0.1:4588", "GetOpportunity", data)
        signed.append(RawRequest("POST", "/", headers, data, raw_path="/"))
    return {
        "CreateOpportunity": [raw("CreateOpportunity", workload.create_request()) for _ in range(count)],
        "GetOpportunity": [raw("GetOpportunity", {"Catalog": "Sandbox", "Identifier": f"O{first + rng.randrange(seeded)}"})
                           for _ in range(count)],
        "ListOpportunities": [raw("ListOpportunities", list_body)] * count,
        "UpdateOpportunity": [raw("UpdateOpportunity", workload.update_request(f"O{block + i}")) for i in range(count)],
        "GetOpportunity (strict, signed)": signed,
    }


def charge(frame, owner: tuple[str, str] | None, counting: bool, totals: dict, running: str = "?") -> None:
    """Adds each pyinstrument frame's self time to its deepest cosell frame, under Gateway.handle.
    Anything under cosell.auth (its access-key lookup included) is auth."""
    module = module_of(frame.file_path) if frame.file_path else running  # synthetic [self] frames
    if frame.file_path == "<built-in>":  # a C function: name it (sqlite3 execute/commit, json encoder ...)
        module = f"C: {frame.function}"
    if module == "cosell.gateway" and frame.function == "handle":
        counting = True
    if module.startswith("cosell.") and frame.function != "format_timestamp" and (owner or ("",))[0] != "cosell.auth":
        owner = (module, frame.function)
    self_time = frame.time - sum(child.time for child in frame.children)
    if counting and self_time > 0 and owner:
        totals["phase"][phase_of(*owner)] += self_time
        totals["module"][owner[0]] += self_time
        totals["library"][module] += self_time
        totals["total"] += self_time
    for child in frame.children:
        charge(child, owner, counting, totals, module)


def profile_in_process(requests: int, size: int) -> dict:
    from pyinstrument import Profiler

    from cosell.control.accounts import create_account
    from cosell.gateway import Gateway
    from cosell.settings import Settings
    from cosell.store import Store
    from cosell.timestamps import utc_now

    workdir = Path(tempfile.mkdtemp(prefix="cosell-profile-"))
    url = f"sqlite:///{workdir / 'cosell.db'}"
    block = 2 * requests + 100
    first, block_start = workload.seed(url, size + block, update_block=block)
    store = Store(url)
    key = create_account(store, "bench", ("Sandbox", "AWS"), False, utc_now())
    strict_first = first + size + block
    workload.seed(url, 1000, account_id=key.account_id, first_number=strict_first)
    open_gateway = Gateway(Settings(data_dir=workdir), store)
    strict_gateway = Gateway(Settings(data_dir=workdir, auth="strict"), store)
    # Updates: each opportunity of the block once, the first `requests` timed, the next ones profiled.
    timed = build_requests(requests, first, size, block_start, key, strict_first, 1000)
    profiled = build_requests(requests, first, size, block_start + requests, key, strict_first, 1000)
    warm = build_requests(100, first, size, block_start, key, strict_first, 1000)  # not for Update
    results = {}
    for operation in timed:
        gateway = strict_gateway if "strict" in operation else open_gateway
        for raw in warm[operation] if operation != "UpdateOpportunity" else []:
            gateway.handle(raw)
        started, cpu_started = time.perf_counter(), time.thread_time()
        statuses = collections.Counter(gateway.handle(raw).status for raw in timed[operation])
        micros = (time.perf_counter() - started) / requests * 1e6
        cpu_micros = (time.thread_time() - cpu_started) / requests * 1e6
        profiler = Profiler(interval=0.0001)
        profiler.start()
        for raw in profiled[operation]:
            gateway.handle(raw)
        profiler.stop()
        totals = {"phase": collections.Counter(), "module": collections.Counter(),
                  "library": collections.Counter(), "total": 0.0}
        charge(profiler.last_session.root_frame(trim_stem=False), None, False, totals)
        results[operation] = {"us_per_request": micros, "cpu_us_per_request": cpu_micros, "statuses": dict(statuses),
                              **totals}
    store.close()
    shutil.rmtree(workdir, ignore_errors=True)
    return results


def markdown_in_process(results: dict, requests: int, size: int) -> str:
    ops = list(results)
    short = {op: op.replace("Opportunity", "").replace("Opportunities", "") for op in ops}
    lines = [f"In-process, `cosell.gateway.Gateway.handle` on {size:,} seeded opportunities, {requests:,} requests "
             "per operation, SQLite file on disk (WAL, synchronous=FULL), pyinstrument at 0.1 ms. Each cell: µs "
             "per request (share). Time is charged to the deepest cosell frame on the stack (SQLAlchemy and sqlite3 "
             "under `cosell.store` count as store; `json` under `cosell.protocol.awsjson` as parse/serialize), "
             "except that everything under `cosell.auth` (its access-key lookup too) is auth. `C: lock.acquire` is "
             "time spent waiting for another thread (the store's group-commit fsync).", ""]
    lines.append("| phase | " + " | ".join(short[op] for op in ops) + " |")
    lines.append("|---|" + "---:|" * len(ops))
    lines.append("| **whole request (µs, no profiler)** | " + " | ".join(
        f"**{results[op]['us_per_request']:,.0f}**" for op in ops) + " |")
    lines.append("| CPU of the calling thread (µs, no profiler; without the commit thread) | " + " | ".join(
        f"{results[op]['cpu_us_per_request']:,.0f}" for op in ops) + " |")
    for phase in PHASES:
        cells = []
        for op in ops:
            share = results[op]["phase"].get(phase, 0) / (results[op]["total"] or 1)
            cells.append(f"{share * results[op]['us_per_request']:,.0f} ({share:.0%})" if share >= 0.005 else "–")
        lines.append(f"| {phase} | " + " | ".join(cells) + " |")
    lines.append("| HTTP status of the timed requests | " + " | ".join(
        ", ".join(f"{k}×{v}" for k, v in sorted(results[op]["statuses"].items())) for op in ops) + " |")
    for kind, title in (("module", "deepest cosell module"), ("library", "code that was running (leaf frame's package)")):
        names = collections.Counter()
        for op in ops:
            for name, value in results[op][kind].items():
                names[name] += value / (results[op]["total"] or 1)
        lines += ["", f"By {title}, share of each operation's time (top 12):", "",
                  f"| {kind} | " + " | ".join(short[op] for op in ops) + " |", "|---|" + "---:|" * len(ops)]
        for name, _ in names.most_common(12):
            lines.append(f"| `{name}` | " + " | ".join(
                f"{results[op][kind].get(name, 0) / (results[op]['total'] or 1):.0%}" for op in ops) + " |")
    return "\n".join(lines) + "\n"


# --- The server under load, with py-spy ----------------------------------------------------------

def server_owner(stack: list[str]) -> str:
    """The layer a py-spy stack belongs to: walking up from the running frame, the first frame that is
    cosell (its phase) or the HTTP stack (uvicorn, h11, starlette, anyio, asyncio). So SQLAlchemy under
    cosell.store is store, and a thread handoff under anyio is anyio."""
    for frame in reversed(stack):
        path = frame[frame.rfind("(") + 1:frame.rfind(":")] if "(" in frame else ""
        function = frame.split(" (", 1)[0].rsplit(".", 1)[-1]
        module = path.removesuffix(".py").replace("/", ".")
        if module == "cosell.server":
            return "cosell.server (reads the body, builds RawRequest, writes the answer to the socket)"
        if module.startswith("cosell.") and module != "cosell.cli" and function != "format_timestamp":
            return f"cosell: {phase_of(module, function)}"
        if module.split(".", 1)[0] in SERVER_LAYERS:
            return module.split(".", 1)[0]
    return "other"


def profile_server(duration: float, size: int, rate: int = 200) -> tuple[dict, list[str]]:
    workdir = Path(tempfile.mkdtemp(prefix="cosell-spy-"))
    block = 100_000 if size >= 100_000 else max(size, 20_000)
    first, block_start = workload.seed(f"sqlite:///{workdir / 'data' / 'cosell.db'}", size + block, update_block=block)
    (workdir / "create.json").write_text(json.dumps(workload.create_request(token="__TOKEN__")))
    (workdir / "update.json").write_text(json.dumps(workload.update_request("__ID__")))
    scripts = {"CreateOpportunity": ("create.lua", [workdir / "create.json", f"spy{int(time.time())}"]),
               "GetOpportunity": ("get.lua", [first, size]),
               "ListOpportunities": ("list.lua", []),
               "UpdateOpportunity": ("update.lua", [workdir / "update.json", block_start, block, 2])}
    server = workload.Server.cosell(workdir / "data", workdir).start()
    results, commands = {}, [" ".join(server.argv)]
    spy_bin = str(Path(sys.executable).parent / "py-spy")
    try:
        for operation, (script, args) in scripts.items():
            out = workdir / f"spy-{operation}.txt"
            spy = [spy_bin, "record", "--pid", str(server.process.pid), "--duration", f"{duration:g}", "--rate",
                   str(rate), "--gil", "--nonblocking", "--format", "raw", "--output", str(out)]
            sampler = subprocess.Popen(spy, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            cpu, kernel = server.cpu_seconds(), server.cpu_seconds(kernel_only=True)
            load, wrk_command = workload.wrk(server.url, script, args, duration + 1)
            cpu, kernel = server.cpu_seconds() - cpu, server.cpu_seconds(kernel_only=True) - kernel
            sampler.communicate(timeout=60)
            commands += [" ".join(spy), " ".join(wrk_command)]
            layers, samples = collections.Counter(), 0
            for line in out.read_text().splitlines():
                stack, _, count = line.rpartition(" ")
                layers[server_owner(stack.split(";"))] += int(count)
                samples += int(count)
            results[operation] = {"layers": layers, "samples": samples, "cores": cpu / (load["duration_us"] / 1e6),
                                  "kernel": kernel / cpu if cpu else 0,
                                  "cpu_us": cpu / max(1, load["requests"]) * 1e6,
                                  "requests_per_s": load["requests_per_s"], "non_2xx": load["non_2xx"]}
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return results, commands


def markdown_server(results: dict, size: int, duration: float) -> str:
    ops = list(results)
    short = {op: op.replace("Opportunity", "").replace("Opportunities", "") for op in ops}
    names = collections.Counter()
    for op in ops:
        for name, value in results[op]["layers"].items():
            names[name] += value / (results[op]["samples"] or 1)
    lines = [f"The live server (`cosell serve`, {size:,} opportunities) under wrk (-t2 -c16), sampled for "
             f"{duration:g} s with `py-spy record --gil` (only the thread holding the interpreter lock is "
             "sampled): the share of those samples per layer. Walking up from the running frame, a sample "
             "goes to the first cosell frame (by phase) or HTTP-stack frame (uvicorn, h11, starlette, anyio "
             "thread handoff, asyncio); `other` is mostly stacks py-spy read incompletely.", "",
             "| layer | " + " | ".join(short[op] for op in ops) + " |", "|---|" + "---:|" * len(ops),
             "| req/s during sampling | " + " | ".join(f"{results[op]['requests_per_s']:,.0f}" for op in ops) + " |",
             "| server CPU, cores busy | " + " | ".join(f"{results[op]['cores']:.2f}" for op in ops) + " |",
             "| server CPU µs per request | " + " | ".join(f"{results[op]['cpu_us']:,.0f}" for op in ops) + " |",
             "| of which in the kernel (system time) | " + " | ".join(f"{results[op]['kernel']:.0%}" for op in ops) + " |",
             "| py-spy samples | " + " | ".join(f"{results[op]['samples']:,}" for op in ops) + " |"]
    for name, _ in names.most_common():
        lines.append(f"| {name} | " + " | ".join(
            f"{results[op]['layers'].get(name, 0) / (results[op]['samples'] or 1):.0%}" for op in ops) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per operation (in-process)")
    parser.add_argument("--size", type=int, default=10_000, help="opportunities seeded")
    parser.add_argument("--server", action="store_true", help="profile the live server with py-spy instead")
    parser.add_argument("--duration", type=float, default=5, help="seconds of sampling per operation (--server)")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown tables to this file")
    args = parser.parse_args()
    if args.server:
        results, commands = profile_server(args.duration, args.size)
        text = markdown_server(results, args.size, args.duration)
        text += "\n```sh\n" + "\n".join(commands) + "\n```\n"
    else:
        text = markdown_in_process(profile_in_process(args.requests, args.size), args.requests, args.size)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
