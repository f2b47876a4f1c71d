"""One delivery to one destination: what is sent (a target's Input, InputPath or InputTransformer applied
to the event) and how (SQS SendMessage, a Python handler playing a Lambda function, an HTTP POST, a
signed webhook). Each send returns an Outcome; nothing here touches the database."""

from __future__ import annotations

import datetime as dt
import http.client
import importlib
import importlib.util
import json
import re
import sys
import time
import traceback
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SQS, LAMBDA, LOGS, HTTP = "sqs", "lambda", "logs", "http"
_ARN_KINDS = {"sqs": SQS, "lambda": LAMBDA, "logs": LOGS}
SEND_TIMEOUT_SECONDS = 10.0


def target_kind(arn: str) -> str | None:
    """What a target ARN (or URL) is, among what cosell delivers to; None for anything else."""
    if arn.startswith(("http://", "https://")):
        return HTTP
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn":
        kind = _ARN_KINDS.get(parts[2])
        if kind == LAMBDA and parts[5] != "function":
            return None
        return kind
    return None


# --- what is sent -----------------------------------------------------------------------------------------

def _at_path(document: Any, path: str) -> Any:
    """A JSONPath of the simple form EventBridge's InputPath takes: $, $.a.b, $.a[0]."""
    if path == "$":
        return document
    if not path.startswith("$."):
        raise ValueError(f"not a JSON path: {path}")
    node = document
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path[2:]):
        if part.startswith("["):
            index = int(part[1:-1])
            node = node[index] if isinstance(node, list) and index < len(node) else None
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return node


