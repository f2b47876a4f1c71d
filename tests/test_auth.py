"""Who may call: SigV4 in strict mode with real keys, each failure's exact error, two accounts that
cannot see each other, catalog-limited and read-only keys, the admin token, the access log."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import subprocess
import sys

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from conftest import LiveServer, database_args, database_url, sqlite_only
from opportunity_requests import minimal, submittable

ADMIN_TOKEN = "test-admin-token"


def cosell(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cosell.cli", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def create_account(data_dir, name: str, *options: str) -> dict:
    result = cosell("accounts", "create", name, *database_args(data_dir), *options)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    data = tmp_path_factory.mktemp("strict") / "data"
    keys = {
        "alpha": create_account(data, "Alpha Partner"),
        "beta": create_account(data, "Beta Partner"),
        "sandbox_only": create_account(data, "Sandbox Tester", "--catalogs", "Sandbox"),
        "read_only": create_account(data, "Auditor", "--read-only"),
        "revoked": create_account(data, "Former Partner"),
    }
    live = LiveServer(data, extra_args=("--auth", "strict", "--admin-token", ADMIN_TOKEN)).start()
    yield live, keys
    live.stop()


def client_for(live: LiveServer, key: dict, region: str = "us-east-1", **config):
    return boto3.client("partnercentral-selling", endpoint_url=live.url, region_name=region,
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                        config=Config(retries={"total_max_attempts": 1}, **config))


def signed_call(live: LiveServer, key_id: str, secret: str, body: dict, *, when: dt.datetime | None = None,
                service: str = "partnercentral-selling", region: str = "us-east-1", target: str = "ListSolutions"):
    """A request signed by botocore's signer at a chosen time, sent over plain HTTP."""
    when = when or dt.datetime.now(dt.UTC)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    payload = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=live.url + "/", data=payload, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSPartnerCentralSelling.{target}",
        "X-Amz-Date": amz_date, "Host": f"127.0.0.1:{live.port}"})
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(key_id, secret), service, region)
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    authorization = (f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
                     f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(request))}, Signature={signature}")
    return raw_call(live, payload, {**dict(request.headers), "Authorization": authorization})


def raw_call(live: LiveServer, payload: bytes, headers: dict):
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
    connection.request("POST", "/", body=payload, headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data) if data else None


@pytest.mark.backend
def test_signed_requests_work_and_belong_to_the_key_account(strict):
    live, keys = strict
    client = client_for(live, keys["alpha"])
    created = client.create_opportunity(**minimal())
    got = client.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])
    assert f":{keys['alpha']['AccountId']}:catalog/Sandbox/opportunity/" in got["Arn"]
    status, body = signed_call(live, keys["alpha"]["AccessKeyId"], keys["alpha"]["SecretAccessKey"], {"Catalog": "Sandbox"})
    assert status == 200 and body["SolutionSummaries"][0]["Id"] == "S-1234567"


