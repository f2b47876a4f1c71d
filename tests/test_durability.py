"""An acknowledged create survives kill -9 of the server and a restart; a failed one leaves nothing."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import LiveServer, sqlite_only
from cosell.gateway import RawRequest
from cosell.store.client_tokens import ClientTokenRepository
from cosell.store.opportunities import OpportunityRepository
from cosell.store.sqlite.group_commit import GroupCommitWriter
from opportunity_requests import minimal


def api_request(operation: str, body: dict) -> RawRequest:
    """A request as the server hands it to the gateway (for tests that drive handle_async themselves)."""
    return RawRequest("POST", "/", {"content-type": "application/x-amz-json-1.0", "host": "x",
                                    "x-amz-target": f"AWSPartnerCentralSelling.{operation}"},
                      json.dumps(body).encode())


@pytest.mark.backend
def test_acknowledged_creates_survive_kill_9(tmp_path):
    data = tmp_path / "data"
    live = LiveServer(data).start()
    acknowledged: list[str] = []
    lock = threading.Lock()
    try:
        client = live.client()

        def create(_):
            try:
                opportunity_id = client.create_opportunity(**minimal())["Id"]
            except Exception:  # requests cut by the kill were never acknowledged
                return
            with lock:
                acknowledged.append(opportunity_id)
                if len(acknowledged) == 150:
                    live.kill()  # kill -9 while other requests are in flight

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(create, range(400)))
    finally:
        live.kill()
    assert 150 <= len(acknowledged) < 400

    restarted = LiveServer(data).start()
    try:
        client = restarted.client()
        for opportunity_id in acknowledged:
            assert client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)["Id"] == opportunity_id
        # Numbering carries on after the highest acknowledged id.
        following = int(client.create_opportunity(**minimal())["Id"][1:])
        assert following > max(int(i[1:]) for i in acknowledged)
    finally:
        restarted.stop()


@pytest.mark.backend
def test_unexpected_failure_is_an_internal_server_error_that_leaves_nothing(in_process, monkeypatch, caplog):
    _gateway, client = in_process
    before = int(client.create_opportunity(**minimal())["Id"][1:])
    request = minimal()

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ClientTokenRepository, "remember", broken)
    with pytest.raises(ClientError) as raised:
        client.create_opportunity(**request)
    error = raised.value.response
    assert error["Error"]["Code"] == "InternalServerException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert error["ResponseMetadata"]["RequestId"] in error["Error"]["Message"]
    assert "disk on fire" not in error["Error"]["Message"]
    assert "disk on fire" in caplog.text  # logged on the server side

    monkeypatch.undo()
    # The opportunity row and the id written before the failure were rolled back with it.
    retried = client.create_opportunity(**request)
    assert int(retried["Id"][1:]) == before + 1
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_opportunity(Catalog="Sandbox", Identifier=f"O{before + 2}")


@sqlite_only("the group commit's fsync")
@pytest.mark.parametrize("path", ["handle", "handle_async", "handle_async, synced on the loop"])
def test_a_batch_that_cannot_be_made_durable_is_a_500(in_process, monkeypatch, path):
    """Both request paths (in-process and server) answer an AWS-shaped 500 when the group commit's
    fsync fails: the write is never acknowledged (whether it survives a crash is then unknown). On an
    event loop that has nothing else to do, the loop fsyncs its batches itself; the same holds there."""
    gateway, _client = in_process
    failing_syncs_on = []

    def failing_sync(_writer):
        failing_syncs_on.append(threading.current_thread())
        return OSError(5, "Input/output error")

    if path == "handle":
        monkeypatch.setattr(GroupCommitWriter, "_sync", failing_sync)
        response = gateway.handle(api_request("CreateOpportunity", minimal()))
    else:
        async def serve() -> list:
            responses = []
            if path == "handle_async, synced on the loop":
                # Lone requests: the syncer sees the loop idle while it syncs, so the loop takes over.
                for _ in range(2):
                    responses.append(await gateway.handle_async(api_request("CreateOpportunity", minimal())))
                monkeypatch.setattr(GroupCommitWriter, "_sync", failing_sync)
            else:
                monkeypatch.setattr(GroupCommitWriter, "_sync", failing_sync)
            responses.append(await gateway.handle_async(api_request("CreateOpportunity", minimal())))
            return responses

        *earlier, response = asyncio.run(serve())
        assert [r.status for r in earlier] == [200] * len(earlier)
        synced_on_the_loop = failing_syncs_on == [threading.main_thread()]
        assert synced_on_the_loop == (path == "handle_async, synced on the loop")
    body = json.loads(response.body)
    assert (response.status, body["__type"]) == (500, "InternalServerException")
    assert response.headers["x-amzn-RequestId"] in body["Message"]


@sqlite_only("the group commit's batches")
def test_a_create_that_fails_after_writing_undoes_its_whole_group_commit(in_process, monkeypatch, caplog):
    """CreateOpportunity writes without a savepoint of its own (all its checks come first): if it fails
    after writing anyway (here: storing the opportunity), the batch it shares with another create is
    rolled back, so neither is acknowledged and nothing of either is kept; both can be sent again."""
    gateway, _client = in_process
    first, second = minimal(), minimal()
    original, inserts = OpportunityRepository.insert, []

    def second_insert_fails(self, *args, **kwargs):
        inserts.append(args)
        if len(inserts) == 2:
            raise RuntimeError("disk on fire")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(OpportunityRepository, "insert", second_insert_fails)

    async def both_at_once():  # one event loop: the two creates join one batch
        return await asyncio.gather(gateway.handle_async(api_request("CreateOpportunity", first)),
                                    gateway.handle_async(api_request("CreateOpportunity", second)))

    responses = asyncio.run(both_at_once())
    assert len(inserts) == 2
    for response in responses:
        body = json.loads(response.body)
        assert (response.status, body["__type"]) == (500, "InternalServerException")
    assert "disk on fire" in caplog.text

    monkeypatch.undo()
    again = [json.loads(gateway.handle(api_request("CreateOpportunity", body)).body) for body in (first, second)]
    # No number, token or row of the undone batch was kept: the ids start over, and there are two.
    assert [answer["Id"] for answer in again] == ["O1000000", "O1000001"]
    listed = json.loads(gateway.handle(api_request("ListOpportunities", {"Catalog": "Sandbox"})).body)
    assert sorted(summary["Id"] for summary in listed["OpportunitySummaries"]) == ["O1000000", "O1000001"]
