"""Identifiers and ARNs in the formats the real service uses (reference §5.1)."""

REGION = "us-east-1"
ARN_NAMESPACE = "partnercentral"  # the IAM/ARN namespace, not the signing name (reference §1.1)


def opportunity_id(number: int) -> str:
    return f"O{number}"


def opportunity_arn(account_id: str, catalog: str, opportunity_id: str) -> str:
    return f"arn:aws:{ARN_NAMESPACE}:{REGION}:{account_id}:catalog/{catalog}/opportunity/{opportunity_id}"
