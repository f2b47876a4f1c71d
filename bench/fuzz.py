"""A long fuzz run of cosell's request path: the properties of tests/test_fuzz.py, many more examples.

    python bench/fuzz.py                       # 2,000 examples per property, random seed
    python bench/fuzz.py --examples 20000      # longer
    python bench/fuzz.py --seed 1234           # reproduce a run
    python bench/fuzz.py --only mangled        # one property: model-valid, model-wild, mutated, mangled, routes

Not part of the test suite. Needs the test extra (`pip install -e '.[test]'`: hypothesis, boto3).
Every request goes through the in-process gateway (the code the server runs, without sockets) on a
fresh SQLite file in a temporary directory, and every answer must keep the invariants that
tests/test_fuzz.py documents: 200 or 4xx, never 5xx; AWS-shaped error bodies botocore can read; 200
bodies botocore parses with the operation's output shape. The model properties spread their
examples over the implemented operations.

It prints, per property, how many examples ran and what they were answered (so you can see the
fuzzer got past validation), and for a failure hypothesis's minimal failing example with its
traceback. The exit status is 1 when any property failed. With --database DIR failing examples are
saved there and replayed first on the next run.
"""

from __future__ import annotations

import argparse
import collections
import logging
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import test_fuzz  # noqa: E402  (tests/ is not a package)


def properties(examples: int):
    """(name, number of examples, property(world, data) -> label) for every property."""
    per_operation = max(1, examples // len(test_fuzz.OPERATION_NAMES))
    found = []
    for wild in (False, True):
        for operation in test_fuzz.OPERATION_NAMES:
            name = f"model-{'wild' if wild else 'valid'}:{operation}"
            found.append((name, per_operation,
                          lambda world, data, operation=operation, wild=wild:
                          test_fuzz.model_request(world, data, operation, wild)))
    found += [("mutated", examples, test_fuzz.mutated_request),
              ("mangled", examples, test_fuzz.mangled_request),
              ("routes", examples, test_fuzz.odd_route)]
    return found


def run(name, examples, check, world, run_seed, database) -> bool:
    answers = collections.Counter()

    @seed(run_seed)
    @settings(max_examples=examples, deadline=None, database=database, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(data):
        answers[check(world, data)] += 1

    started = time.perf_counter()
    try:
        fuzz()
        ok = True
    except Exception:  # noqa: BLE001 - a failing property is what this script is for
        traceback.print_exc()
        ok = False
    seen = ", ".join(f"{label}: {count}" for label, count in answers.most_common(6))
    print(f"{'ok  ' if ok else 'FAIL'} {name:55} {sum(answers.values()):6} in {time.perf_counter() - started:6.1f}s  {seen}",
          flush=True)
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000,
                        help="examples per property (the model properties share theirs among the operations)")
    parser.add_argument("--seed", type=int, help="hypothesis seed (default: random, printed)")
    parser.add_argument("--only", help="run the properties whose name starts with this")
    parser.add_argument("--database", type=Path, help="keep failing examples in this directory and replay them")
    args = parser.parse_args(argv)

    run_seed = args.seed if args.seed is not None else random.randrange(2 ** 32)
    database = DirectoryBasedExampleDatabase(str(args.database)) if args.database else None
    logging.basicConfig(level=logging.ERROR)  # a 500 also logs its traceback from the gateway
    print(f"seed {run_seed}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cosell-fuzz-") as data_dir:
        world = test_fuzz.World(Path(data_dir))
        try:
            results = [run(name, examples, check, world, run_seed, database)
                       for name, examples, check in properties(args.examples)
                       if not args.only or name.startswith(args.only)]
        finally:
            world.close()
    failed = results.count(False)
    print(f"{len(results) - failed} properties held, {failed} failed (seed {run_seed})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
