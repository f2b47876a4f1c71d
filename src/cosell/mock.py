"""The in-process hook: a boto3/botocore client whose requests go straight to gateway.handle.

    from cosell.mock import attach
    client = boto3.client("partnercentral-selling", region_name="us-east-1")
    attach(client, Gateway(settings, Store(url)))

The client still signs and serializes exactly as it would for the network; only the socket is
skipped. Same bytes, same gateway as the server.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse

from cosell.gateway import Gateway, RawRequest


class _Body:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_kwargs):
        yield self._body


def _body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return body.read()
    return bytes(body)


def attach(client, gateway: Gateway) -> None:
    """Route every request of `client` to `gateway` instead of the network."""

    def send(request, **_kwargs):
        url = urlsplit(request.url)
        headers = {key.lower(): (value.decode() if isinstance(value, bytes) else value)
                   for key, value in request.headers.items()}
        headers.setdefault("host", url.netloc)  # what the HTTP client would add on the wire
        raw = RawRequest(method=request.method, path=url.path or "/", headers=headers,
                         body=_body_bytes(request.body), query=url.query, raw_path=url.path or "/")
        response = gateway.handle(raw)
        return AWSResponse(request.url, response.status, response.headers, _Body(response.body))

    client.meta.events.register(f"before-send.{client.meta.service_model.service_id.hyphenize()}", send)
