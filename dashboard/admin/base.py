"""What every table of the dashboard shares: browse-only rows, readable JSON, links to related
rows, and the actions on a selection (export; for the record, fail and the experiment's own)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models

from dashboard.database.actions import experiment_actions, export_selected, fail_selected
from dashboard.database.display import json_block, json_short, links, list_url, row_link, shortened
from dashboard.database.filters import RelatedRowFilter

#: The columns every row of the record has (core.models.SharedMixin), in the order shown.
SHARED_COLUMNS = ("creation_time", "failed", "failed_reason", "time_of_death", "details", "property1", "property2",
                  "property3", "property4", "property5")  # fmt: skip


def pretty_json(field_name: str, description: str | None = None):
    """An admin display of the JSON column `field_name`, indented in a <pre> and escaped."""

    @admin.display(description=description or field_name.replace("_", " "))
    def show(modeladmin, row):
        return json_block(getattr(row, field_name))

    show.__name__ = f"{field_name}_pretty"
    return show


class BrowseAdmin(admin.ModelAdmin):
    """A table to browse: no adding, changing or deleting rows (the record is append-only;
    rows are failed, not removed). The detail page shows every column read-only, JSON columns
    indented, and links to the rows related to it; the list can export a selection."""

    list_per_page = 50
    show_full_result_count = False
    actions = [export_selected]
    #: Columns left off the detail page.
    hidden_fields: tuple[str, ...] = ()
    #: Columns shown on the detail page by another display (`{"participant_id": "participant_link"}`).
    replaced_fields: dict[str, str] = {}
    #: Related rows linked from a row's page: (text, model, the filter parameter of that
    #: model's list that takes this row's id).
    related: tuple[tuple[str, type, str], ...] = ()

    class Media:
        css = {"all": ("dashboard/database/database.css",)}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        if self.fields:
            return self.fields
        columns = self.model._meta.concrete_model._meta.concrete_fields
        own = [field for field in columns if field.name not in SHARED_COLUMNS]
        shared = sorted((field for field in columns if field.name in SHARED_COLUMNS), key=lambda field:
                        SHARED_COLUMNS.index(field.name))  # fmt: skip
        # What the row is about first, then its related rows, then the columns every row has.
        names = [self._detail_name(field) for field in own if field.name not in self.hidden_fields]
        if self.related:
            names.append("related_rows")
        return names + [self._detail_name(field) for field in shared]

    def _detail_name(self, field) -> str:
        if field.name in self.replaced_fields:
            return self.replaced_fields[field.name]
        if isinstance(field, models.JSONField):
            # Shown by the display `<column>_pretty` the admin defines with `pretty_json`.
            return f"{field.name}_pretty"
        return field.name

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="related rows")
    def related_rows(self, row):
        """Links to the rows related to this one, with how many there are."""
        items = []
        for text, model, parameter in self.related:
            condition = _related_condition(self.admin_site, model, parameter, row.pk)
            count = model._meta.concrete_model.objects.filter(condition).count() if condition is not None else None
            label = text if count is None else f"{text} ({count})"
            items.append((label, list_url(model, **{parameter: row.pk})))
        return links(items)

    @admin.display(description="related")
    def related_list(self, row):
        """Links to the rows related to this one (no counts: one query per list)."""
        return links((text, list_url(model, **{parameter: row.pk})) for text, model, parameter in self.related)

    def confirmation_note(self, row) -> str:
        """What a confirmation page says about a selected row beside its name."""
        return getattr(row, "type", "") or ""

    def response_action(self, request, queryset):
        # Django's action handling turns a malformed row id into a server error; answer it
        # with a message instead, changing nothing.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if any(not value.isdigit() for value in selected):
            self.message_user(request, "Those are not ids of rows: nothing was done.", messages.ERROR)
            return None
        return super().response_action(request, queryset)


class RecordAdmin(BrowseAdmin):
    """A table of the experimental record: its rows can also be failed, and the experiment's
    own database actions run on them."""

    actions = [fail_selected, export_selected]

    details_pretty = pretty_json("details")

    def get_actions(self, request):
        found = super().get_actions(request)
        found.update(experiment_actions(self, request))
        return found


def _related_condition(site, model, parameter: str, pk):
    """The condition of the filter `parameter` of `model`'s list, for row `pk` (None without it)."""
    model_admin = site._registry.get(model._meta.concrete_model)
    for list_filter in getattr(model_admin, "list_filter", ()):
        if isinstance(list_filter, type) and issubclass(list_filter, RelatedRowFilter):
            if list_filter.parameter_name == parameter:
                return list_filter.condition(pk)
    return None


def linked_id(attname: str, model, description: str):
    """A list column showing the id in column `attname` as a link to that row of `model`."""

    @admin.display(description=description, ordering=attname)
    def show(modeladmin, row):
        return row_link(model, getattr(row, attname))

    show.__name__ = f"{attname}_link"
    return show


def short_text(attname: str, description: str):
    """A list column showing text column `attname` on one line, cut short."""

    @admin.display(description=description)
    def show(modeladmin, row):
        return shortened(getattr(row, attname))

    show.__name__ = f"{attname}_short"
    return show


def short_json(attname: str, description: str):
    """A list column showing JSON column `attname` on one line, cut short."""

    @admin.display(description=description)
    def show(modeladmin, row):
        return json_short(getattr(row, attname))

    show.__name__ = f"{attname}_short"
    return show
