"""CPU per request of the phases between the HTTP server and the store, without either.

    python bench/phases.py                  # µs per call of each phase, best of --repeat runs
    python bench/phases.py --repeat 9 --number 2000

Each phase is the exact function the request path calls, on the benchmark's request bodies
(workload.create_request / update_request) and on stored documents as CreateOpportunity writes
them: shape validation, business rules, the operation's own work (fingerprint, new/updated
document, lifecycle checks), and the response (render + JSON bytes). Timed with timeit, best of
several runs, so that other processes on a shared machine disturb it as little as possible.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import timeit
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH] + [str(BENCH)]

import workload  # noqa: E402
from cosell.domain import lifecycle  # noqa: E402
from cosell.domain import opportunity_rules as rules
from cosell.domain.associations import solution_like  # noqa: E402
from cosell.domain.opportunity import last_modified as stored_last_modified  # noqa: E402
from cosell.domain.opportunity import new_opportunity, next_modified, updated_opportunity  # noqa: E402
from cosell.operations.families import REGISTRY  # noqa: E402
from cosell.operations.idempotency import request_fingerprint  # noqa: E402
from cosell.protocol import awsjson  # noqa: E402
from cosell.protocol.model import (
    PARTNER_CENTRAL_SELLING,  # noqa: E402
    service_model,  # noqa: E402
)
from cosell.protocol.validation import compile_validators  # noqa: E402
from cosell.timestamps import format_timestamp, parse_stored  # noqa: E402

NOW = dt.datetime(2025, 7, 1, 12, 0, tzinfo=dt.UTC)
ACCOUNT = workload.DEFAULT_ACCOUNT


def stored(number: int, stage: str = "Prospect") -> dict:
    """A document as the store returns it (JSON round trip), as CreateOpportunity wrote it."""
    document = new_opportunity(workload.create_request(f"Company {number}", stage), opportunity_id=f"O{number}",
                               arn=f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/opportunity/O{number}",
                               account_id=ACCOUNT, now=format_timestamp(workload.UPDATE_BLOCK_MODIFIED))
    return json.loads(json.dumps(document))


def phases() -> dict[str, callable]:
    model = service_model()
    names = sorted(REGISTRY.operations(PARTNER_CENTRAL_SELLING))
    validators = compile_validators([model.operation_model(name) for name in names])
    output = {name: model.operation_model(name).output_shape for name in names}

    create_document = json.loads(json.dumps(workload.create_request()))
    create_request = validators["CreateOpportunity"](create_document)
    update_document = json.loads(json.dumps(workload.update_request("O1")))
    update_request = validators["UpdateOpportunity"](update_document)
    list_document = {"Catalog": "Sandbox", "LifeCycleStage": ["Qualified"],
                     "Sort": {"SortBy": "LastModifiedDate", "SortOrder": "DESCENDING"}, "MaxResults": 20}
    get_document = {"Catalog": "Sandbox", "Identifier": "O1"}
    one = stored(1)
    page = {"OpportunitySummaries": [stored(n, workload.STAGES[n % 6]) for n in range(20)], "NextToken": "x" * 120}
    create_ctx = rules.RuleContext("Sandbox", NOW.date())
    update_ctx = rules.RuleContext("Sandbox", NOW.date(), previous=one)
    now_text = format_timestamp(NOW)

    def update_domain():
        """update_opportunity between reading the stored document and saving the new one."""
        parse_stored.cache_clear()  # each update reads another opportunity
        if stored_last_modified(one) != update_request["LastModifiedDate"]:  # the optimistic lock's check
            raise AssertionError("the benchmark's update must not conflict")
        when = next_modified(one, NOW)
        updated = updated_opportunity(one, update_request, format_timestamp(when))
        violations = lifecycle.editability_violations(one, updated)
        solutions = solution_like(one["RelatedEntityIdentifiers"])
        violations += rules.update_violations(updated, update_ctx)
        stored_last_modified(one)  # save(): the optimistic lock's expected value
        return violations, solutions

    def respond(operation, result):
        return lambda: awsjson.serialize_output(output[operation], result)

    return {
        "Create: validation": lambda: validators["CreateOpportunity"](create_document),
        "Create: rules": lambda: rules.create_violations(create_request, create_ctx),
        "Create: fingerprint": lambda: request_fingerprint(create_request),
        "Create: new_opportunity": lambda: new_opportunity(create_request, opportunity_id="O9", arn="arn",
                                                           account_id=ACCOUNT, now=now_text),
        "Create: respond": respond("CreateOpportunity", {"Id": "O9", "LastModifiedDate": now_text,
                                                         "PartnerOpportunityIdentifier": "CRM-0001"}),
        "Get: validation": lambda: validators["GetOpportunity"](get_document),
        "Get: respond": respond("GetOpportunity", one),
        "Update: validation": lambda: validators["UpdateOpportunity"](update_document),
        "Update: domain (rules, lifecycle)": update_domain,
        "Update: respond": respond("UpdateOpportunity", {"Id": "O1", "LastModifiedDate": now_text}),
        "List: validation": lambda: validators["ListOpportunities"](list_document),
        "List: respond (page of 20)": respond("ListOpportunities", page),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=1000, help="calls per run")
    parser.add_argument("--repeat", type=int, default=7, help="runs; the best is reported")
    parser.add_argument("--only", help="phases whose name contains this text")
    args = parser.parse_args()
    print(f"| phase | µs per call (best of {args.repeat} × {args.number}) |\n|---|---:|")
    for name, call in phases().items():
        if args.only and args.only not in name:
            continue
        call()  # warm caches built on first use
        best = min(timeit.repeat(call, number=args.number, repeat=args.repeat)) / args.number
        print(f"| {name} | {best * 1e6:,.1f} |")


if __name__ == "__main__":
    main()