def test_missing_authorization(strict):
    live, _ = strict
    status, body = raw_call(live, b'{"Catalog": "Sandbox"}', {
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSPartnerCentralSelling.ListSolutions"})
    assert (status, body["__type"], body["Message"]) == (403, "MissingAuthenticationTokenException",
                                                         "Missing Authentication Token")


@pytest.mark.parametrize("authorization", [
    "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE",
    "Basic dXNlcjpwYXNz",
    "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101, SignedHeaders=host, Signature=abc",
])
def test_malformed_authorization(strict, authorization):
    live, _ = strict
    status, body = raw_call(live, b'{"Catalog": "Sandbox"}', {
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSPartnerCentralSelling.ListSolutions",
        "X-Amz-Date": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"), "Authorization": authorization})
    assert (status, body["__type"]) == (400, "IncompleteSignatureException")


@pytest.mark.backend
def test_unknown_key(strict):
    live, _ = strict
    client = client_for(live, {"AccessKeyId": "AKIADOESNOTEXIST0000", "SecretAccessKey": "x" * 40})
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.list_solutions(Catalog="Sandbox")
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.backend
def test_revoked_key(strict):
    live, keys = strict
    client = client_for(live, keys["revoked"])
    client.list_solutions(Catalog="Sandbox")
    result = cosell("accounts", "revoke", keys["revoked"]["AccessKeyId"], *database_args(live.data_dir))
    assert result.returncode == 0, result.stderr
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.list_solutions(Catalog="Sandbox")
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_wrong_secret(strict):
    live, keys = strict
    client = client_for(live, {"AccessKeyId": keys["alpha"]["AccessKeyId"], "SecretAccessKey": "wrong" * 8})
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.list_solutions(Catalog="Sandbox")
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidSignatureException"
    assert error["Message"].startswith("The request signature we calculated does not match the signature you provided.")


def test_tampered_body(strict):
    live, keys = strict
    key = keys["alpha"]
    client = client_for(live, key)

    def tamper(request, **_):
        request.body = request.body.replace(b"Sandbox", b"SandBox")  # same length

    client.meta.events.register_first("before-send.partnercentral-selling.ListSolutions", tamper)
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.list_solutions(Catalog="Sandbox")
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_signature_expired_and_not_yet_current(strict):
    live, keys = strict
    key = keys["alpha"]
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    status, body = signed_call(live, key["AccessKeyId"], key["SecretAccessKey"], {"Catalog": "Sandbox"}, when=past)
    assert (status, body["__type"]) == (403, "InvalidSignatureException")
    assert body["Message"].startswith(f"Signature expired: {past.strftime('%Y%m%dT%H%M%SZ')} is now earlier than ")
    assert body["Message"].endswith(" - 15 min.)")
    future = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
    status, body = signed_call(live, key["AccessKeyId"], key["SecretAccessKey"], {"Catalog": "Sandbox"}, when=future)
    assert (status, body["__type"]) == (403, "InvalidSignatureException")
    assert body["Message"].startswith("Signature not yet current:")
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    status, _ = signed_call(live, key["AccessKeyId"], key["SecretAccessKey"], {"Catalog": "Sandbox"}, when=recent)
    assert status == 200


def test_wrong_region_or_service_in_scope(strict):
    live, keys = strict
    key = keys["alpha"]
    client = client_for(live, key, region="eu-west-1")
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.list_solutions(Catalog="Sandbox")
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "region" in raised.value.response["Error"]["Message"]
    status, body = signed_call(live, key["AccessKeyId"], key["SecretAccessKey"], {"Catalog": "Sandbox"}, service="execute-api")
    assert (status, body["__type"]) == (403, "InvalidSignatureException")
    assert "partnercentral-selling" in body["Message"]


@pytest.mark.backend
def test_two_accounts_cannot_see_each_other(strict):
    live, keys = strict
    alpha, beta = client_for(live, keys["alpha"]), client_for(live, keys["beta"])
    request = submittable(Customer={"Account": {**submittable()["Customer"]["Account"], "CompanyName": "Alpha Only Corp"}})
    request["Project"]["OtherSolutionDescription"] = "Custom"
    opportunity_id = alpha.create_opportunity(**request)["Id"]
    arn = alpha.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)["Arn"]
    alpha.start_engagement_from_opportunity_task(Catalog="Sandbox", Identifier=opportunity_id,
                                                 AwsSubmission={"InvolvementType": "Co-Sell"})

    with pytest.raises(beta.exceptions.ResourceNotFoundException):
        beta.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
    with pytest.raises(beta.exceptions.ResourceNotFoundException):
        beta.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=opportunity_id,
                                   RelatedEntityType="Solutions", RelatedEntityIdentifier="S-1234567")
    with pytest.raises(beta.exceptions.ResourceNotFoundException):
        beta.list_tags_for_resource(ResourceArn=arn)
    with pytest.raises(beta.exceptions.ResourceNotFoundException):
        beta.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=opportunity_id)
    assert beta.list_opportunities(Catalog="Sandbox", CustomerCompanyName=["Alpha Only Corp"])["OpportunitySummaries"] == []
    tasks = beta.list_engagement_from_opportunity_tasks(Catalog="Sandbox", OpportunityIdentifier=[opportunity_id])
    assert tasks["TaskSummaries"] == []
    listed = alpha.list_opportunities(Catalog="Sandbox", CustomerCompanyName=["Alpha Only Corp"])["OpportunitySummaries"]
    assert [s["Id"] for s in listed] == [opportunity_id]
    # The same ClientToken in two accounts makes two opportunities.
    shared = minimal(ClientToken="shared-token")
    assert alpha.create_opportunity(**shared)["Id"] != beta.create_opportunity(**shared)["Id"]


@pytest.mark.backend
def test_catalog_limited_key(strict):
    live, keys = strict
    client = client_for(live, keys["sandbox_only"])
    client.create_opportunity(**minimal())
    with pytest.raises(client.exceptions.AccessDeniedException) as raised:
        client.create_opportunity(**minimal(catalog="AWS"))
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raised.value.response["Error"]["Message"].startswith("Unable to handle request due to access denied")
    with pytest.raises(client.exceptions.AccessDeniedException):
        client.list_opportunities(Catalog="AWS")


@pytest.mark.backend
def test_read_only_key(strict):
    live, keys = strict
    client = client_for(live, keys["read_only"])
    assert [s["Id"] for s in client.list_solutions(Catalog="Sandbox")["SolutionSummaries"]] == ["S-1234567"]
    with pytest.raises(client.exceptions.AccessDeniedException):
        client.create_opportunity(**minimal())
    with pytest.raises(client.exceptions.AccessDeniedException):
        client.tag_resource(ResourceArn="arn:aws:partnercentral:us-east-1:123456789012:catalog/Sandbox/opportunity/O1",
                            Tags=[{"Key": "k", "Value": "v"}])


@pytest.mark.backend
def test_admin_endpoints_need_the_token(strict):
    live, keys = strict
    client = client_for(live, keys["alpha"])
    refused = cosell("solutions", "add", "--name", "X", "--category", "Y", "--endpoint-url", live.url,
                     env={"COSELL_ADMIN_TOKEN": ""})
    assert refused.returncode == 1 and "AccessDeniedException" in refused.stderr
    wrong = cosell("solutions", "add", "--name", "X", "--category", "Y", "--endpoint-url", live.url,
                   env={"COSELL_ADMIN_TOKEN": "guess"})
    assert wrong.returncode == 1
    allowed = cosell("solutions", "add", "--name", "Alpha Accelerator", "--category", "Y", "--account-id",
                     keys["alpha"]["AccountId"], "--endpoint-url", live.url, env={"COSELL_ADMIN_TOKEN": ADMIN_TOKEN})
    assert allowed.returncode == 0, allowed.stderr
    solution_id = json.loads(allowed.stdout)["Id"]
    assert [s["Name"] for s in client.list_solutions(Catalog="Sandbox", Identifier=[solution_id])["SolutionSummaries"]] == [
        "Alpha Accelerator"]
    other = client_for(live, keys["beta"])
    assert other.list_solutions(Catalog="Sandbox", Identifier=[solution_id])["SolutionSummaries"] == []

    opportunity_id = client.create_opportunity(**submittable(Project={**submittable()["Project"],
                                                                     "OtherSolutionDescription": "Custom"}))["Id"]
    client.start_engagement_from_opportunity_task(Catalog="Sandbox", Identifier=opportunity_id,
                                                  AwsSubmission={"InvolvementType": "Co-Sell"})
    reviewed = cosell("review", "approve", opportunity_id, "--account-id", keys["alpha"]["AccountId"],
                      "--endpoint-url", live.url, env={"COSELL_ADMIN_TOKEN": ADMIN_TOKEN})
    assert reviewed.returncode == 0, reviewed.stderr
    assert client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)["LifeCycle"]["ReviewStatus"] == "Approved"


