"""Operation handlers by AWS operation name: `handler(ctx, request) -> result dict`."""

from cosell.operations.opportunities import create_opportunity, get_opportunity

OPERATIONS = {
    "CreateOpportunity": create_opportunity,
    "GetOpportunity": get_opportunity,
}
