"""Hostile bytes on the wire: whatever arrives, an AWS-shaped 4xx, bounded cost, nothing written, and
the server keeps serving.

Most tests talk raw HTTP (http.client or a bare socket) to a `cosell serve` of their own, whose log
is checked at the end for crashes. The body time-out tests run a server whose time-out is set down to
a second (COSELL_BODY_TIMEOUT=1). No test asserts on a duration: "bounded" is shown by the request finishing and
by the size of what comes back.
"""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import string
import threading
import time
import uuid

import pytest

from conftest import LiveServer
from cosell.protocol import awsjson
from cosell.protocol.awsjson import MAX_DEPTH
from cosell.protocol.errors import ValidationError
from cosell.protocol.model import service_model
from cosell.protocol.validation import compile_validators
from cosell.protocol.validation.full import MAX_REPORTED_ERRORS, MAX_SHOWN_VALUE
from opportunity_requests import minimal
from wire_helpers import assert_aws_error, call

MiB = 1024 * 1024
TARGET = "AWSPartnerCentralSelling.CreateOpportunity"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("hostile") / "data").start()
    yield live
    live.stop()
    log = live.log_path.read_text(errors="replace")
    assert "Traceback" not in log, log
    assert "Exception in ASGI application" not in log, log
    assert "failed unexpectedly" not in log, log


MAX_PAGES = 1000  # a list that never ends fails instead of hanging


def opportunity_count(server) -> int:
    client = server.client()
    count, token = 0, None
    for _ in range(MAX_PAGES):
        page = client.list_opportunities(Catalog="Sandbox", MaxResults=100, **({"NextToken": token} if token else {}))
        count += len(page["OpportunitySummaries"])
        token = page.get("NextToken")
        if not token:
            return count
    pytest.fail(f"ListOpportunities still had a NextToken after {MAX_PAGES} pages")


def assert_still_serving(server):
    status, _, data = call(server, minimal(), target="CreateOpportunity")
    assert status == 200, data


def body_of(request: dict) -> bytes:
    return json.dumps(request, separators=(",", ":")).encode()


def short_keys(count: int):
    """`count` distinct three-character member names (8 bytes each with their value in compact JSON)."""
    alphabet = string.ascii_letters + string.digits
    return ("".join(chars) for chars, _ in zip(itertools.product(alphabet, repeat=3), range(count), strict=False))


ANSWER_SECONDS = 30  # how long an answer may take to arrive whole, however the server trickles it


def raw_exchange(server, head: bytes, body: bytes = b"", timeout: float = ANSWER_SECONDS) -> bytes:
    """Send bytes as they are, read until the server closes or a whole answer is in."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(head + body)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> bytes:
    """What the server sends until it closes or a whole answer is in (each read waits at most the
    socket's time-out, and the whole answer at most ANSWER_SECONDS)."""
    data = b""
    deadline = time.monotonic() + ANSWER_SECONDS
    while True:
        assert time.monotonic() < deadline, f"no whole answer within {ANSWER_SECONDS} s: {data[:200]!r}"
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
        head, separator, body = data.partition(b"\r\n\r\n")
        if separator:
            lengths = [line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
            if lengths and len(body) >= int(lengths[0]):
                return data


def parse_answer(data: bytes):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def request_head(length: int | None = None, *, chunked: bool = False, extra: str = "") -> bytes:
    head = f"POST / HTTP/1.1\r\nHost: cosell\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: {TARGET}\r\n"
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    if length is not None:
        head += f"Content-Length: {length}\r\n"
    return (head + extra + "\r\n").encode()


# Bodies over the size limit ------------------------------------------------------------------

def test_oversized_body_with_content_length_keeps_the_connection(hostile):
    before = opportunity_count(hostile)
    connection = http.client.HTTPConnection("127.0.0.1", hostile.port, timeout=30)
    request = minimal(Padding="x" * (2 * MiB))
    connection.request("POST", "/", body=body_of(request),
                       headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET})
    response = connection.getresponse()
    data = response.read()
    assert_aws_error(response.status, {k.lower(): v for k, v in response.getheaders()}, data, 413,
                     "RequestEntityTooLargeException")
    # Read to its end and thrown away: the same connection serves the next request.
    connection.request("POST", "/", body=body_of(minimal()),
                       headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET})
    response = connection.getresponse()
    assert response.status == 200, response.read()
    response.read()
    connection.close()
    assert opportunity_count(hostile) == before + 1


