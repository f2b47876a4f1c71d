"""List queries (ListOpportunities, ListSolutions, ListEngagementFromOpportunityTasks): keyset pages
served from indexes."""

from __future__ import annotations


class ListQueries:
    pass
