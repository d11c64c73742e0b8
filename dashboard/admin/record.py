"""The experimental record in the admin: read-only tables to browse and search during a run.

Rows are never edited or deleted here (the record is append-only; objects are failed, not
removed); the dashboard's own monitoring views build on these tables.
"""

from django.contrib import admin

from core.models import (
    Info,
    Network,
    Node,
    Notification,
    Participant,
    Question,
    Recruitment,
    Transformation,
    Transmission,
    Vector,
)
from recruitment.models import LedgerNotice, Payment, ProlificStudy, RecruitmentRefusal, WebhookEvent


class RecordAdmin(admin.ModelAdmin):
    """Browse-only: no adding, changing or deleting rows of the record."""

    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Participant)
class ParticipantAdmin(RecordAdmin):
    list_display = ("id", "status", "recruiter_id", "assignment_id", "hit_id", "mode", "base_pay", "bonus",
                    "creation_time", "end_time", "failed")  # fmt: skip
    list_filter = ("status", "recruiter_id", "mode", "failed")
    search_fields = ("=id", "assignment_id", "hit_id")


@admin.register(Network)
class NetworkAdmin(RecordAdmin):
    list_display = ("id", "type", "role", "max_size", "full", "creation_time", "failed")
    list_filter = ("type", "role", "full", "failed")


@admin.register(Node)
class NodeAdmin(RecordAdmin):
    list_display = ("id", "type", "network_id", "participant_id", "creation_time", "failed")
    list_filter = ("type", "failed")
    search_fields = ("=id", "=network__id", "=participant__id")


@admin.register(Info)
class InfoAdmin(RecordAdmin):
    list_display = ("id", "type", "origin_id", "network_id", "short_contents", "creation_time", "failed")
    list_filter = ("type", "failed")
    search_fields = ("=id", "=origin__id", "contents")

    @admin.display(description="contents")
    def short_contents(self, info):
        text = info.contents or ""
        return text if len(text) <= 80 else text[:77] + "…"


@admin.register(Vector)
class VectorAdmin(RecordAdmin):
    list_display = ("id", "origin_id", "destination_id", "network_id", "creation_time", "failed")
    list_filter = ("failed",)


@admin.register(Transmission)
class TransmissionAdmin(RecordAdmin):
    list_display = ("id", "info_id", "origin_id", "destination_id", "status", "creation_time", "receive_time",
                    "failed")  # fmt: skip
    list_filter = ("status", "failed")


@admin.register(Transformation)
class TransformationAdmin(RecordAdmin):
    list_display = ("id", "type", "info_in_id", "info_out_id", "node_id", "creation_time", "failed")
    list_filter = ("type", "failed")


@admin.register(Question)
class QuestionAdmin(RecordAdmin):
    list_display = ("id", "participant_id", "number", "question", "response", "creation_time")
    search_fields = ("=participant__id", "question")


@admin.register(Notification)
class NotificationAdmin(RecordAdmin):
    list_display = ("id", "event_type", "assignment_id", "creation_time")
    list_filter = ("event_type",)
    search_fields = ("assignment_id",)


@admin.register(Recruitment)
class RecruitmentAdmin(RecordAdmin):
    list_display = ("id", "recruiter_id", "creation_time")
    list_filter = ("recruiter_id",)


@admin.register(Payment)
class PaymentAdmin(RecordAdmin):
    """The payment ledger: what was owed, paid, failed, or cut short (`unknown`: check it on
    the recruiter's site)."""

    list_display = ("id", "kind", "state", "amount", "currency", "recruiter", "assignment_id", "participant_id",
                    "attempts", "created_at", "sent_at")  # fmt: skip
    list_filter = ("state", "kind", "recruiter")
    search_fields = ("assignment_id", "=participant_id", "key", "external_id", "setup_id")


@admin.register(RecruitmentRefusal)
class RecruitmentRefusalAdmin(RecordAdmin):
    """Places a budget cap kept a recruiter from adding, with the reason."""

    list_display = ("id", "recruiter", "requested", "allowed", "price", "currency", "reason", "created_at")


@admin.register(LedgerNotice)
class LedgerNoticeAdmin(RecordAdmin):
    """Notices sent to the experimenter about money (80 % of the budget, the cap)."""

    list_display = ("id", "message", "created_at")


@admin.register(ProlificStudy)
class ProlificStudyAdmin(RecordAdmin):
    """The Prolific study each experiment recruits through."""

    list_display = ("experiment", "study_id", "status", "currency", "created_at", "updated_at")


@admin.register(WebhookEvent)
class WebhookEventAdmin(RecordAdmin):
    """Platforms' webhook deliveries, kept once per event id, with what was done with each."""

    list_display = ("id", "source", "event_type", "resource_id", "outcome", "timestamp", "received_at", "processed_at")
    list_filter = ("source", "event_type", "outcome")
    search_fields = ("=event_id", "resource_id")
