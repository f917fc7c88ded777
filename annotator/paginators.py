"""Pagination for tables of millions of rows: counting stops at a cap, so a page view never
runs a full COUNT(*) over the table."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """Counts at most `count_cap` rows; past that, the admin shows the cap as the total
    ("10000 annotations", pages up to the cap), which is all a person pages through anyway.
    Search and filters narrow the list to what is wanted."""

    count_cap = 10_000

    @cached_property
    def count(self) -> int:
        # Ordering is irrelevant to a count and would make the database sort before limiting.
        return self.object_list.order_by()[: self.count_cap].count()