def test_oversized_chunked_body_without_content_length(hostile):
    before = opportunity_count(hostile)
    connection = http.client.HTTPConnection("127.0.0.1", hostile.port, timeout=30)
    chunks = (b"x" * 65536 for _ in range(40))  # 2.5 MiB, no Content-Length
    connection.request("POST", "/", body=chunks, encode_chunked=True,
                       headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET})
    response = connection.getresponse()
    data = response.read()
    headers = {k.lower(): v for k, v in response.getheaders()}
    assert_aws_error(response.status, headers, data, 413, "RequestEntityTooLargeException")
    connection.close()
    assert opportunity_count(hostile) == before
    assert_still_serving(hostile)


def test_huge_declared_length_is_answered_without_reading_the_body(hostile):
    """A declared 10 GiB body is refused from its headers: 413, and the connection is closed."""
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=30) as sock:
        # One small write: the server has read all of it when it closes, so the close is no reset.
        sock.sendall(request_head(10 * 1024 * MiB) + b'{"Catalog": "Sandbox", "Padding": "xxxxxxxx')
        data = read_answer(sock)
        assert_aws_error(*parse_answer(data), 413, "RequestEntityTooLargeException")
        assert parse_answer(data)[1].get("connection") == "close"
    assert_still_serving(hostile)


def test_endless_chunked_body_is_cut_off(hostile):
    """The server stops reading an endless chunked body: after the limit (and a bounded drain of at
    most 8 MiB for a client that still wants its 413) it closes the connection."""
    sent = 0
    chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=30) as sock:
        sock.sendall(request_head(chunked=True))
        try:
            while sent < 256 * MiB:
                sock.sendall(chunk)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert sent < 256 * MiB, "the server read an endless body without closing"
        data = read_answer(sock)  # the 413, unless the reset on close overtook it
        if data:
            assert_aws_error(*parse_answer(data), 413, "RequestEntityTooLargeException")
    assert_still_serving(hostile)


def test_expect_continue_with_an_oversized_body_is_refused_before_it_is_sent(hostile):
    head = request_head(2 * MiB, extra="Expect: 100-continue\r\n")
    data = raw_exchange(hostile, head)
    assert_aws_error(*parse_answer(data), 413, "RequestEntityTooLargeException")


@pytest.mark.parametrize("path", ["/_cosell/noop", "/_cosell/solutions"])
def test_oversized_body_to_the_noop_and_admin_endpoints_is_refused_the_same_way(hostile, path):
    """The no-op (the benchmarks' baseline) and the admin endpoints read bodies with the same limits."""
    connection = http.client.HTTPConnection("127.0.0.1", hostile.port, timeout=30)
    connection.request("POST", path, body=b"x" * (2 * MiB), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    assert_aws_error(response.status, {k.lower(): v for k, v in response.getheaders()}, data, 413,
                     "RequestEntityTooLargeException")
    connection.request("POST", "/_cosell/noop", body=b"{}", headers={"Content-Type": "application/json"})
    response = connection.getresponse()  # drained: the same connection goes on
    assert (response.status, response.read()) == (200, b"{}")
    connection.close()


def test_expect_continue_with_a_body_within_the_limit_is_served(hostile):
    """`100 Continue` goes out before the server waits for the body, and the answer once it has it."""
    body = body_of(minimal())
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=30) as sock:
        sock.sendall(request_head(len(body), extra="Expect: 100-continue\r\n"))
        interim = b""
        deadline = time.monotonic() + ANSWER_SECONDS
        while b"\r\n\r\n" not in interim:
            assert time.monotonic() < deadline, f"no whole 100 Continue within {ANSWER_SECONDS} s: {interim!r}"
            chunk = sock.recv(65536)
            assert chunk, interim
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100 "), interim
        sock.sendall(body)
        status, _, data = parse_answer(read_answer(sock))
    assert status == 200, data


# Nesting -------------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    b"[" * (MiB - 1),
    b"{" + b'"a":{' * (MiB // 5 - 1),
    b'{"Catalog":' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"}",
    b'{"a":"' + b"[" * (MiB - 16),  # an unterminated string full of brackets
], ids=["open-arrays", "open-objects", "just-past-the-limit", "unterminated-string"])
def test_nesting_past_the_limit_is_a_serialization_exception(hostile, payload):
    status, headers, data = call(hostile, payload, target="CreateOpportunity")
    assert_aws_error(status, headers, data, 400, "SerializationException")


