"""The `cosell` command: builds Settings from flags and environment and starts things; no logic.

    cosell serve [--host H] [--port P] [--data DIR] [--review manual|auto] ...
    cosell review approve|reject|action-required|start-review <OpportunityId> [--catalog Sandbox] ...
    cosell solutions add --name N --category C [--status Active] [--catalog Sandbox]
    cosell db upgrade|current [--data DIR] [--database-url URL]
    cosell accounts create NAME [--website URL] | connect ACCOUNT_A ACCOUNT_B | list | revoke KEY
    cosell reset [--account-id ID] [--accounts]
    cosell seed --scenario pipeline|aws-referral|lead|multi-partner [--count N] [--seed S] [--account-id ID]
    cosell trigger "Engagement Invitation Created" [--account-id ID]
    cosell snapshot save|load FILE [--endpoint-url URL | --data DIR | --database-url URL]
    cosell clock show | advance 15d | set 2027-01-01T00:00:00Z [--frozen] | freeze | reset
    cosell aws refer|lead [--account-id ID] [--catalog AWS|Sandbox] [--from-file FILE]
    cosell aws summary OPPORTUNITY_ID [--account-id ID] [--catalog AWS|Sandbox] (--from-file FILE | --json TEXT)
    cosell aws group add --name N [--readiness-level L] [--filter JSON] [--keyword K] | update ID ... | list | remove ID
    cosell aws prospecting fail ENGAGEMENT_ID [--reason-code C] [--message M] | succeed ENGAGEMENT_ID | marks
    cosell events tail [--follow] [-n 20] [--detail-type T] | lambda ARN module:function | lambdas | deliveries ID
    cosell webhooks add URL [--event-pattern JSON] [--account-id ID] | list | remove ID | redeliver EVENT_ID
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from cosell.control.review import REVIEW_ACTIONS
from cosell.protocol.facts import CATALOGS, SANDBOX_CATALOG
from cosell.settings import Settings

# Where commands find a running server: --endpoint-url, else COSELL_ENDPOINT_URL, else `cosell serve`'s default.
DEFAULT_ENDPOINT = os.environ.get("COSELL_ENDPOINT_URL") or "http://127.0.0.1:4588"


def _account_id(value: str) -> str:
    if not re.fullmatch(r"[0-9]{12}", value):
        raise argparse.ArgumentTypeError("an AWS account id is 12 digits")
    return value


def _on_the_database(*commands: argparse.ArgumentParser) -> None:
    """Commands that work on the database directly name it as `cosell serve` does."""
    for command in commands:
        command.add_argument("--data", dest="data_dir", help="data directory of the server (default ./.cosell, env COSELL_DATA)")
        command.add_argument("--database-url", help="SQLAlchemy URL instead of the embedded SQLite (env COSELL_DATABASE_URL)")


def _on_a_server(*commands: argparse.ArgumentParser) -> None:
    """Commands that call a running server's /_cosell endpoints."""
    for command in commands:
        command.add_argument("--endpoint-url", default=DEFAULT_ENDPOINT)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cosell", description="AWS Partner Central Selling API, self-hosted.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1, env COSELL_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default 4588, env COSELL_PORT)")
    serve.add_argument("--data", dest="data_dir",
                       help="directory of the embedded SQLite database (default ./.cosell, env COSELL_DATA)")
    serve.add_argument("--database-url", help="SQLAlchemy URL instead of the embedded SQLite (env COSELL_DATABASE_URL)")
    serve.add_argument("--account-id", type=_account_id,
                       help="the partner account every request belongs to (default 123456789012)")
    serve.add_argument("--review", choices=["manual", "auto"],
                       help="simulated AWS review: manual (cosell review / Sandbox UpdateOpportunity) or auto "
                            "(env COSELL_REVIEW)")
    serve.add_argument("--review-delay", dest="review_delay_seconds", type=float,
                       help="seconds before the auto reviewer takes each step (default 5, env COSELL_REVIEW_DELAY)")
    serve.add_argument("--review-rules",
                       help="JSON file of rules that make the auto reviewer ask for action or reject (env COSELL_REVIEW_RULES)")
    serve.add_argument("--referral-delay", dest="referral_delay_seconds", type=float,
                       help="seconds before a Sandbox CreateOpportunity with Origin \"AWS Referral\" becomes AWS's "
                            "invitation (default 5, as observed; 0 allowed; env COSELL_REFERRAL_DELAY)")
    serve.add_argument("--prospecting-delay", dest="prospecting_delay_seconds", type=float,
                       help="seconds AWS takes to prospect a StartProspectingFromEngagementTask's engagements "
                            "(IN_PROGRESS at half of it; default 30; env COSELL_PROSPECTING_DELAY)")
    serve.add_argument("--invited-review", choices=["approved", "inherit"],
                       help="review status of an invited partner's new opportunity: approved at once (observed, "
                            "default) or inherit: Submitted until the inviting partner's is Approved (documented; "
                            "env COSELL_INVITED_REVIEW)")
    serve.add_argument("--auth", choices=["open", "strict"],
                       help="open: no signature check, one default account (default); strict: SigV4 verified (env COSELL_AUTH)")
    serve.add_argument("--allow-open-auth", action="store_true", default=None,
                       help="allow --auth open on a non-loopback address")
    serve.add_argument("--admin-token",
                       help="token the /_cosell/* admin endpoints require in strict mode (env COSELL_ADMIN_TOKEN)")
    serve.add_argument("--quotas", help="off (default), aws (AWS's published limits) or a JSON quota file (env COSELL_QUOTAS)")
    serve.add_argument("--event-delivery", choices=["thread", "process", "off"],
                       help="where events are delivered from: a thread of the server (default), a process beside it, "
                            "or nowhere (only logged) (env COSELL_EVENT_DELIVERY)")
    serve.add_argument("--sqs-endpoint-url", help="SQS-compatible endpoint that EventBridge rules' SQS queue targets "
                                                  "are sent to, e.g. moto's server (env COSELL_SQS_ENDPOINT_URL)")
    serve.add_argument("--event-attempts", type=int, help="attempts per event delivery before it is recorded as "
                                                          "failed, 1-100 (default 8, env COSELL_EVENT_ATTEMPTS)")
    serve.add_argument("--event-duplicates", action="store_true", default=None,
                       help="deliver as AWS does at times: Opportunity Updated in pairs, a delivered event once more "
                            "with the same id (env COSELL_EVENT_DUPLICATES)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    review = commands.add_parser("review", help="decide an AWS review now, on a running server")
    review.add_argument("action", choices=list(REVIEW_ACTIONS))
    review.add_argument("identifier", help="opportunity id, e.g. O1000000")
    review.add_argument("--catalog", default=SANDBOX_CATALOG, choices=CATALOGS)
    review.add_argument("--comments", help="LifeCycle.ReviewComments")
    review.add_argument("--reason", help="LifeCycle.ReviewStatusReason")
    review.add_argument("--account-id", help="the opportunity's account (default: the server's default account)")
    _on_a_server(review)

    solutions = commands.add_parser("solutions", help="the partner's solution catalog on a running server")
    solution_commands = solutions.add_subparsers(dest="solutions_command", required=True)
    add = solution_commands.add_parser("add", help="add a solution (ListSolutions, AssociateOpportunity)")
    add.add_argument("--name", required=True)
    add.add_argument("--category", required=True)
    add.add_argument("--status", default="Active", choices=["Active", "Inactive", "Draft"])
    add.add_argument("--catalog", default=SANDBOX_CATALOG, choices=CATALOGS)
    add.add_argument("--account-id", help="the account whose catalog gets it (default: the server's default account)")
    _on_a_server(add)
    accounts = commands.add_parser("accounts", help="partner accounts and access keys (works on the database directly)")
    account_commands = accounts.add_subparsers(dest="accounts_command", required=True)
    create = account_commands.add_parser("create", help="create an account and print its access key once")
    create.add_argument("name")
    create.add_argument("--catalogs", default="Sandbox,AWS", help="catalogs the key may use (default Sandbox,AWS)")
    create.add_argument("--read-only", action="store_true", help="the key may only call Get*/List* operations")
    create.add_argument("--website", help="the company's website, as engagement members and invitations show it")
    connect = account_commands.add_parser("connect", help="connect two partner accounts, so that they may invite "
                                                          "each other into engagements")
    connect.add_argument("account_id", type=_account_id)
    connect.add_argument("partner_id", type=_account_id)
    account_commands.add_parser("list", help="accounts and their keys (never the secrets)")
    revoke = account_commands.add_parser("revoke", help="revoke an access key")
    revoke.add_argument("access_key_id")
    _on_the_database(*account_commands.choices.values())

    database = commands.add_parser("db", help="the database's schema (works on the database directly)")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    database_commands.add_parser("upgrade", help="apply the migrations the database lacks; print the revision reached")
    database_commands.add_parser("current", help="print the database's revision (none: no migration applied yet)")
    _on_the_database(*database_commands.choices.values())

    snapshot = commands.add_parser("snapshot", help="save the whole state to a file, or load one: through a running "
                                                    "server, or on the database with --data / --database-url")
    snapshot_commands = snapshot.add_subparsers(dest="snapshot_command", required=True)
    save = snapshot_commands.add_parser("save", help="write every table to FILE (JSON; gzip when it ends in .gz)")
    load = snapshot_commands.add_parser("load", help="replace everything, accounts included, with FILE")
    for command in (save, load):
        command.add_argument("file")
    _on_a_server(save, load)
    _on_the_database(save, load)

    seed = commands.add_parser("seed", help="realistic data on a running server, made through the real operations")
    seed.add_argument("--scenario", required=True, choices=["pipeline", "aws-referral", "lead", "multi-partner"])
    seed.add_argument("--count", type=int, default=10, help="how many of the scenario's items (default 10)")
    seed.add_argument("--seed", type=int, default=0, help="the same seed makes the same content (default 0)")
    trigger = commands.add_parser("trigger", help="make the records that cause an event, e.g. "
                                                  "\"Engagement Invitation Created\"")
    trigger.add_argument("detail_type")
    for command in (seed, trigger):
        command.add_argument("--account-id", type=_account_id, help="the partner (default: the server's default account)")
        command.add_argument("--catalog", default=SANDBOX_CATALOG, choices=CATALOGS)
    _on_a_server(seed, trigger)

    reset = commands.add_parser("reset", help="a fresh start on a running server: every opportunity, engagement, "
                                              "event... gone; accounts and their keys kept")
    reset.add_argument("--account-id", type=_account_id, help="only this account's data")
    reset.add_argument("--accounts", action="store_true", help="remove the accounts and their keys too")
    _on_a_server(reset)

    clock = commands.add_parser("clock", help="cosell's clock on a running server: what every write and timer follows")
    clock_commands = clock.add_subparsers(dest="clock_command", required=True)
    clock_commands.add_parser("show", help="cosell's time, the wall clock's, and how they relate")
    advance = clock_commands.add_parser("advance", help="move the clock ahead, e.g. 15d, 1d12h, 90m, 30s (or back: -2h)")
    advance.add_argument("duration")
    clock_set = clock_commands.add_parser("set", help="set the clock to a time, e.g. 2027-01-01T00:00:00Z")
    clock_set.add_argument("instant")
    clock_set.add_argument("--frozen", action="store_true", help="and stop it there")
    clock_commands.add_parser("freeze", help="stop the clock where it is (it moves only when advanced or set)")
    clock_commands.add_parser("reset", help="back to the wall clock")
    _on_a_server(*clock_commands.choices.values())

    aws = commands.add_parser("aws", help="play AWS on a running server: referrals, leads, AWS's summaries, "
                                             "engagement groups, prospecting")
    aws_commands = aws.add_subparsers(dest="aws_command", required=True)
    refer = aws_commands.add_parser("refer", help="AWS refers an opportunity to a partner: an OpportunityInvitation")
    refer.add_argument("--from-file", help="a CreateOpportunity body (JSON) for AWS's opportunity; default: a realistic one")
    lead = aws_commands.add_parser("lead", help="AWS shares a lead with a partner: an engagement with a Lead context "
                                                "and a LeadInvitation")
    lead.add_argument("--from-file", help="a Lead context (JSON: Customer, Interactions...); default: a realistic one")
    summary = aws_commands.add_parser("summary", help="AWS edits its summary of a submitted opportunity: "
                                                      "GetAwsOpportunitySummary, and a revision for the owner")
    summary.add_argument("opportunity_id")
    changes = summary.add_mutually_exclusive_group(required=True)
    changes.add_argument("--from-file", help="AWS's changes (JSON: LifeCycle, OpportunityTeam, Insights...)")
    changes.add_argument("--json", help="AWS's changes, as JSON text")
    for command in (refer, lead, summary):
        command.add_argument("--account-id", type=_account_id, help="the partner (default: the server's default account)")
        command.add_argument("--catalog", default=SANDBOX_CATALOG, choices=CATALOGS)
    _on_a_server(refer, lead, summary)

    group = aws_commands.add_parser("group", help="AWS's curated engagement groups (ListEngagementGroups, "
                                                  "SearchEngagements' GroupId)")
    group_commands = group.add_subparsers(dest="group_command", required=True)
    group_add = group_commands.add_parser("add", help="define a group: the search that selects its engagements")
    group_update = group_commands.add_parser("update", help="change a group (what is not given stays); "
                                                            "it is active again")
    group_update.add_argument("group_id")
    for command in (group_add, group_update):
        command.add_argument("--name", required=command is group_add)
        command.add_argument("--description")
        command.add_argument("--readiness-level", choices=["SalesReady", "MarketingReady", "LowPotential"])
        command.add_argument("--filter", help="a SearchEngagements Filter tree, as JSON text (or @FILE)")
        command.add_argument("--keyword", help="a SearchEngagements Keyword")
    group_list = group_commands.add_parser("list", help="every group, active or removed, with its definition")
    group_remove = group_commands.add_parser("remove", help="the group is no longer available to partners")
    group_remove.add_argument("group_id")
    for command in (group_add, group_update, group_list, group_remove):
        command.add_argument("--catalog", default=None if command is group_list else SANDBOX_CATALOG, choices=CATALOGS)
    _on_a_server(*group_commands.choices.values())

    prospect = aws_commands.add_parser("prospecting", help="which engagements AWS fails to prospect "
                                                           "(StartProspectingFromEngagementTask)")
    prospect_commands = prospect.add_subparsers(dest="prospecting_command", required=True)
    fail = prospect_commands.add_parser("fail", help="prospecting the engagement ends FAILED, from now on")
    fail.add_argument("engagement_id")
    fail.add_argument("--reason-code", help="the result's ReasonCode (default ProspectingFailed)")
    fail.add_argument("--message", help="the result's Message")
    succeed = prospect_commands.add_parser("succeed", help="take a fail mark back: the engagement prospects again")
    succeed.add_argument("engagement_id")
    for command in (fail, succeed):
        command.add_argument("--catalog", default=SANDBOX_CATALOG, choices=CATALOGS)
    prospect_commands.add_parser("marks", help="the engagements marked to fail")
    _on_a_server(*prospect_commands.choices.values())

    events = commands.add_parser("events", help="the events cosell published, and Lambda handlers for rule targets")
    event_commands = events.add_subparsers(dest="events_command", required=True)
    tail = event_commands.add_parser("tail", help="print the last events (each an EventBridge envelope, one JSON a line)")
    tail.add_argument("--follow", "-f", action="store_true", help="then print each new event as it is published")
    tail.add_argument("--lines", "-n", type=int, default=20, help="how many of the last events (default 20; 0: none)")
    tail.add_argument("--detail-type", action="append", help="only this detail-type (repeatable)")
    tail.add_argument("--account-id", type=_account_id, help="only events this account receives")
    tail.add_argument("--catalog", choices=CATALOGS)
    event_lambda = event_commands.add_parser("lambda", help="a Python handler plays a Lambda function for rule targets")
    event_lambda.add_argument("function_arn", help="arn:aws:lambda:REGION:ACCOUNT:function:NAME")
    event_lambda.add_argument("handler", help="module:function, or path/to/file.py:function (imported by the server)")
    event_commands.add_parser("lambdas", help="the Lambda functions mapped to handlers")
    event_deliveries = event_commands.add_parser("deliveries", help="where an event was delivered, every attempt")
    event_deliveries.add_argument("event_id")
    webhooks = commands.add_parser("webhooks", help="HTTP endpoints that get every event, signed (Standard Webhooks)")
    webhook_commands = webhooks.add_subparsers(dest="webhooks_command", required=True)
    webhook_add = webhook_commands.add_parser("add", help="add a webhook and print its signing secret")
    webhook_add.add_argument("url")
    webhook_add.add_argument("--event-pattern", help="an EventBridge event pattern (JSON): only the events it matches")
    webhook_add.add_argument("--account-id", type=_account_id, help="only the events this account receives")
    webhook_commands.add_parser("list", help="the webhooks, with their secrets")
    webhook_remove = webhook_commands.add_parser("remove", help="remove a webhook")
    webhook_remove.add_argument("webhook_id")
    webhook_redeliver = webhook_commands.add_parser("redeliver", help="deliver an event again, with the same id")
    webhook_redeliver.add_argument("event_id")
    webhook_redeliver.add_argument("--webhook-id", help="to this webhook only (default: every webhook it matches)")
    _on_a_server(*event_commands.choices.values(), *webhook_commands.choices.values())

    faults = commands.add_parser("faults", help="inject errors, latency or dropped responses on a running server")
    fault_commands = faults.add_subparsers(dest="faults_command", required=True)
    fault_set = fault_commands.add_parser("set", help="inject a fault into an operation (or * for all)")
    fault_set.add_argument("--operation", required=True, help="operation name, e.g. CreateOpportunity, or *")
    fault_set.add_argument("--error", choices=["ThrottlingException", "InternalServerException"])
    fault_set.add_argument("--rate", type=float, default=1.0, help="share of requests affected, 0..1 (default 1)")
    fault_set.add_argument("--latency-ms", type=int, help="delay before the operation runs")
    fault_set.add_argument("--drop-response", action="store_true",
                           help="the operation runs and commits, but the client gets a 500")
    fault_clear = fault_commands.add_parser("clear", help="remove faults (all, or one operation's)")
    fault_clear.add_argument("--operation", help="operation name or *; all faults when omitted")
    fault_commands.add_parser("list", help="show the faults in force")
    _on_a_server(*fault_commands.choices.values())
    return parser


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(args: argparse.Namespace) -> None:
    from cosell.domain.review import ReviewRulesError
    from cosell.protocol.model import ModelTooOld
    from cosell.quotas import QuotaFileError
    from cosell.server import create_app, run
    from cosell.store.migrations import SchemaNotRecognised

    try:
        settings = Settings.from_env(host=args.host, port=args.port, data_dir=args.data_dir,
                                     database_url=args.database_url, account_id=args.account_id, review=args.review,
                                     review_delay_seconds=args.review_delay_seconds, review_rules=args.review_rules,
                                     referral_delay_seconds=args.referral_delay_seconds,
                                     prospecting_delay_seconds=args.prospecting_delay_seconds,
                                     invited_review=args.invited_review,
                                     auth=args.auth, allow_open_auth=args.allow_open_auth, admin_token=args.admin_token,
                                     quotas=args.quotas, event_delivery=args.event_delivery,
                                     sqs_endpoint_url=args.sqs_endpoint_url, event_attempts=args.event_attempts,
                                     event_duplicates=args.event_duplicates)
    except ValueError as error:
        sys.exit(f"cosell serve: {error}")
    if settings.auth == "open" and not is_loopback(settings.host) and not settings.allow_open_auth:
        sys.exit(f"cosell serve: refusing to listen on {settings.host} with --auth open: anyone who can reach it "
                 "could use it. Use --auth strict (with `cosell accounts create`), or --allow-open-auth.")
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every plugin it sets up; cosell.store says which revision the database is at.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        app = create_app(settings)
    except (QuotaFileError, ReviewRulesError, ModelTooOld, SchemaNotRecognised) as error:
        sys.exit(f"cosell serve: {error}")
    run(app, settings.host, settings.port, args.log_level)


def accounts(args: argparse.Namespace) -> int:
    from cosell.control import accounts as account_admin
    from cosell.store import Store
    from cosell.timestamps import utc_now

    settings = Settings.from_env(data_dir=args.data_dir, database_url=args.database_url)
    store = Store(settings.resolved_database_url)
    try:
        if args.accounts_command == "create":
            catalogs = tuple(c.strip() for c in args.catalogs.split(",") if c.strip())
            try:
                key = account_admin.create_account(store, args.name, catalogs, args.read_only, utc_now(),
                                                   website_url=args.website)
            except ValueError as error:
                print(f"cosell accounts create: {error}", file=sys.stderr)
                return 2
            print(json.dumps({"AccountId": key.account_id, "Name": args.name, "WebsiteUrl": args.website,
                              "AccessKeyId": key.access_key_id,
                              "SecretAccessKey": key.secret_access_key, "Catalogs": list(key.catalogs),
                              "ReadOnly": key.read_only}, indent=2))
            print("The secret access key is shown only now; keep it.", file=sys.stderr)
        elif args.accounts_command == "connect":
            try:
                account_admin.connect(store, args.account_id, args.partner_id, utc_now())
            except ValueError as error:
                print(f"cosell accounts connect: {error}", file=sys.stderr)
                return 2
            print(f"connected {args.account_id} and {args.partner_id}")
        elif args.accounts_command == "list":
            print(json.dumps(account_admin.list_accounts(store), indent=2))
        elif args.accounts_command == "revoke":
            if not account_admin.revoke(store, args.access_key_id):
                print(f"cosell accounts revoke: no access key {args.access_key_id}", file=sys.stderr)
                return 1
            print(f"revoked {args.access_key_id}")
        return 0
    finally:
        store.close()


def database(args: argparse.Namespace) -> int:
    from cosell.store import migrations
    from cosell.store.store import database_engine

    settings = Settings.from_env(data_dir=args.data_dir, database_url=args.database_url)
    engine = database_engine(settings.resolved_database_url)
    try:
        if args.db_command == "upgrade":
            try:
                print(migrations.upgrade_to_head(engine))
            except migrations.SchemaNotRecognised as error:
                print(f"cosell db upgrade: {error}", file=sys.stderr)
                return 1
        elif args.db_command == "current":
            with engine.connect() as connection:
                revision = migrations.current_revision(connection)
            print(revision or "none")
            if revision != migrations.HEAD_REVISION:
                print(f"this cosell's migrations end at {migrations.HEAD_REVISION}; `cosell db upgrade` (or starting "
                      "`cosell serve`) applies those the database lacks", file=sys.stderr)
        return 0
    finally:
        engine.dispose()


def _aws_group(args: argparse.Namespace) -> int:
    if args.group_command == "list":
        query = f"?{urllib.parse.urlencode({'catalog': args.catalog})}" if args.catalog else ""
        return _get(args.endpoint_url, "/_cosell/aws/groups" + query)
    if args.group_command == "remove":
        return _post(args.endpoint_url, "/_cosell/aws/groups/remove", {"Catalog": args.catalog, "Id": args.group_id})
    node = None
    if args.filter is not None:
        text = args.filter
        try:
            if text.startswith("@"):
                with open(text[1:], encoding="utf-8") as file:
                    text = file.read()
            node = json.loads(text)
        except (OSError, ValueError) as error:
            print(f"cosell aws group {args.group_command}: --filter is not a JSON filter tree: {error}", file=sys.stderr)
            return 2
    body = {"Catalog": args.catalog, "Id": getattr(args, "group_id", None), "Name": args.name,
            "Description": args.description, "ReadinessLevel": args.readiness_level, "Keyword": args.keyword,
            "Filter": node}
    return _post(args.endpoint_url, "/_cosell/aws/groups", {key: value for key, value in body.items() if value is not None})


def _aws_prospecting(args: argparse.Namespace) -> int:
    if args.prospecting_command == "marks":
        return _get(args.endpoint_url, "/_cosell/aws/prospecting-failures")
    if args.prospecting_command == "succeed":
        return _post(args.endpoint_url, "/_cosell/aws/prospecting-failures/remove",
                     {"Catalog": args.catalog, "EngagementId": args.engagement_id})
    return _post(args.endpoint_url, "/_cosell/aws/prospecting-failures",
                 {"Catalog": args.catalog, "EngagementId": args.engagement_id, "ReasonCode": args.reason_code,
                  "Message": args.message})


def aws(args: argparse.Namespace) -> int:
    if args.aws_command == "group":
        return _aws_group(args)
    if args.aws_command == "prospecting":
        return _aws_prospecting(args)
    document = None
    if args.from_file:
        try:
            with open(args.from_file, encoding="utf-8") as file:
                document = json.load(file)
        except (OSError, ValueError) as error:
            print(f"cosell aws {args.aws_command}: cannot read {args.from_file}: {error}", file=sys.stderr)
            return 2
    if getattr(args, "json", None) is not None:
        try:
            document = json.loads(args.json)
        except ValueError as error:
            print(f"cosell aws {args.aws_command}: --json is not JSON: {error}", file=sys.stderr)
            return 2
    if args.aws_command == "summary":
        return _post(args.endpoint_url, "/_cosell/aws/summaries",
                     {"AccountId": args.account_id, "Catalog": args.catalog,
                      "OpportunityIdentifier": args.opportunity_id, "Summary": document})
    if args.aws_command == "refer":
        return _post(args.endpoint_url, "/_cosell/aws/referrals",
                     {"AccountId": args.account_id, "Catalog": args.catalog, "Opportunity": document})
    return _post(args.endpoint_url, "/_cosell/aws/leads",
                 {"AccountId": args.account_id, "Catalog": args.catalog, "Lead": document})


def events(args: argparse.Namespace) -> int:
    from cosell import event_tail as event_log

    if args.events_command == "tail":
        return event_log.tail(args.endpoint_url, args.lines, args.follow, args.detail_type, args.account_id,
                              args.catalog, _admin_headers())
    if args.events_command == "lambda":
        return _post(args.endpoint_url, "/_cosell/events/lambdas",
                     {"FunctionArn": args.function_arn, "Handler": args.handler})
    if args.events_command == "lambdas":
        return _get(args.endpoint_url, "/_cosell/events/lambdas")
    return _get(args.endpoint_url, "/_cosell/events/deliveries?" + urllib.parse.urlencode({"event-id": args.event_id}))


def webhooks(args: argparse.Namespace) -> int:
    if args.webhooks_command == "add":
        if args.event_pattern is not None:
            try:
                json.loads(args.event_pattern)
            except ValueError as error:
                print(f"cosell webhooks add: --event-pattern is not JSON: {error}", file=sys.stderr)
                return 2
        status = _post(args.endpoint_url, "/_cosell/webhooks",
                       {"Url": args.url, "EventPattern": args.event_pattern, "AccountId": args.account_id})
        if status == 0:
            print("Verify each delivery's webhook-signature header with this secret (Standard Webhooks).",
                  file=sys.stderr)
        return status
    if args.webhooks_command == "list":
        return _get(args.endpoint_url, "/_cosell/webhooks")
    if args.webhooks_command == "remove":
        return _post(args.endpoint_url, "/_cosell/webhooks/remove", {"Id": args.webhook_id})
    return _post(args.endpoint_url, "/_cosell/webhooks/redeliver", {"EventId": args.event_id,
                                                                    "WebhookId": args.webhook_id})


def snapshot(args: argparse.Namespace) -> int:
    """`cosell snapshot save|load FILE`: through the server at --endpoint-url, or, given --data or
    --database-url, on that database directly (no server needed)."""
    import gzip

    from cosell.control import state
    from cosell.protocol.errors import ServiceError

    opener = gzip.open if args.file.endswith(".gz") else open
    offline = args.data_dir is not None or args.database_url is not None
    store = None
    if offline:
        from cosell.store import Store

        store = Store(Settings.from_env(data_dir=args.data_dir, database_url=args.database_url).resolved_database_url)
    try:
        if args.snapshot_command == "save":
            if store is not None:
                saved = state.save(store)
            else:
                request = urllib.request.Request(args.endpoint_url.rstrip("/") + "/_cosell/state", headers=_admin_headers())
                saved, status = _admin_call(request, args.endpoint_url, timeout=300)
                if status:
                    return status
            text, tables = json.dumps(saved, separators=(",", ":")), saved["Tables"]
            with opener(args.file, "wt", encoding="utf-8") as file:
                file.write(text)
            print(json.dumps({"Saved": args.file, "Tables": len(tables),
                              "Rows": sum(len(table["rows"]) for table in tables.values())}, indent=2))
            return 0
        try:
            with opener(args.file, "rt", encoding="utf-8") as file:
                text = file.read()
            document = json.loads(text)
        except (OSError, ValueError) as error:
            print(f"cosell snapshot load: cannot read {args.file}: {error}", file=sys.stderr)
            return 2
        if store is not None:
            print(json.dumps(state.load(store, document), indent=2))
            return 0
        request = urllib.request.Request(args.endpoint_url.rstrip("/") + "/_cosell/state", data=text.encode("utf-8"),
                                         headers={"Content-Type": "application/json", **_admin_headers()}, method="PUT")
        answer, status = _admin_call(request, args.endpoint_url, timeout=300)
        if status == 0:
            print(json.dumps(answer, indent=2))
        return status
    except ServiceError as error:
        print(f"{error.code}: {error.message}", file=sys.stderr)
        return 1
    finally:
        if store is not None:
            store.close()


SEED_BATCH = 25  # items per request, so that a long seed prints its progress


def seed(args: argparse.Namespace) -> int:
    """Seeds in batches, a progress line after each; prints what was made, all batches together."""
    if not 1 <= args.count <= 10_000:
        print("cosell seed: --count must be from 1 to 10000", file=sys.stderr)
        return 2
    made: dict = {}
    for start in range(0, args.count, SEED_BATCH):
        body = {"Scenario": args.scenario, "Count": min(SEED_BATCH, args.count - start), "Seed": args.seed,
                "Start": start, "AccountId": args.account_id, "Catalog": args.catalog,
                "PartnerAccountId": made.get("PartnerAccountId")}
        answer = _call_json(args.endpoint_url, "/_cosell/seed", body)
        if answer is None:
            return 1
        for name, value in answer.items():
            if isinstance(value, list):
                made.setdefault(name, []).extend(value)
            elif name not in ("Start", "Count"):
                made[name] = value
        if args.count > SEED_BATCH:
            print(f"seeded {start + body['Count']}/{args.count}", file=sys.stderr)
    print(json.dumps({**made, "Count": args.count}, indent=2))
    return 0


def _call_json(endpoint: str, path: str, body: dict) -> dict | None:
    """POST to an admin endpoint; the JSON answer, or None once the error is printed."""
    request = urllib.request.Request(endpoint.rstrip("/") + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **_admin_headers()}, method="POST")
    return _admin_call(request, endpoint, timeout=300)[0]


