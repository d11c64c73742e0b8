"""Actions on the rows selected in a table of the record: fail them, export them, or run one of
the experiment's own database actions. Each asks for confirmation, then acts and is recorded
in the dashboard's audit log."""

import logging

from django.contrib import admin, messages

from dashboard.audit import action_record
from dashboard.database.confirm import Button, confirmation_page, is_confirmed, rows_phrase
from dashboard.database.experiment_actions import action_list, action_run
from dashboard.database.export import FORMATS, selection_download
from dashboard.database.rows import row_data
from experiments import runtime

logger = logging.getLogger(__name__)

#: Row ids named in an audit record (the others are counted).
AUDITED_IDS = 50
#: Prefix of the admin action names of the experiment's database actions.
EXPERIMENT_ACTION_PREFIX = "experiment:"
#: The experiment's action that the dashboard's own "fail" action already offers.
FAIL_ACTION = "dashboard_fail"


def selection_text(queryset) -> str:
    """`"Node 3, 4 and 5"`-style naming of the selected rows, for the audit record."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: AUDITED_IDS + 1])
    shown = ", ".join(str(pk) for pk in ids[:AUDITED_IDS])
    more = f" and {queryset.count() - AUDITED_IDS} more" if len(ids) > AUDITED_IDS else ""
    return f"{queryset.model._meta.concrete_model.__name__} {shown}{more}"


def _record(request, queryset, action: str, detail: str) -> None:
    rows = list(queryset[:2])
    action_record(
        user=request.user,
        action=action,
        detail=f"{selection_text(queryset)}: {detail}" if detail else selection_text(queryset),
        obj=rows[0] if len(rows) == 1 else None,
    )


@admin.action(description="Fail selected rows (and what depends on them)")
def fail_selected(modeladmin, request, queryset):
    """Fail the rows with their failure cascade, through the experiment's `dashboard_fail`."""
    name = queryset.model._meta.verbose_name_plural
    if not is_confirmed(request):
        return confirmation_page(
            modeladmin, request, queryset, title=f"Fail {name}",
            question=f"Fail {rows_phrase(queryset)}? What depends on them is failed too (Dallinger's failure "
                     "cascade: a participant's nodes and answers, a node's vectors, infos and transmissions…). "
                     "Failing cannot be undone.",
            buttons=(Button("Yes, fail them"),),
        )  # fmt: skip
    _run_and_report(modeladmin, request, queryset, FAIL_ACTION, "failed rows", listed_only=False)
    return None


@admin.action(description="Export selected rows (CSV or JSON)")
def export_selected(modeladmin, request, queryset):
    """Download the selected rows as CSV or JSON (identifying columns left out)."""
    export_format = request.POST.get("format", "")
    if not is_confirmed(request) or export_format not in FORMATS:
        name = queryset.model._meta.verbose_name_plural
        return confirmation_page(
            modeladmin, request, queryset, title=f"Export {name}",
            question=f"Download {rows_phrase(queryset)}? Worker ids and what repeats them are left out; "
                     "the whole export (Lifecycle) has everything.",
            buttons=(Button("Download CSV", "format", "csv"), Button("Download JSON", "format", "json")),
        )  # fmt: skip
    response = selection_download(queryset, export_format)
    _record(request, queryset, "exported rows", export_format.upper())
    return response


def experiment_actions(modeladmin, request) -> dict:
    """The experiment's database actions as admin actions of a table of the record:
    `{admin name: (function, admin name, title)}`; its `dashboard_fail` is the table's own
    "fail" action."""
    try:
        experiment = runtime.experiment()
    except Exception:
        logger.exception("The experiment could not be loaded: its database actions are not offered.")
        return {}
    found = {}
    for action in action_list(experiment):
        if action["name"] == FAIL_ACTION:
            continue
        admin_name = EXPERIMENT_ACTION_PREFIX + action["name"]
        found[admin_name] = (_experiment_action(action["name"], action["title"]), admin_name, action["title"])
    return found


def _experiment_action(name: str, title: str):
    def run(modeladmin, request, queryset):
        if not is_confirmed(request):
            return confirmation_page(
                modeladmin, request, queryset, title=title,
                question=f"Run the experiment's action “{title}” on {rows_phrase(queryset)}?",
                buttons=(Button(f"Yes, {title}"),),
            )  # fmt: skip
        _run_and_report(modeladmin, request, queryset, name, f"ran the experiment's action {name}")
        return None

    run.__name__ = f"experiment_action_{name}"
    return run


def _run_and_report(modeladmin, request, queryset, name: str, audit_action: str, *, listed_only=True) -> None:
    # The table's own "fail" calls the experiment's `dashboard_fail` even when the experiment
    # does not list it among the actions it offers.
    data = [row_data(row) for row in queryset.order_by("pk")]
    try:
        result = action_run(experiment=runtime.experiment(), name=name, data=data, listed_only=listed_only)
    except Exception as error:
        logger.exception("The database action %s failed.", name)
        modeladmin.message_user(
            request, f"The action {name} failed ({type(error).__name__}: {error}); nothing was changed.", messages.ERROR
        )
        return
    message = str(result.get("message") or f"{name} done.")
    modeladmin.message_user(request, message, messages.SUCCESS)
    _record(request, queryset, audit_action, message)