def test_nesting_within_the_limit_and_brackets_in_strings_are_parsed(hostile):
    request = minimal()
    request["Unknown"] = json.loads("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))
    request["Customer"]["Account"]["CompanyName"] = "[[[[{{{{" * 15
    status, _, data = call(hostile, request, target="CreateOpportunity")
    assert status == 200, data


# Odd bytes and odd JSON ----------------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    b'{"Catalog": "\xff\xfe"}',  # invalid UTF-8
    b'{"Catalog": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8 (CESU-style): not UTF-8
    b'{"Catalog": "Sand\x00box"}',  # raw NUL inside a string (a control character)
    b'{"Catalog": "Sandbox"}\x00',
    b'\x00{"Catalog": "Sandbox"}',
    b'{"Catalog": "\\ud800"}',  # lone high surrogate
    b'{"Catalog": "Sandbox", "Customer": {"Account": {"CompanyName": "x\\udc00y"}}}',  # lone low surrogate
    b'{"\\ud800": 1}',  # in a key
    b'{"Catalog": 1e999999}',
    b'{"Catalog": -1e999999}',
    b'{"MaxResults": 1E400}',
    b'{"Catalog": ' + b"9" * 100_000 + b"}",  # past Python's int digit limit
    b'{"Catalog": -' + b"1" * 5000 + b"}",
    b'{"Catalog": NaN}', b'{"Catalog": Infinity}', b'{"Catalog": -Infinity}',
    b'\xfe\xff\x00{',  # UTF-16 BOM
    b'{"Catalog": "Sandbox"',  # truncated JSON
    b'{"Catalog": "Sandbox"} {}',  # two documents
    # More than MAX_DEPTH brackets, so the depth check looks for strings; then an unterminated one
    # full of escaped quotes, which a backtracking string pattern would take minutes over.
    b'{"a":[' + b"{}," * 40 + b'"' + b'\\"' * 400_000,
], ids=lambda payload: repr(payload[:30]))
def test_odd_bytes_are_a_serialization_exception(hostile, payload):
    status, headers, data = call(hostile, payload, target="CreateOpportunity")
    body = assert_aws_error(status, headers, data, 400, "SerializationException")
    assert len(body["Message"]) < 300


def test_utf8_byte_order_mark_is_accepted(hostile):
    """RFC 8259 §8.1 lets a parser ignore a BOM, and Jackson (behind AWS's JSON services) does."""
    status, _, data = call(hostile, b"\xef\xbb\xbf" + body_of(minimal()), target="CreateOpportunity")
    assert status == 200, data


@pytest.mark.backend
@pytest.mark.parametrize("company", ["Nul\u0000Corp", "Emoji \U0001F600 Corp", "\u2028Line\u2029Sep", "ß\uFEFF"])
def test_escaped_odd_characters_round_trip(hostile, company):
    """Escaped NUL, surrogate pairs and other valid code points are text like any other, filters included."""
    request = minimal()
    request["Customer"]["Account"]["CompanyName"] = company
    status, _, data = call(hostile, request, target="CreateOpportunity")
    assert status == 200, data
    status, _, data = call(hostile, {"Catalog": "Sandbox", "Identifier": json.loads(data)["Id"]}, target="GetOpportunity")
    assert status == 200, data
    assert json.loads(data)["Customer"]["Account"]["CompanyName"] == company
    opportunity_id = json.loads(data)["Id"]
    status, _, data = call(hostile, {"Catalog": "Sandbox", "CustomerCompanyName": [company],
                                     "Sort": {"SortBy": "CustomerCompanyName", "SortOrder": "ASCENDING"}},
                           target="ListOpportunities")
    assert status == 200, data
    assert [summary["Id"] for summary in json.loads(data)["OpportunitySummaries"]] == [opportunity_id]


def test_duplicate_keys_the_last_one_wins(hostile):
    """Python's json and Jackson's default both keep the last of duplicate keys."""
    request = minimal()
    text = json.dumps(request)
    text = text.replace('"Catalog": "Sandbox"', '"Catalog": "AWS", "Catalog": "Sandbox"', 1)
    text = text[:-1] + f', "ClientToken": "{uuid.uuid4()}"}}'
    status, _, data = call(hostile, text.encode(), target="CreateOpportunity")
    assert status == 200, data
    identifier = json.loads(data)["Id"]
    status, _, _ = call(hostile, {"Catalog": "Sandbox", "Identifier": identifier}, target="GetOpportunity")
    assert status == 200


