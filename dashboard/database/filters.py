"""List filters that narrow a table to the rows related to one row (`?participant=5`), which the
links between rows use; each shows in the sidebar while it is applied."""

import functools
import operator

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q


class RelatedRowFilter(admin.SimpleListFilter):
    """The rows related to the row whose id is the parameter's value, through any of `fields`."""

    #: The lookups (`origin__participant_id`, ...) that relate a row to the named one; any matches.
    fields: tuple[str, ...] = ()

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, f"{self.title} {value}")] if value else []

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not value.isdigit():
            raise IncorrectLookupParameters(f"{value!r} is not the id of a row.")
        return queryset.filter(self.condition(int(value)))

    @classmethod
    def condition(cls, pk: int) -> Q:
        """The rows related to row `pk`, as a query condition."""
        return functools.reduce(operator.or_, (Q(**{field: pk}) for field in cls.fields))


def related_filter(parameter: str, title: str, *fields: str) -> type[RelatedRowFilter]:
    """A filter taking the id of a row as `?<parameter>=<id>`, relating through `fields`."""
    return type(
        f"{parameter.title()}RowFilter",
        (RelatedRowFilter,),
        {"parameter_name": parameter, "title": title, "fields": fields},
    )