def _admin_headers() -> dict[str, str]:
    """A server in strict mode wants its admin token, taken from COSELL_ADMIN_TOKEN."""
    token = os.environ.get("COSELL_ADMIN_TOKEN")
    return {"X-Cosell-Admin-Token": token} if token else {}


def _get(endpoint: str, path: str) -> int:
    request = urllib.request.Request(endpoint.rstrip("/") + path, headers=_admin_headers(), method="GET")
    return _answer(request, endpoint)


def _post(endpoint: str, path: str, body: dict) -> int:
    """POST to an admin endpoint; prints the JSON answer; exit status 0 on success."""
    request = urllib.request.Request(endpoint.rstrip("/") + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **_admin_headers()}, method="POST")
    return _answer(request, endpoint)


def _admin_call(request: urllib.request.Request, endpoint: str, timeout: float = 30) -> tuple[Any, int]:
    """(the JSON answer, 0), or (None, exit status) once the refusal (1) or the unreachable server (2) is
    printed."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read()), 0
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"{}")
        print(f"{answer.get('__type', error.code)}: {answer.get('Message', '')}", file=sys.stderr)
        for entry in answer.get("ErrorList") or []:
            print(f"  {entry.get('FieldName')}: {entry.get('Code')}: {entry.get('Message')}", file=sys.stderr)
        return None, 1
    except urllib.error.URLError as error:
        print(f"cannot reach cosell at {endpoint}: {error.reason}", file=sys.stderr)
        return None, 2


def _answer(request: urllib.request.Request, endpoint: str) -> int:
    answer, status = _admin_call(request, endpoint)
    if status == 0:
        print(json.dumps(answer, indent=2))
    return status


def main(argv: list[str] | None = None) -> None:
    try:
        _run(_parser().parse_args(argv))
    except BrokenPipeError:  # the reader stopped (`cosell events tail | head`): no traceback, as other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's flush at exit would fail again
        sys.exit(1)


def _run(args: argparse.Namespace) -> None:
    if args.command == "serve":
        serve(args)
    elif args.command == "review":
        sys.exit(_post(args.endpoint_url, "/_cosell/review", {
            "Catalog": args.catalog, "Identifier": args.identifier, "ReviewStatus": REVIEW_ACTIONS[args.action],
            "ReviewComments": args.comments, "ReviewStatusReason": args.reason, "AccountId": args.account_id}))
    elif args.command == "accounts":
        sys.exit(accounts(args))
    elif args.command == "db":
        sys.exit(database(args))
    elif args.command == "faults":
        body = {"Action": args.faults_command, "Operation": getattr(args, "operation", None)}
        if args.faults_command == "set":
            body.update(Error=args.error, Rate=args.rate, LatencyMs=args.latency_ms, DropResponse=args.drop_response)
        sys.exit(_post(args.endpoint_url, "/_cosell/faults", body))
    elif args.command == "seed":
        sys.exit(seed(args))
    elif args.command == "trigger":
        sys.exit(_post(args.endpoint_url, "/_cosell/trigger", {"DetailType": args.detail_type,
                                                               "AccountId": args.account_id, "Catalog": args.catalog}))
    elif args.command == "snapshot":
        sys.exit(snapshot(args))
    elif args.command == "reset":
        if args.account_id and args.accounts:
            sys.exit("cosell reset: --accounts resets everything; it cannot be given with --account-id")
        sys.exit(_post(args.endpoint_url, "/_cosell/reset", {"AccountId": args.account_id, "Accounts": args.accounts}))
    elif args.command == "clock":
        body = {"Action": args.clock_command, "By": getattr(args, "duration", None), "To": getattr(args, "instant", None),
                "Frozen": getattr(args, "frozen", None)}
        sys.exit(_post(args.endpoint_url, "/_cosell/clock", body))
    elif args.command == "aws":
        sys.exit(aws(args))
    elif args.command == "events":
        sys.exit(events(args))
    elif args.command == "webhooks":
        sys.exit(webhooks(args))
    elif args.command == "solutions":
        sys.exit(_post(args.endpoint_url, "/_cosell/solutions", {
            "Catalog": args.catalog, "Name": args.name, "Category": args.category, "Status": args.status,
            "AccountId": args.account_id}))


if __name__ == "__main__":
    main(sys.argv[1:])