def test_lone_surrogates_past_the_parser_crash_nothing():
    """Defence in depth, for a surrogate that would get past parse_body: the validators and their
    regex patterns take it, and an error message holding one still serializes, as a JSON escape."""
    validators = compile_validators([service_model().operation_model("CreateOpportunity")])
    request = minimal()
    request["Customer"]["Account"]["CompanyName"] = "x\ud800"
    request["Customer"]["Account"]["Industry"] = "\udfff"
    with pytest.raises(ValidationError) as raised:
        validators["CreateOpportunity"](request)
    _, _, body = awsjson.serialize_error(raised.value, "request-id")
    assert json.loads(body)["ErrorList"][0]["Message"].startswith("Value '\udfff'")
    assert json.loads(awsjson.dumps({"Message": "a\ud800b"})) == {"Message": "a\ud800b"}


def test_lone_surrogate_writes_nothing(hostile):
    before = opportunity_count(hostile)
    text = json.dumps(minimal()).replace('"Example Corp"', '"Example \\ud83d Corp"')
    status, headers, data = call(hostile, text.encode(), target="CreateOpportunity")
    assert_aws_error(status, headers, data, 400, "SerializationException")
    assert opportunity_count(hostile) == before


# Enormous strings, arrays and objects within 1 MiB -------------------------------------------

def test_megabyte_string_in_a_patterned_member(hostile):
    request = minimal()
    request["Customer"]["Account"]["WebsiteUrl"] = "h" * 1_000_000  # pattern (?s).{4,255}
    status, headers, data = call(hostile, request, target="CreateOpportunity")
    body = assert_aws_error(status, headers, data, 400, "ValidationException")
    assert [(e["FieldName"], e["Code"]) for e in body["ErrorList"]] == [("customer.account.websiteUrl", "INVALID_STRING_FORMAT")]
    assert len(data) < 4 * MAX_SHOWN_VALUE + 1000  # the value is not echoed whole


def test_megabyte_string_in_an_enum_member_is_not_echoed_whole(hostile):
    request = minimal()
    request["Customer"]["Account"]["Industry"] = "\u0001" * 150_000  # escaped as \u0001 on the wire
    status, headers, data = call(hostile, request, target="CreateOpportunity")
    body = assert_aws_error(status, headers, data, 400, "ValidationException")
    assert body["ErrorList"][0]["Code"] == "INVALID_ENUM_VALUE"
    assert len(data) < 20 * MAX_SHOWN_VALUE + 2000


def test_huge_array_in_a_bounded_list_fails_fast(hostile):
    request = minimal()
    request["Project"] = {"ExpectedCustomerSpend": [{}] * 200_000}  # max 10 in the model; 800 KB
    status, headers, data = call(hostile, request, target="CreateOpportunity")
    body = assert_aws_error(status, headers, data, 400, "ValidationException")
    assert [(e["FieldName"], e["Code"]) for e in body["ErrorList"]] == [("project.expectedCustomerSpend", "TOO_MANY_VALUES")]


def test_huge_array_of_bad_values_in_an_unbounded_list_reports_a_bounded_error_list(hostile):
    request = minimal(PrimaryNeedsFromAws=["x"] * 250_000)  # no max in the model; 1000 KB
    status, headers, data = call(hostile, body_of(request), target="CreateOpportunity")
    body = assert_aws_error(status, headers, data, 400, "ValidationException")
    assert len(body["ErrorList"]) == MAX_REPORTED_ERRORS
    assert {e["Code"] for e in body["ErrorList"]} == {"INVALID_ENUM_VALUE"}
    assert body["Message"].startswith(f"More than {MAX_REPORTED_ERRORS} validation errors detected")
    assert len(data) < 200_000


def test_object_with_a_hundred_thousand_unknown_keys_is_ignored(hostile):
    request = minimal()
    request["Customer"]["Account"].update({key: 0 for key in short_keys(100_000)})
    status, _, data = call(hostile, body_of(request), target="CreateOpportunity")
    assert status == 200, data


# Content types, methods and paths ------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x",
                                          "application/x-www-form-urlencoded", "", "application/json-seq"])
