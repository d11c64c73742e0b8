"""The record's people and their traces: participants (with approve, reject and bonus actions),
their questionnaire answers, recruiters' notifications and error reports, recruitment requests.

A participant's worker id names them on the recruiter's site: it is shown on their own page
(to find them there), searchable by exact value, and never shown in a list or exported.
"""

from django.contrib import admin

from core.models import Info, Node, Notification, Participant, Question, Recruitment
from dashboard.admin.base import RecordAdmin, linked_id, pretty_json, short_json, short_text
from dashboard.database.actions import export_selected, fail_selected
from dashboard.database.filters import related_filter
from dashboard.database.review_actions import (
    approve_participants,
    bonus_participants,
    pay_action_refused,
    reject_participants,
)
from dashboard.permissions import may_pay
from recruitment.models import Payment


@admin.register(Participant)
class ParticipantAdmin(RecordAdmin):
    list_display = ("id", "type", "status", "recruiter_id", "assignment_id", "hit_id", "mode", "base_pay", "bonus",
                    "related_list", "creation_time", "end_time", "failed")  # fmt: skip
    list_filter = ("status", "recruiter_id", "mode", "failed", "type")
    search_fields = ("=id", "assignment_id", "hit_id", "=worker_id")
    search_help_text = "An id, assignment id or HIT id (part of it), or a worker id (exactly)."
    actions = [approve_participants, reject_participants, bonus_participants, fail_selected, export_selected]
    # The worker id is shown once, by itself; these repeat it or add nothing an experimenter uses.
    hidden_fields = ("unique_id", "fingerprint_hash")
    entry_information_pretty = pretty_json("entry_information", "entry information")
    related = (
        ("nodes", Node, "participant"),
        ("infos", Info, "participant"),
        ("questions", Question, "participant"),
        ("payments", Payment, "participant"),
    )

    def confirmation_note(self, row) -> str:
        return f"{row.status}, recruited by {row.recruiter_id or 'hotair'}"

    def has_pay_permission(self, request) -> bool:
        """Who may use the actions that move money (their `permissions=["pay"]`)."""
        return may_pay(request.user)

    def response_action(self, request, queryset):
        if pay_action_refused(self, request):
            return None
        return super().response_action(request, queryset)


@admin.register(Question)
class QuestionAdmin(RecordAdmin):
    list_display = ("id", "participant_link", "number", "question_short", "response_short", "creation_time",
                    "failed")  # fmt: skip
    list_filter = (related_filter("participant", "participant", "participant_id"), "type", "failed")
    search_fields = ("=id", "question", "response")
    participant_link = linked_id("participant_id", Participant, "participant")
    question_short = short_text("question", "question")
    response_short = short_text("response", "response")


@admin.register(Notification)
class NotificationAdmin(RecordAdmin):
    """Recruiters' events about assignments, and participants' error reports (ExperimentError)."""

    list_display = ("id", "event_type", "assignment_id", "details_short", "creation_time", "failed")
    list_filter = ("event_type", "failed")
    search_fields = ("=id", "assignment_id")
    details_short = short_json("details", "details")


@admin.register(Recruitment)
class RecruitmentAdmin(RecordAdmin):
    list_display = ("id", "recruiter_id", "creation_time", "failed")
    list_filter = ("recruiter_id", "failed")
