"""Raw HTTP against a live `cosell serve`, for tests of the awsJson1_0 wire itself: one call as bytes
on the wire (no boto3 in between), and the checks every AWS error answer must pass."""

from __future__ import annotations

import http.client
import json

# The namespace AWS appends to x-amzn-ErrorType (`<ErrorCode>:<namespace>`).
ERROR_NAMESPACE = ":http://internal.amazon.com/coral/com.amazon.partnerintegrationapi.common/"


def call(server, body, *, path="/", target=None, method="POST", content_type="application/x-amz-json-1.0",
         headers=None):
    """One request to `server`; (status, lower-cased headers, body bytes)."""
    all_headers = {"Content-Type": content_type} if content_type else {}
    if target:
        all_headers["X-Amz-Target"] = f"AWSPartnerCentralSelling.{target}"
    all_headers.update(headers or {})
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, body=payload if method != "GET" else None, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def assert_aws_error(status, headers, data, expected_status, error_type):
    """An AWS-shaped error answer of `error_type`; its parsed body."""
    assert status == expected_status
    body = json.loads(data)
    assert body["__type"] == error_type
    assert body["Message"]
    assert headers["x-amzn-errortype"] == error_type + ERROR_NAMESPACE
    assert headers["x-amzn-requestid"]
    assert "Traceback" not in data.decode()
    return body