def test_wrong_content_types(hostile, content_type):
    status, headers, data = call(hostile, minimal(), target="CreateOpportunity",
                                 headers={"Content-Type": content_type})
    assert_aws_error(status, headers, data, 415, "UnsupportedMediaTypeException")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO", "PROPFIND"])
def test_wrong_methods(hostile, method):
    head = (f"{method} /CreateOpportunity HTTP/1.1\r\nHost: cosell\r\nContent-Length: 2\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n\r\n{}").encode()
    status, headers, data = parse_answer(raw_exchange(hostile, head))
    if method == "FOO" and status == 400 and "x-amzn-errortype" not in headers:
        return  # uvicorn's httptools parser refuses a method HTTP does not define before the app sees it
    assert_aws_error(status, headers, data, 405, "MethodNotAllowedException")


def test_head_is_refused_without_a_body(hostile):
    connection = http.client.HTTPConnection("127.0.0.1", hostile.port, timeout=30)
    connection.request("HEAD", "/CreateOpportunity")
    response = connection.getresponse()
    assert response.status == 405
    assert response.getheader("x-amzn-ErrorType").startswith("MethodNotAllowedException:")
    assert response.read() == b""
    connection.request("POST", "/_cosell/noop", body=b"{}", headers={"Content-Type": "application/json"})
    response = connection.getresponse()  # the head alone was a whole answer: the connection goes on
    assert (response.status, response.read()) == (200, b"{}")
    connection.close()


@pytest.mark.parametrize("path", [
    "/../CreateOpportunity", "/%2e%2e/CreateOpportunity", "//CreateOpportunity", "/CreateOpportunity/extra",
    "/CreateOpportunity%00", "/%ff%fe", "/%", "/" + "a" * 12_000, "*",
])
def test_odd_paths_are_unknown_operations(hostile, path):
    head = (f"POST {path} HTTP/1.1\r\nHost: cosell\r\nContent-Length: 2\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n\r\n{}").encode()
    assert_aws_error(*parse_answer(raw_exchange(hostile, head)), 404, "UnknownOperationException")


@pytest.mark.parametrize("method, path", [
    ("GET", "/_cosell/noop"), ("POST", "/_cosell/noop/"), ("POST", "/_cosell/health"), ("GET", "/_cosell/faults"),
    ("POST", "/_cosell/unknown"), ("TRACE", "/nothing-here"), ("PROPFIND", "*"),
])
def test_other_methods_and_paths_are_unknown_operations(hostile, method, path):
    """Only the /_cosell endpoints' own method and path reach them; anything else is an unknown operation."""
    head = (f"{method} {path} HTTP/1.1\r\nHost: cosell\r\nContent-Length: 2\r\n"
            "Content-Type: application/x-amz-json-1.0\r\n\r\n{}").encode()
    assert_aws_error(*parse_answer(raw_exchange(hostile, head)), 404, "UnknownOperationException")


def test_absolute_form_target_gets_an_aws_answer(hostile):
    """h11 hands the app the whole URL (an unknown path); httptools hands it the path, which routes
    (RFC 9112 §3.2.2 asks servers to accept the absolute form). Either way the answer is AWS-shaped."""
    head = (b"POST http://example.com/CreateOpportunity HTTP/1.1\r\nHost: cosell\r\nContent-Length: 2\r\n"
            b"Content-Type: application/x-amz-json-1.0\r\n\r\n{}")
    status, headers, data = parse_answer(raw_exchange(hostile, head))
    expected = ("UnknownOperationException", 404) if status == 404 else ("ValidationException", 400)
    assert_aws_error(status, headers, data, expected[1], expected[0])


@pytest.mark.parametrize("path, target", [
    ("/?x=1&y", "CreateOpportunity"), ("/CreateOpportunity?Action=Delete&x=%00", None),
    ("/%43reateOpportunity", None), ("//", "CreateOpportunity"), ("/CreateOpportunity/", None),
])
def test_query_strings_and_encoded_paths_still_route(hostile, path, target):
    status, _, data = call(hostile, minimal(), path=path, target=target)
    assert status == 200, data


