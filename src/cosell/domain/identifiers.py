"""Identifiers and ARNs in the formats the real service uses (reference §5.1)."""

import secrets

REGION = "us-east-1"
ARN_NAMESPACE = "partnercentral"  # the IAM/ARN namespace, not the signing name (reference §1.1)
# AWS takes part in engagements as the pseudo-account "aws": CreatedBy, SenderAwsAccountId, members
# (engagements.md §0.1, observed). The model's AwsAccount pattern ([0-9]{12}|\w{1,12}) admits it.
AWS_ACCOUNT = "aws"


def opportunity_id(number: int) -> str:
    return f"O{number}"


def opportunity_arn(account_id: str, catalog: str, opportunity_id: str) -> str:
    return f"arn:aws:{ARN_NAMESPACE}:{REGION}:{account_id}:catalog/{catalog}/opportunity/{opportunity_id}"


_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def random_identifier(prefix: str, length: int) -> str:
    """`prefix` + `length` random [0-9a-z] characters: the shape of task, engagement, invitation and
    snapshot-job identifiers (model patterns task-[0-9a-z]{13}, eng-[0-9a-z]{14}, engi-…{13}, job-…{13})."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _without_account(catalog: str, resource: str) -> str:
    """Engagement, invitation and task ARNs carry no account (observed: arn:aws:partnercentral:us-east-1::
    catalog/Sandbox/...; the model's invitation ARN pattern says otherwise and is contradicted by every
    response, engagements.md §8-1)."""
    return f"arn:aws:{ARN_NAMESPACE}:{REGION}::catalog/{catalog}/{resource}"


# The three engagement tasks, by the resource type their ARNs name (engagements.md §3).
ENGAGEMENT_FROM_OPPORTUNITY_TASK = "engagement-from-opportunity-task"
ENGAGEMENT_BY_ACCEPTING_INVITATION_TASK = "engagement-by-accepting-invitation-task"
OPPORTUNITY_FROM_ENGAGEMENT_TASK = "opportunity-from-engagement-task"


def task_arn(catalog: str, task_id: str, kind: str = ENGAGEMENT_FROM_OPPORTUNITY_TASK) -> str:
    return _without_account(catalog, f"{kind}/{task_id}")


def task_id() -> str:
    return random_identifier("task-", 13)


def resource_snapshot_job_id() -> str:
    return random_identifier("job-", 13)


def engagement_id() -> str:
    return random_identifier("eng-", 14)


def engagement_arn(catalog: str, identifier: str) -> str:
    return _without_account(catalog, f"engagement/{identifier}")


def invitation_id() -> str:
    return random_identifier("engi-", 13)


def invitation_arn(catalog: str, identifier: str) -> str:
    return _without_account(catalog, f"engagement-invitation/{identifier}")


def identified(identifier: str, catalog: str, resource: str) -> str | None:
    """The id an `...ArnOrIdentifier` member names: the id itself, or the last part of an ARN of
    `resource` in this catalog (None: an ARN of something else, or of another catalog)."""
    if not identifier.startswith("arn:"):
        return identifier
    parts = identifier.split(":", 5)
    path = parts[5].split("/") if len(parts) == 6 else []
    if (parts[:5] == ["arn", "aws", ARN_NAMESPACE, REGION, ""] and len(path) == 4
            and path[:3] == ["catalog", catalog, resource]):
        return path[3]
    return None


def solution_id(number: int) -> str:
    return f"S-{number:07d}"


def engagement_group_id() -> str:
    return random_identifier("eng-grp-", 14)


def engagement_group_arn(catalog: str, identifier: str) -> str:
    """No sample of a group ARN exists anywhere (engagements.md §1.6); cosell gives it the form of the
    other engagement ARNs."""
    return _without_account(catalog, f"engagement-group/{identifier}")


def prospecting_task_id() -> str:
    """task-[0-9a-z]{14}: prospecting tasks' ids are a character longer than the engagement tasks' (model)."""
    return random_identifier("task-", 14)


PROSPECTING_TASK = "prospecting-from-engagement-task"


def prospecting_context_id() -> str:
    """The model's EngagementProspectingResult.EngagementContextId, ctx-[0-9a-z]{14}."""
    return random_identifier("ctx-", 14)