def test_aws_cli_with_real_keys(strict, tmp_path):
    live, keys = strict
    env = {**os.environ, "AWS_ACCESS_KEY_ID": keys["beta"]["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": keys["beta"]["SecretAccessKey"], "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": str(tmp_path / "c"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "k")}
    result = subprocess.run([sys.executable, "-m", "awscli", "partnercentral-selling", "list-solutions", "--catalog",
                             "Sandbox", "--endpoint-url", live.url], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["SolutionSummaries"][0]["Id"] == "S-1234567"


def test_access_log_has_one_line_per_request_and_no_secrets(strict):
    live, keys = strict
    client = client_for(live, keys["alpha"])
    created = client.create_opportunity(**minimal(Customer={"Account": {
        **minimal()["Customer"]["Account"], "CompanyName": "Secretive Corp"}},
        OpportunityTeam=[{"BusinessTitle": "PartnerAccountManager", "Email": "pat@partner.example",
                          "FirstName": "Pat", "LastName": "Manager", "Phone": "+12065550123"}]))
    log = live.log_path.read_text()
    lines = [json.loads(line.split("cosell.access: ", 1)[1]) for line in log.splitlines() if "cosell.access: " in line]
    mine = [line for line in lines if line["operation"] == "CreateOpportunity" and line["status"] == 200
            and line["account"] == keys["alpha"]["AccountId"]]
    assert mine and set(mine[-1]) == {"requestId", "account", "operation", "status", "error", "latencyMs"}
    assert any(line["error"] == "UnrecognizedClientException" for line in lines)
    for key in keys.values():
        assert key["SecretAccessKey"] not in log
    assert client.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])["Customer"]["Account"][
        "CompanyName"] == "Secretive Corp"  # stored, and still not in the log
    for personal in ("Secretive Corp", "pat@partner.example", "+12065550123"):
        assert personal not in log


