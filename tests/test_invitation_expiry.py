"""Invitations expire 15 days after they are sent (model, DG-mp), on cosell's clock: `cosell clock advance
15d` and the invitation is EXPIRED, on read at once and recorded by the sweeper; the clock and the expiry
survive a restart. SigV4 stays on wall time."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from conftest import LiveServer
from opportunity_requests import minimal
from partners import SANDBOX, aws_refers, cosell, cosell_json, partner_client, received, start_partners

# Engagements, invitations and tasks are joined, filtered on JSON members and on the clock: SQLite and
# PostgreSQL each answer them (CI runs this module on both).
pytestmark = pytest.mark.backend


def clock(live: LiveServer, *args: str) -> dict:
    return cosell_json("clock", *args, "--endpoint-url", live.url)


def test_expiry_through_the_clock(tmp_path):
    data = tmp_path / "data"
    live, partners = start_partners(data, {"alpha": ("Alpha Partner", None)})
    alpha = partners["alpha"]
    try:
        referral = aws_refers(live, alpha)
        invitation = alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"])
        assert invitation["Status"] == "PENDING"

        before = clock(live, "show")
        assert before["Frozen"] is False and abs(before["OffsetSeconds"]) < 1
        moved = clock(live, "advance", "14d23h")
        assert 14 * 86400 + 23 * 3600 - 5 < moved["OffsetSeconds"] < 15 * 86400
        assert alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"])["Status"] \
            == "PENDING"
        clock(live, "advance", "1h")
        expired = alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"])
        assert expired["Status"] == "EXPIRED" and "Payload" not in expired
        assert [s["Id"] for s in received(alpha, Status=["EXPIRED"])] == [referral["InvitationId"]]
        assert received(alpha, Status=["PENDING"]) == []
        for act in (lambda: alpha.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"]),
                    lambda: alpha.client.start_engagement_by_accepting_invitation_task(
                        Catalog=SANDBOX, Identifier=referral["InvitationId"])):
            with pytest.raises(alpha.client.exceptions.ConflictException, match="has expired"):
                act()

        # What cosell writes now carries the moved time; SigV4 still verifies on wall time.
        created = alpha.client.create_opportunity(**minimal())
        assert created["LastModifiedDate"].timestamp() > time.time() + 14 * 86400
        with urllib.request.urlopen(live.url + "/_cosell/clock") as response:
            assert json.loads(response.read())["OffsetSeconds"] >= 15 * 86400

        # The sweeper recorded it; both the clock and the expiry outlive a restart.
        live.stop()
        live = LiveServer(data, port=live.port, extra_args=live.extra_args).start()
        client = partner_client(live, alpha.key)
        assert client.get_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"])["Status"] == "EXPIRED"
        assert clock(live, "show")["OffsetSeconds"] >= 15 * 86400

        frozen = clock(live, "set", "2027-01-01T00:00:00Z", "--frozen")
        assert frozen == {**frozen, "Now": "2027-01-01T00:00:00.000Z", "Frozen": True}
        assert clock(live, "reset")["Frozen"] is False and abs(clock(live, "show")["OffsetSeconds"]) < 1
        result = cosell("clock", "advance", "fortnight", "--endpoint-url", live.url)
        assert result.returncode == 1 and "not a duration" in result.stderr
    finally:
        live.stop()

