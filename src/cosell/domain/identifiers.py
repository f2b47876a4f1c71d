"""Identifiers and ARNs in the formats the real service uses (reference §5.1)."""

import secrets

REGION = "us-east-1"
ARN_NAMESPACE = "partnercentral"  # the IAM/ARN namespace, not the signing name (reference §1.1)


def opportunity_id(number: int) -> str:
    return f"O{number}"


def opportunity_arn(account_id: str, catalog: str, opportunity_id: str) -> str:
    return f"arn:aws:{ARN_NAMESPACE}:{REGION}:{account_id}:catalog/{catalog}/opportunity/{opportunity_id}"


_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def random_identifier(prefix: str, length: int) -> str:
    """`prefix` + `length` random [0-9a-z] characters: the shape of task, engagement, invitation and
    snapshot-job identifiers (model patterns task-[0-9a-z]{13}, eng-[0-9a-z]{14}, engi-…{13}, job-…{13})."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def task_arn(catalog: str, task_id: str) -> str:
    # Task ARNs carry no account (observed: arn:aws:partnercentral:us-east-1::catalog/Sandbox/...).
    return f"arn:aws:{ARN_NAMESPACE}:{REGION}::catalog/{catalog}/engagement-from-opportunity-task/{task_id}"


def solution_id(number: int) -> str:
    return f"S-{number:07d}"
