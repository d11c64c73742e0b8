"""The emails sent to the experimenter (recruitment/notices): what each said and whether it went out."""

from django.contrib import admin

from dashboard.admin.base import BrowseAdmin
from recruitment.models import ExperimenterEmail


@admin.register(ExperimenterEmail)
class ExperimenterEmailAdmin(BrowseAdmin):
    """Each notice once: error reports, overdue participants, idle recruitment, the budget.
    `not_sent` says why (no recipient configured, or the mail server's refusal)."""

    list_display = ("id", "kind", "subject", "state", "created_at", "sent_at")
    list_filter = ("kind", "state")
    search_fields = ("key", "subject")