def test_open_mode_refuses_a_public_address(tmp_path):
    result = cosell("serve", "--host", "0.0.0.0", "--port", "1", "--data", str(tmp_path))
    assert result.returncode != 0
    assert "--auth open" in result.stderr and "--allow-open-auth" in result.stderr


@pytest.mark.backend
def test_open_mode_uses_a_known_key_account(tmp_path):
    data = tmp_path / "data"
    key = create_account(data, "Open Partner")
    live = LiveServer(data).start()
    try:
        created = client_for(live, key).create_opportunity(**minimal())
        arn = client_for(live, key).get_opportunity(Catalog="Sandbox", Identifier=created["Id"])["Arn"]
        assert f":{key['AccountId']}:" in arn
        anonymous = live.client()  # unknown key: the default account, which does not see it
        with pytest.raises(anonymous.exceptions.ResourceNotFoundException):
            anonymous.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])
    finally:
        live.stop()


@sqlite_only("the database file")
def test_database_file_is_private(strict):
    live, _ = strict
    for path in live.data_dir.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path


@pytest.mark.backend
def test_in_process_hook_signs_and_verifies_like_the_server(tmp_path):
    from cosell.control.accounts import create_account as create
    from cosell.gateway import Gateway
    from cosell.mock import attach
    from cosell.settings import Settings
    from cosell.store import Store
    from cosell.timestamps import utc_now

    store = Store(database_url(tmp_path))
    try:
        key = create(store, "In-process Partner", ("Sandbox",), False, utc_now())
        gateway = Gateway(Settings(data_dir=tmp_path, auth="strict"), store)
        good = boto3.client("partnercentral-selling", region_name="us-east-1", aws_access_key_id=key.access_key_id,
                            aws_secret_access_key=key.secret_access_key)
        attach(good, gateway)
        created = good.create_opportunity(**minimal())["Id"]
        assert good.get_opportunity(Catalog="Sandbox", Identifier=created)["Arn"].split(":")[4] == key.account_id
        bad = boto3.client("partnercentral-selling", region_name="us-east-1", aws_access_key_id=key.access_key_id,
                           aws_secret_access_key="not-the-secret", config=Config(retries={"total_max_attempts": 1}))
        attach(bad, gateway)
        with pytest.raises(bad.exceptions.ClientError) as raised:
            bad.list_solutions(Catalog="Sandbox")
        assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    finally:
        store.close()
