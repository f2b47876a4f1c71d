"""EventBridge on cosell's endpoint, for the events cosell publishes: PutRule, PutTargets, RemoveTargets,
DeleteRule, DescribeRule, ListRules, ListTargetsByRule, EnableRule, DisableRule, TestEventPattern on the
default event bus of the calling account, with EventBridge's own wire (awsJson 1.1, `AWSEvents.*`, its
botocore model) and errors. boto3's `events` client reaches it with AWS_ENDPOINT_URL_EVENTBRIDGE, so AWS's
rule-creation samples run unmodified. EventBridge's other operations answer NotImplementedException.

Targets cosell delivers to (cosell/delivery/targets.py): SQS queue ARNs (SendMessage to `--sqs-endpoint-url`),
Lambda function ARNs (a Python handler mapped with `cosell events lambda ARN module:function`), CloudWatch
Logs group ARNs (the delivery is recorded; no log service is called) and http(s) URLs as the ARN (a cosell
extension: POST of the event). Another ARN is refused in FailedEntries, as EventBridge refuses a target it
cannot use.
"""

from __future__ import annotations

import json
from typing import Any

from cosell.delivery.targets import target_kind
from cosell.domain.event_patterns import EventPattern, InvalidPattern
from cosell.domain.identifiers import REGION
from cosell.domain.pagination import InvalidPageToken, decode_token, encode_token
from cosell.operations.context import Context, Response, UntypedRequest
from cosell.operations.registry import operation
from cosell.protocol.errors import FieldError, InvalidEventPatternError, LimitExceededError, NotFoundError, ValidationError

EVENTS = "events"
DEFAULT_BUS = "default"
MAX_RULES = 300  # rules per event bus (EventBridge quotas)
MAX_TARGETS = 5  # targets per rule
ENABLED, DISABLED = "ENABLED", "DISABLED"


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, ValidationError.REQUEST, [FieldError("", "INVALID_VALUE", message)])


def _bus(ctx: Context, request: UntypedRequest) -> None:
    """Only the default bus exists (named, or by its ARN)."""
    name = request.get("EventBusName") or DEFAULT_BUS
    if name not in (DEFAULT_BUS, f"arn:aws:events:{REGION}:{ctx.account_id}:event-bus/{DEFAULT_BUS}"):
        raise NotFoundError(f"Event bus {name} does not exist.")


def rule_arn(account_id: str, name: str) -> str:
    return f"arn:aws:events:{REGION}:{account_id}:rule/{name}"


def _rule(tx, ctx: Context, name: str) -> dict:
    rule = tx.event_rules.get(ctx.account_id, name)
    if rule is None:
        raise NotFoundError(f"Rule {name} does not exist on EventBus {DEFAULT_BUS}.")
    return rule


def _pattern(text: str) -> EventPattern:
    try:
        return EventPattern(text)
    except InvalidPattern as reason:
        raise InvalidEventPatternError(f"Event pattern is not valid. Reason: {reason}") from None


