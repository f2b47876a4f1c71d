"""Get/PutSellingSystemSettings: the role resource snapshot jobs run as, per account and catalog."""

from __future__ import annotations

import pytest

from conftest import attached_client
from cosell.control.accounts import create_account
from cosell.timestamps import utc_now

# A table of its own, written and read back: SQLite and PostgreSQL each answer it.
pytestmark = pytest.mark.backend

ROLE = "arn:aws:iam::123456789012:role/PartnerCentralResourceSnapshotJobRole"


def test_a_role_is_put_read_back_per_catalog_and_cleared(in_process):
    gateway, client = in_process
    never = client.get_selling_system_settings(Catalog="Sandbox")
    assert never["Catalog"] == "Sandbox" and never.get("ResourceSnapshotJobRoleArn") is None

    put = client.put_selling_system_settings(Catalog="Sandbox", ResourceSnapshotJobRoleIdentifier=ROLE)
    assert (put["Catalog"], put["ResourceSnapshotJobRoleArn"]) == ("Sandbox", ROLE)
    assert client.get_selling_system_settings(Catalog="Sandbox")["ResourceSnapshotJobRoleArn"] == ROLE
    assert client.get_selling_system_settings(Catalog="AWS").get("ResourceSnapshotJobRoleArn") is None

    # A bare role name is the caller's role (the model's pattern takes both; the answer is an ARN).
    named = client.put_selling_system_settings(Catalog="AWS", ResourceSnapshotJobRoleIdentifier="SnapshotJobs")
    assert named["ResourceSnapshotJobRoleArn"] == "arn:aws:iam::123456789012:role/SnapshotJobs"

    # Another account has settings of its own.
    key = create_account(gateway.store, "Other Partner", ("Sandbox", "AWS"), False, utc_now())
    other = attached_client(gateway, key.access_key_id, key.secret_access_key)
    assert other.get_selling_system_settings(Catalog="Sandbox").get("ResourceSnapshotJobRoleArn") is None

    cleared = client.put_selling_system_settings(Catalog="Sandbox")
    assert cleared.get("ResourceSnapshotJobRoleArn") is None
    assert client.get_selling_system_settings(Catalog="Sandbox").get("ResourceSnapshotJobRoleArn") is None


def test_an_invalid_role_is_refused_naming_the_field(in_process):
    _gateway, client = in_process
    with pytest.raises(client.exceptions.ValidationException) as refused:
        client.put_selling_system_settings(Catalog="Sandbox", ResourceSnapshotJobRoleIdentifier="arn:aws:iam::12:user/x")
    [entry] = refused.value.response["ErrorList"]
    assert entry["FieldName"] == "resourceSnapshotJobRoleIdentifier"
