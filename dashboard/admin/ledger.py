"""Recruitment's tables: the payment ledger and its settlements, budget refusals and notices,
the Prolific study, and the platforms' webhook deliveries.

A payout's worker id and key (which may repeat the worker id) are shown on its own page only.
"""

from django.contrib import admin

from core.models import Participant
from dashboard.admin.base import BrowseAdmin, linked_id, pretty_json
from dashboard.database.filters import related_filter
from recruitment.models import (
    LedgerNotice,
    Payment,
    ProlificStudy,
    RecruitmentRefusal,
    SubmissionSettlement,
    WebhookEvent,
)

PARTICIPANT = related_filter("participant", "participant", "participant_id")


@admin.register(Payment)
class PaymentAdmin(BrowseAdmin):
    """The payment ledger: what was owed, paid, failed, or cut short (`unknown`: check it on
    the recruiter's site)."""

    list_display = ("id", "kind", "state", "amount", "currency", "recruiter", "assignment_id", "participant_link",
                    "attempts", "created_at", "sent_at")  # fmt: skip
    list_filter = (PARTICIPANT, "state", "kind", "recruiter")
    search_fields = ("assignment_id", "=participant_id", "key", "external_id", "setup_id")
    replaced_fields = {"participant_id": "participant_link"}
    participant_link = linked_id("participant_id", Participant, "participant")


@admin.register(SubmissionSettlement)
class SubmissionSettlementAdmin(BrowseAdmin):
    """What each processed submission still owed: its payouts and the recruitment after it."""

    list_display = ("id", "key", "participant_link", "recruit", "recruited_at", "created_at")
    list_filter = (PARTICIPANT, "recruit")
    search_fields = ("key", "=participant_id")
    replaced_fields = {"participant_id": "participant_link"}
    participant_link = linked_id("participant_id", Participant, "participant")


@admin.register(RecruitmentRefusal)
class RecruitmentRefusalAdmin(BrowseAdmin):
    """Places a budget cap kept a recruiter from adding, with the reason."""

    list_display = ("id", "recruiter", "requested", "allowed", "price", "currency", "reason", "created_at")
    list_filter = ("recruiter",)


@admin.register(LedgerNotice)
class LedgerNoticeAdmin(BrowseAdmin):
    """Notices sent to the experimenter about money (80 % of the budget, the cap)."""

    list_display = ("id", "message", "created_at")


@admin.register(ProlificStudy)
class ProlificStudyAdmin(BrowseAdmin):
    """The Prolific study each experiment recruits through."""

    list_display = ("experiment", "study_id", "status", "currency", "created_at", "updated_at")
    completion_codes_pretty = pretty_json("completion_codes", "completion codes")


@admin.register(WebhookEvent)
class WebhookEventAdmin(BrowseAdmin):
    """Platforms' webhook deliveries, kept once per event id, with what was done with each."""

    list_display = ("id", "source", "event_type", "resource_id", "outcome", "timestamp", "received_at", "processed_at")
    list_filter = ("source", "event_type", "outcome")
    search_fields = ("=event_id", "resource_id")
    body_pretty = pretty_json("body")
