"""Who is calling: Signature Version 4 verified with botocore's own signer, and what the caller may do.

`--auth strict` verifies every request against the accounts' access keys; `--auth open` (the local
default) verifies nothing and maps a request to the account of the access key it names, or to the
default account. Failures are the common errors AWS JSON services answer with. Secrets never leave
this module: not in logs, not in error messages.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from cosell.domain.identifiers import REGION
from cosell.protocol.errors import (
    AccessDeniedError,
    IncompleteSignatureError,
    InvalidSignatureError,
    MissingAuthenticationTokenError,
    UnrecognizedClientError,
)
from cosell.protocol.facts import CATALOGS
from cosell.quotas import READ, quota_group
from cosell.settings import Settings
from cosell.store import Store

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW = dt.timedelta(minutes=15)  # AWS refuses requests dated more than 15 minutes away
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Principal:
    """The caller as far as permissions go."""

    account_id: str
    catalogs: tuple[str, ...] = CATALOGS
    read_only: bool = False
    access_key_id: str | None = None


@dataclass(frozen=True)
class SignedRequest:
    """What the Authorization header says."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


_AUTH_PARAMETER = re.compile(r"\s*(Credential|SignedHeaders|Signature)\s*=\s*([^,\s]*)\s*")


def parse_authorization(header: str) -> SignedRequest:
    """IncompleteSignatureException unless the header is a complete AWS4-HMAC-SHA256 authorization."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureError(f"Authorization header requires the {ALGORITHM} algorithm.")
    parameters = {}
    for part in rest.split(","):
        match = _AUTH_PARAMETER.fullmatch(part)
        if match:
            parameters[match.group(1)] = match.group(2)
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not parameters.get(name)]
    if missing:
        raise IncompleteSignatureError(" ".join(f"Authorization header requires '{name}' parameter." for name in missing))
    scope = parameters["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise IncompleteSignatureError(
            "Credential must have the form <access key>/<date>/<region>/<service>/aws4_request.")
    return SignedRequest(scope[0], scope[1], scope[2], scope[3],
                         tuple(parameters["SignedHeaders"].lower().split(";")), parameters["Signature"])


class _ReceivedRequestSigner(SigV4Auth):
    """botocore's SigV4 signer, told which headers the client signed (a received request carries
    headers a sender may sign that botocore would leave out when it signs itself)."""

    def __init__(self, credentials, signing_name: str, signed_headers: tuple[str, ...]):
        super().__init__(credentials, signing_name, REGION)
        self._signed = signed_headers

    def headers_to_sign(self, request):
        headers = HTTPHeaders()
        for name in self._signed:
            headers[name] = request.headers.get(name, "")
        return headers


def expected_signature(raw, signed: SignedRequest, secret_access_key: str, amz_date: str) -> str:
    """The signature botocore computes for this request with this secret."""
    path = raw.raw_path or raw.path
    url = f"http://{raw.headers.get('host', '')}{path}" + (f"?{raw.query}" if raw.query else "")
    request = AWSRequest(method=raw.method, url=url, headers={name: raw.headers.get(name, "") for name in signed.signed_headers},
                         data=raw.body)
    request.context["timestamp"] = amz_date
    signer = _ReceivedRequestSigner(Credentials(signed.access_key_id, secret_access_key), signed.service,
                                    signed.signed_headers)
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


class Authenticator:
    def __init__(self, settings: Settings, store: Store):
        self.settings = settings
        self.store = store
        self._default = Principal(settings.account_id)

    def authenticate(self, raw, now: dt.datetime, signing_name: str) -> Principal:
        """The caller of a request to the service signing as `signing_name` (partnercentral-selling)."""
        header = raw.headers.get("authorization")
        if self.settings.auth != "strict":
            return self._open(header)
        if not header:
            raise MissingAuthenticationTokenError("Missing Authentication Token")
        signed = parse_authorization(header)
        amz_date = raw.headers.get("x-amz-date")
        if not amz_date:
            raise IncompleteSignatureError(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        try:
            signed_at = dt.datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=dt.UTC)
        except ValueError:
            raise IncompleteSignatureError(f"X-Amz-Date {amz_date} is not in the form YYYYMMDD'T'HHMMSS'Z'.") from None
        if "host" not in signed.signed_headers:
            raise InvalidSignatureError("'Host' must be a 'SignedHeader' in the AWS Authorization.")
        if signed.region != REGION:
            raise InvalidSignatureError(f"Credential should be scoped to a valid region. The service is in {REGION}.")
        if signed.service != signing_name:
            raise InvalidSignatureError(f"Credential should be scoped to correct service: '{signing_name}'.")
        if signed.date != amz_date[:8]:
            raise InvalidSignatureError(
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{signed.date}' != '{amz_date[:8]}'.")
        with self.store.read() as tx:
            key = tx.accounts.get_key(signed.access_key_id)
        if key is None or key.revoked:
            raise UnrecognizedClientError("The security token included in the request is invalid.")
        self._check_clock(signed_at, now)
        expected = expected_signature(raw, signed, key.secret_access_key, amz_date)
        if not hmac.compare_digest(expected, signed.signature):
            raise InvalidSignatureError(
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                "Secret Access Key and signing method. Consult the service documentation for details.")
        return Principal(key.account_id, key.catalogs, key.read_only, key.access_key_id)

    @staticmethod
    def _check_clock(signed_at: dt.datetime, now: dt.datetime) -> None:
        fmt = AMZ_DATE_FORMAT
        if signed_at < now - MAX_CLOCK_SKEW:
            raise InvalidSignatureError(
                f"Signature expired: {signed_at.strftime(fmt)} is now earlier than "
                f"{(now - MAX_CLOCK_SKEW).strftime(fmt)} ({now.strftime(fmt)} - 15 min.)")
        if signed_at > now + MAX_CLOCK_SKEW:
            raise InvalidSignatureError(
                f"Signature not yet current: {signed_at.strftime(fmt)} is still later than "
                f"{(now + MAX_CLOCK_SKEW).strftime(fmt)} ({now.strftime(fmt)} + 15 min.)")

    def _open(self, header: str | None) -> Principal:
        """Open mode: nothing is verified; a known, unrevoked key still picks its account."""
        if not header:
            return self._default
        try:
            signed = parse_authorization(header)
        except IncompleteSignatureError:
            return self._default
        with self.store.read() as tx:
            key = tx.accounts.get_key(signed.access_key_id)
        if key is None or key.revoked:
            return self._default
        return Principal(key.account_id, key.catalogs, key.read_only, key.access_key_id)


ACCESS_DENIED = "Unable to handle request due to access denied"  # the real service's text (reference §2.4)


def authorize_operation(principal: Principal, operation: str) -> None:
    """A read-only key may call what the quotas count as reads (reference §7)."""
    if principal.read_only and quota_group(operation) != READ:
        raise AccessDeniedError(f"{ACCESS_DENIED}: this access key is read-only.")


_ARN_CATALOG = re.compile(r"arn:[^:]*:[^:]*:[^:]*:[^:]*:catalog/([A-Za-z]+)/")


def catalog_of(request: dict) -> str | None:
    """The catalog a request works in: its Catalog member, or the catalog named by its ResourceArn."""
    if request.get("Catalog"):
        return request["Catalog"]
    match = _ARN_CATALOG.match(request.get("ResourceArn") or "")
    return match.group(1) if match else None


def authorize_catalog(principal: Principal, catalog: str | None) -> None:
    if catalog is not None and catalog not in principal.catalogs:
        raise AccessDeniedError(f"{ACCESS_DENIED}: this access key cannot use the {catalog} catalog.")