def _transformed(transformer: dict, event: dict, rule_name: str, rule_arn: str) -> str:
    """InputTransformer: the <name> placeholders of InputTemplate filled from InputPathsMap and the predefined
    <aws.events.*> variables; inside a JSON string a value goes in as text, elsewhere as JSON."""
    values: dict[str, Any] = {name: _at_path(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()}
    values.update({"aws.events.event": event, "aws.events.event.json": event, "aws.events.rule-name": rule_name,
                   "aws.events.rule-arn": rule_arn, "aws.events.event.ingestion-time": event.get("time")})
    template, out, in_string, index = transformer["InputTemplate"], [], False, 0
    placeholder = re.compile(r"<([A-Za-z0-9_.\-]+)>")
    while index < len(template):
        char = template[index]
        match = placeholder.match(template, index) if char == "<" else None
        if match and match.group(1) in values:
            value = values[match.group(1)]
            if in_string:
                out.append(json.dumps(value if isinstance(value, str) else json.dumps(value))[1:-1])
            else:
                out.append(json.dumps(value))
            index = match.end()
            continue
        if char == "\\" and in_string:
            out.append(template[index:index + 2])
            index += 2
            continue
        if char == '"':
            in_string = not in_string
        out.append(char)
        index += 1
    return "".join(out)


def rendered_body(target: dict, event: dict, rule_name: str, rule_arn: str) -> str | None:
    """What the target receives for the event when the target says (Input, InputPath, InputTransformer);
    None: the event itself, EventBridge's default."""
    if "Input" in target:
        return target["Input"]
    if "InputPath" in target:
        return json.dumps(_at_path(event, target["InputPath"]))
    if "InputTransformer" in target:
        return _transformed(target["InputTransformer"], event, rule_name, rule_arn)
    return None


# --- how it is sent ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str | None = None


class HttpSender:
    """HTTP POSTs, keeping one connection open per host between deliveries (keep-alive); a 2xx answer
    is delivered. A kept connection the other side has closed is opened again once."""

    def __init__(self):
        self._connections: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def post(self, url: str, body: str, headers: dict[str, str]) -> Outcome:
        parsed = urllib.parse.urlsplit(url)
        path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        key = (parsed.scheme, parsed.netloc)
        for reused in (key in self._connections, False):
            connection = self._connection(key)
            try:
                connection.request("POST", path, body=body.encode(), headers={
                    "Content-Type": "application/json", "User-Agent": "cosell-events", **headers})
                response = connection.getresponse()
                answer = response.read(2048)
                if response.will_close:
                    self._close(key)
            except (OSError, http.client.HTTPException) as error:
                self._close(key)
                if reused:
                    continue  # the kept connection had gone stale: once more on a new one
                return Outcome(False, None, f"{type(error).__name__}: {error}")
            if 200 <= response.status < 300:
                return Outcome(True, response.status)
            return Outcome(False, response.status, f"HTTP {response.status}: {answer.decode(errors='replace')[:500]}")
        return Outcome(False, None, "unreachable")  # not reached: the second pass always returns

    def _connection(self, key: tuple[str, str]) -> http.client.HTTPConnection:
        if key not in self._connections:
            scheme, netloc = key
            connection_class = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            self._connections[key] = connection_class(netloc, timeout=SEND_TIMEOUT_SECONDS)
        return self._connections[key]

    def _close(self, key: tuple[str, str]) -> None:
        connection = self._connections.pop(key, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for key in list(self._connections):
            self._close(key)


class SqsSender:
    """SendMessage to an SQS-compatible endpoint (moto's server, ElasticMQ, LocalStack)."""

    def __init__(self, endpoint_url: str | None):
        self.endpoint_url = endpoint_url
        self._client: Any = None
        self._queue_urls: dict[str, str] = {}

    def send(self, arn: str, body: str) -> Outcome:
        if not self.endpoint_url:
            return Outcome(False, None, "no SQS endpoint: start cosell serve with --sqs-endpoint-url (e.g. moto's "
                                        "server or ElasticMQ)")
        _arn, _aws, _sqs, region, account, name = arn.split(":", 5)
        try:
            client = self._sqs(region)
            if arn not in self._queue_urls:
                self._queue_urls[arn] = client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            client.send_message(QueueUrl=self._queue_urls[arn], MessageBody=body)
        except Exception as error:  # botocore's ClientError, a refused connection...: a failed attempt
            self._queue_urls.pop(arn, None)
            return Outcome(False, None, f"{type(error).__name__}: {error}")
        return Outcome(True)

    def _sqs(self, region: str):
        if self._client is None:
            import botocore.session
            from botocore.config import Config
            self._client = botocore.session.get_session().create_client(
                "sqs", region_name=region, endpoint_url=self.endpoint_url, aws_access_key_id="cosell",
                aws_secret_access_key="cosell", config=Config(retries={"total_max_attempts": 1},
                                                              connect_timeout=SEND_TIMEOUT_SECONDS,
                                                              read_timeout=SEND_TIMEOUT_SECONDS))
        return self._client


class LambdaContext:
    """What a Lambda handler gets as its second argument (the members Lambda's Python runtime offers)."""

    def __init__(self, arn: str, timeout_seconds: float = 3.0):
        name = arn.split(":")[6]
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = "128"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = f"{dt.datetime.now(dt.UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(handler: str):
    """`module:function`, or `path/to/file.py:function`."""
    location, _, function = handler.rpartition(":")
    if not location or not function:
        raise ValueError(f"a handler is module:function or path/to/file.py:function, not {handler!r}")
    if location.endswith(".py"):
        path = Path(location).resolve()
        spec = importlib.util.spec_from_file_location(f"cosell_lambda_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ValueError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(location)
    return getattr(module, function)


def invoke_lambda(arn: str, handler: str | None, body: str) -> Outcome:
    if handler is None:
        return Outcome(False, None, f"no handler plays {arn}: map one with `cosell events lambda {arn} module:function`")
    try:
        function = load_handler(handler)
        function(json.loads(body), LambdaContext(arn))
    except Exception as error:
        last = traceback.extract_tb(error.__traceback__)[-1:]
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        return Outcome(False, None, f"{type(error).__name__}: {error}{where}")
    return Outcome(True)
