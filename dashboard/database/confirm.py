"""The confirmation step of the dashboard's table actions: a page that names the selected rows
and posts the same action back, marked confirmed, to the same list."""

from dataclasses import dataclass

from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from dashboard.database.display import change_url

#: The field a confirmation page posts; an action acts only when it is there.
CONFIRMED = "confirmed"
#: Rows named on a confirmation page (the others are counted).
SHOWN_ROWS = 100


@dataclass(frozen=True)
class Button:
    """A submit button of the confirmation form; `name`/`value` are posted when it is pressed."""

    label: str
    name: str = ""
    value: str = ""


def rows_phrase(queryset) -> str:
    """`this node` or `these 3 nodes`: the selection, named for a question."""
    options = queryset.model._meta
    count = queryset.count()
    return f"this {options.verbose_name}" if count == 1 else f"these {count} {options.verbose_name_plural}"


def is_confirmed(request) -> bool:
    """Whether the action was posted from its confirmation page."""
    return request.POST.get(CONFIRMED) == "yes"


def confirmation_page(
    modeladmin, request, queryset, *, title: str, question: str, buttons=(Button("Yes, I'm sure"),),
    form=None, warning: str = "", status: int = 200,
) -> TemplateResponse:  # fmt: skip
    """The page asking to confirm `request`'s action on the rows of `queryset`: `question`,
    the rows (the first SHOWN_ROWS linked), an optional `form` for the action's input, and
    `buttons` that post it all back confirmed."""
    options = modeladmin.model._meta
    count = queryset.count()
    shown = list(queryset.order_by("pk")[:SHOWN_ROWS])
    select_across = request.POST.get("select_across") == "1"
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "question": question,
        "warning": warning,
        "opts": options,
        "rows": [
            {"label": f"{type(row).__name__} {row.pk}", "url": change_url(modeladmin.model, row.pk),
             "note": modeladmin.confirmation_note(row)}
            for row in shown
        ],  # fmt: skip
        "more": count - len(shown),
        "count": count,
        "form": form,
        "buttons": buttons,
        "action": request.POST.get("action", ""),
        "select_across": select_across,
        # Across every page, one id keeps Django's action handling going; the list's own
        # filters (the URL's query string) name the rows.
        "selected_ids": [shown[0].pk] if select_across and shown else [row.pk for row in queryset.order_by("pk")],
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirmed_name": CONFIRMED,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "dashboard/database/confirm_action.html", context, status=status)