@operation("PutRule", service=EVENTS)
def put_rule(ctx: Context, request: UntypedRequest) -> Response:
    """Creates or updates a rule (an update keeps what it does not name, as EventBridge does for State)."""
    _bus(ctx, request)
    name = request["Name"]
    if request.get("EventPattern") is None and request.get("ScheduleExpression") is None:
        raise _invalid("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    if request.get("EventPattern") is not None:
        _pattern(request["EventPattern"])
    with ctx.store.write() as tx:
        existing = tx.event_rules.get(ctx.account_id, name)
        if existing is None and len(tx.event_rules.list_rules(ctx.account_id, None, None, MAX_RULES)) >= MAX_RULES:
            raise LimitExceededError("The requested resource exceeds the maximum number allowed.")
        tx.event_rules.put(ctx.account_id, name, {
            "event_pattern": request.get("EventPattern"), "schedule_expression": request.get("ScheduleExpression"),
            "state": request.get("State") or (existing or {}).get("state") or ENABLED,
            "description": request.get("Description"), "role_arn": request.get("RoleArn")}, ctx.now)
    return {"RuleArn": rule_arn(ctx.account_id, name)}


def _described(ctx: Context, rule: dict) -> dict:
    described = {"Name": rule["name"], "Arn": rule_arn(ctx.account_id, rule["name"]), "EventPattern": rule["event_pattern"],
                 "ScheduleExpression": rule["schedule_expression"], "State": rule["state"],
                 "Description": rule["description"], "RoleArn": rule["role_arn"], "EventBusName": DEFAULT_BUS}
    return {key: value for key, value in described.items() if value is not None}


@operation("DescribeRule", service=EVENTS)
def describe_rule(ctx: Context, request: UntypedRequest) -> Response:
    _bus(ctx, request)
    with ctx.store.read() as tx:
        rule = _rule(tx, ctx, request["Name"])
    return {**_described(ctx, rule), "CreatedBy": ctx.account_id}


def _page(ctx: Context, operation_name: str, scope: dict, request: UntypedRequest) -> tuple[str | None, int]:
    """(the last name of the previous page, the page size) of a ListRules/ListTargetsByRule request."""
    after: str | None = None
    if request.get("NextToken"):
        try:
            after = str(decode_token(ctx.store.pagination_key(), request["NextToken"], operation_name,
                                     json.dumps(scope, sort_keys=True))[1])
        except InvalidPageToken:
            raise _invalid("The NextToken is not valid.") from None
    return after, request.get("Limit") or 100


def _next_token(ctx: Context, operation_name: str, scope: dict, last: str) -> str:
    return encode_token(ctx.store.pagination_key(), operation_name, json.dumps(scope, sort_keys=True), (0, last))


@operation("ListRules", service=EVENTS)
def list_rules(ctx: Context, request: UntypedRequest) -> Response:
    _bus(ctx, request)
    scope = {"account": ctx.account_id, "prefix": request.get("NamePrefix")}
    after, limit = _page(ctx, "events/ListRules", scope, request)
    with ctx.store.read() as tx:
        rules = tx.event_rules.list_rules(ctx.account_id, request.get("NamePrefix"), after, limit + 1)
    shown = [_described(ctx, rule) for rule in rules[:limit]]
    answer: dict[str, Any] = {"Rules": shown}
    if len(rules) > limit:
        answer["NextToken"] = _next_token(ctx, "events/ListRules", scope, shown[-1]["Name"])
    return answer


@operation("EnableRule", service=EVENTS)
def enable_rule(ctx: Context, request: UntypedRequest) -> None:
    _set_state(ctx, request, ENABLED)


@operation("DisableRule", service=EVENTS)
def disable_rule(ctx: Context, request: UntypedRequest) -> None:
    _set_state(ctx, request, DISABLED)


def _set_state(ctx: Context, request: UntypedRequest, state: str) -> None:
    _bus(ctx, request)
    with ctx.store.write() as tx:
        if not tx.event_rules.set_state(ctx.account_id, request["Name"], state):
            _rule(tx, ctx, request["Name"])


@operation("DeleteRule", service=EVENTS)
def delete_rule(ctx: Context, request: UntypedRequest) -> None:
    """A rule with targets is kept ("Rule can't be deleted since it has targets."); deleting a rule that
    does not exist succeeds."""
    _bus(ctx, request)
    with ctx.store.write() as tx:
        if tx.event_rules.get(ctx.account_id, request["Name"]) is None:
            return
        targets = tx.event_rules.targets(ctx.account_id, request["Name"])
        if targets and not request.get("Force"):
            raise _invalid("Rule can't be deleted since it has targets.")
        for target in targets:
            tx.event_rules.remove_target(ctx.account_id, request["Name"], target["Id"])
        tx.event_rules.delete(ctx.account_id, request["Name"])


def _target_refusal(target: dict) -> str | None:
    if sum(member in target for member in ("Input", "InputPath", "InputTransformer")) > 1:
        return "Only one of Input, InputPath, or InputTransformer must be provided."
    if "Input" in target:
        try:
            json.loads(target["Input"])
        except ValueError:
            return "Input is not valid JSON text."
    if target_kind(target["Arn"]) is None:
        return (f"cosell delivers to SQS queue, Lambda function and CloudWatch Logs group ARNs and to http(s) URLs; "
                f"not to {target['Arn']}.")
    return None


@operation("PutTargets", service=EVENTS)
def put_targets(ctx: Context, request: UntypedRequest) -> Response:
    _bus(ctx, request)
    failed = []
    with ctx.store.write() as tx:
        _rule(tx, ctx, request["Rule"])
        existing = {target["Id"] for target in tx.event_rules.targets(ctx.account_id, request["Rule"])}
        accepted = []
        for target in request["Targets"]:
            refusal = _target_refusal(target)
            if refusal is None:
                accepted.append(target)
            else:
                failed.append({"TargetId": target["Id"], "ErrorCode": "ValidationException", "ErrorMessage": refusal})
        if len(existing | {target["Id"] for target in accepted}) > MAX_TARGETS:
            raise LimitExceededError("The requested resource exceeds the maximum number allowed.")
        for target in accepted:
            tx.event_rules.put_target(ctx.account_id, request["Rule"], target, ctx.now)
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


@operation("RemoveTargets", service=EVENTS)
def remove_targets(ctx: Context, request: UntypedRequest) -> Response:
    _bus(ctx, request)
    with ctx.store.write() as tx:
        _rule(tx, ctx, request["Rule"])
        for target_id in request["Ids"]:
            tx.event_rules.remove_target(ctx.account_id, request["Rule"], target_id)
    return {"FailedEntryCount": 0, "FailedEntries": []}


@operation("ListTargetsByRule", service=EVENTS)
def list_targets_by_rule(ctx: Context, request: UntypedRequest) -> Response:
    _bus(ctx, request)
    scope = {"account": ctx.account_id, "rule": request["Rule"]}
    after, limit = _page(ctx, "events/ListTargetsByRule", scope, request)
    with ctx.store.read() as tx:
        _rule(tx, ctx, request["Rule"])
        targets = [target for target in tx.event_rules.targets(ctx.account_id, request["Rule"])
                   if after is None or target["Id"] > after]
    answer: dict[str, Any] = {"Targets": targets[:limit]}
    if len(targets) > limit:
        answer["NextToken"] = _next_token(ctx, "events/ListTargetsByRule", scope, targets[limit - 1]["Id"])
    return answer


# What an event must have for TestEventPattern (EventBridge: "Parameter Event is not valid.").
_EVENT_MEMBERS = ("id", "account", "source", "time", "region", "resources", "detail-type")


@operation("TestEventPattern", service=EVENTS)
def test_event_pattern(ctx: Context, request: UntypedRequest) -> Response:
    pattern = _pattern(request["EventPattern"])
    try:
        event = json.loads(request["Event"])
    except ValueError:
        raise _invalid("Parameter Event is not valid.") from None
    if not isinstance(event, dict) or any(member not in event for member in _EVENT_MEMBERS):
        raise _invalid(f"Parameter Event is not valid: an event has {', '.join(_EVENT_MEMBERS)}.")
    return {"Result": pattern.matches(event)}