def test_request_line_that_is_not_http_gets_a_4xx_and_the_server_survives(hostile):
    """Bytes that are not HTTP never reach the app: uvicorn answers a plain 400 and closes."""
    for garbage in (b"POST /a b HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
                    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"):
        data = raw_exchange(hostile, garbage)
        assert data.startswith(b"HTTP/1.1 4"), data
    assert_still_serving(hostile)


# Truncated bodies ----------------------------------------------------------------------------

def test_truncated_body_writes_nothing(hostile):
    before = opportunity_count(hostile)
    body = body_of(minimal())
    for sent in (0, 1, len(body) // 2, len(body) - 1):
        with socket.create_connection(("127.0.0.1", hostile.port), timeout=30) as sock:
            sock.sendall(request_head(len(body)) + body[:sent])
            sock.shutdown(socket.SHUT_WR)
            read_answer(sock)  # nothing, or an answer nobody needs: the client has gone
    with socket.create_connection(("127.0.0.1", hostile.port), timeout=30) as sock:  # chunked, cut mid-chunk
        sock.sendall(request_head(chunked=True) + b"%x\r\n" % len(body) + body[:100])
    assert_still_serving(hostile)
    assert opportunity_count(hostile) == before + 1  # only assert_still_serving's


# Slow bodies (a server with a 1-second body time-out) ------------------------------------------

@pytest.fixture
def slow_server(tmp_path):
    live = LiveServer(tmp_path / "data", env={"COSELL_BODY_TIMEOUT": "1"}).start()
    try:
        yield live
    finally:
        live.stop()
    log = live.log_path.read_text()
    assert "Traceback" not in log and " ERROR " not in log, log


def test_stalled_body_times_out_with_408_and_others_are_served_meanwhile(slow_server):
    body = body_of(minimal())
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=30) as sock:
        sock.sendall(request_head(len(body)) + body[:50])  # ...and then nothing more
        assert_still_serving(slow_server)  # while that one waits
        data = read_answer(sock)
    status, headers, _ = parse_answer(data)
    assert_aws_error(*parse_answer(data), 408, "RequestTimeoutException")
    assert headers.get("connection") == "close"
    assert opportunity_count(slow_server) == 1  # only assert_still_serving's


def test_trickled_body_times_out_with_408(slow_server):
    """A client that keeps sending, a byte a tenth of a second: the time-out is for the whole body,
    not for a pause between bytes."""
    body = body_of(minimal())
    done = threading.Event()
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=30) as sock:
        sock.sendall(request_head(len(body)))

        def trickle():
            for byte in body:
                if done.wait(0.1):
                    return
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    return

        sender = threading.Thread(target=trickle)
        sender.start()
        try:
            data = read_answer(sock)
        finally:
            done.set()
            sender.join()
    assert_aws_error(*parse_answer(data), 408, "RequestTimeoutException")
    assert opportunity_count(slow_server) == 0


def test_stalled_chunked_body_times_out(slow_server):
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=30) as sock:
        sock.sendall(request_head(chunked=True) + b"10\r\n{\"Catalog\": \"Sa")
        data = read_answer(sock)
    assert_aws_error(*parse_answer(data), 408, "RequestTimeoutException")


@pytest.mark.parametrize("path", ["/_cosell/noop", "/_cosell/faults"])
def test_stalled_body_to_the_noop_and_admin_endpoints_times_out(slow_server, path):
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: cosell\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\n\r\n{".encode())
        data = read_answer(sock)
    status, headers, _ = parse_answer(data)
    assert_aws_error(*parse_answer(data), 408, "RequestTimeoutException")
    assert headers.get("connection") == "close"


def test_several_stalled_bodies_each_time_out(slow_server):
    """Bodies stalled one after another, with complete requests between them: each stalled one gets its 408."""
    body = body_of(minimal())
    sockets = []
    try:
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", slow_server.port), timeout=30)
            sock.sendall(request_head(len(body)) + body[:50])
            sockets.append(sock)
            assert_still_serving(slow_server)
        for sock in sockets:
            assert_aws_error(*parse_answer(read_answer(sock)), 408, "RequestTimeoutException")
    finally:
        for sock in sockets:
            sock.close()
    assert opportunity_count(slow_server) == 3


def test_oversized_body_that_stalls_while_drained_gets_its_413_and_the_connection_closes(slow_server):
    """Past the limit the body is read on only to be thrown away; when it stalls there, the time-out
    ends the drain: the answer is still the 413, and the connection is closed."""
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=30) as sock:
        sock.sendall(request_head(2 * MiB) + b"x" * (MiB + 4096))  # ...and then nothing more
        data = read_answer(sock)
    status, headers, _ = parse_answer(data)
    assert_aws_error(*parse_answer(data), 413, "RequestEntityTooLargeException")
    assert headers.get("connection") == "close"
