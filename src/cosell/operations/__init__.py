"""Operation handlers by AWS operation name: `handler(ctx, request) -> result dict`."""

from cosell.operations.listing import list_engagement_from_opportunity_tasks, list_opportunities, list_solutions
from cosell.operations.associations import associate_opportunity, disassociate_opportunity
from cosell.operations.engagements import (
    get_aws_opportunity_summary,
    start_engagement_from_opportunity_task,
    submit_opportunity,
)
from cosell.operations.opportunities import assign_opportunity, create_opportunity, get_opportunity, update_opportunity
from cosell.operations.tags import list_tags_for_resource, tag_resource, untag_resource

OPERATIONS = {
    "CreateOpportunity": create_opportunity,
    "GetOpportunity": get_opportunity,
    "UpdateOpportunity": update_opportunity,
    "AssignOpportunity": assign_opportunity,
    "AssociateOpportunity": associate_opportunity,
    "DisassociateOpportunity": disassociate_opportunity,
    "StartEngagementFromOpportunityTask": start_engagement_from_opportunity_task,
    "SubmitOpportunity": submit_opportunity,
    "GetAwsOpportunitySummary": get_aws_opportunity_summary,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "ListOpportunities": list_opportunities,
    "ListSolutions": list_solutions,
    "ListEngagementFromOpportunityTasks": list_engagement_from_opportunity_tasks,
}
