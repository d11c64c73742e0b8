"""Participants (the people and bots who take part) and their questionnaire answers."""

from django.db import models

from core.models.shared import SharedMixin
from core.polymorphism import PolymorphicModel
from core.validation import check_failed, failed_filter, is_subclass, type_filter


class ParticipantStatus(models.TextChoices):
    """Where a participant is in their lifecycle."""

    WORKING = "working"
    OVERRECRUITED = "overrecruited"
    RECRUITER_SUBMISSION_STARTED = "recruiter_submission_started"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    ABANDONED = "abandoned"
    DID_NOT_ATTEND = "did_not_attend"
    BAD_DATA = "bad_data"
    MISSING_NOTIFICATION = "missing_notification"
    REPLACED = "replaced"


class Participant(PolymorphicModel, SharedMixin):
    """A person (or bot) recruited to take part, identified by worker and assignment ids."""

    polymorphic_identity = "participant"

    fingerprint_hash = models.CharField(max_length=50, null=True, blank=True)
    recruiter_id = models.CharField(max_length=50, null=True, blank=True)
    worker_id = models.CharField(max_length=50)
    assignment_id = models.CharField(max_length=50, db_index=True)
    unique_id = models.CharField(max_length=150, db_index=True)
    hit_id = models.CharField(max_length=50)
    mode = models.CharField(max_length=50)
    end_time = models.DateTimeField(null=True, blank=True)
    base_pay = models.FloatField(null=True, blank=True)
    bonus = models.FloatField(null=True, blank=True)
    status = models.CharField(
        max_length=50, choices=ParticipantStatus.choices, default=ParticipantStatus.WORKING, db_index=True
    )
    entry_information = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "participant"
        indexes = [models.Index(fields=["worker_id"], name="participant_worker_id_idx")]
        # Moving money is more than reading the record: the dashboard asks for this besides staff.
        permissions = [("pay_participants", "Can approve, reject and pay participants")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ParticipantStatus.values), name="participant_status_valid"
            )
        ]

    def save(self, *args, **kwargs):
        """Derive `unique_id` ("<worker_id>:<assignment_id>") before the first save."""
        if not self.unique_id:
            self.unique_id = f"{self.worker_id}:{self.assignment_id}"
        super().save(*args, **kwargs)

    def __repr__(self):
        return f"Participant-{self.pk}-{self.type}"

    def json_data(self) -> dict:
        return {
            "type": self.type,
            "recruiter": self.recruiter_id,
            "assignment_id": self.assignment_id,
            "hit_id": self.hit_id,
            "mode": self.mode,
            "end_time": self.end_time,
            "base_pay": self.base_pay,
            "bonus": self.bonus,
            "status": self.status,
            "entry_information": self.entry_information,
            "object_type": "Participant",
        }

    def nodes(self, type=None, failed=False) -> list:
        """This participant's nodes, optionally of one Node class; `failed` is False, True or "all"."""
        from core.models.node import Node

        type = type or Node
        if not is_subclass(type, Node):
            raise TypeError(f"{type} is not a valid node type.")
        check_failed(failed, f"{failed} is not a valid node failed")
        return list(
            Node.objects.filter(participant=self, **failed_filter(failed), **type_filter(type)).order_by(
                "creation_time", "id"
            )
        )

    def questions(self, type=None) -> list:
        """This participant's questions (failed ones included), optionally of one Question class."""
        type = type or Question
        if not is_subclass(type, Question):
            raise TypeError(f"{type} is not a valid question type.")
        return list(Question.objects.filter(participant=self, **type_filter(type)).order_by("number", "id"))

    def infos(self, type=None, failed=False) -> list:
        """Infos made by any of this participant's nodes; `failed` filters the infos."""
        from core.models.info import Info

        type = type or Info
        if not is_subclass(type, Info):
            raise TypeError(f"{type} is not a valid info type.")
        check_failed(failed, f"{failed} is not a valid info failed")
        return list(
            Info.objects.filter(origin__participant=self, **failed_filter(failed), **type_filter(type)).order_by(
                "creation_time", "id"
            )
        )

    @property
    def failure_cascade(self) -> list:
        return [lambda: self.nodes(), lambda: self.questions()]


class Question(PolymorphicModel, SharedMixin):
    """One answer of a participant to a question (the questionnaire is stored as JSON text)."""

    polymorphic_identity = "question"
    constructor_arguments = ("participant", "question", "response", "number")

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, null=True, blank=True, related_name="all_questions"
    )
    number = models.IntegerField()
    question = models.TextField()
    response = models.TextField()

    class Meta:
        db_table = "question"

    def save(self, *args, **kwargs):
        """Refuse new questions from a failed participant."""
        if self._state.adding and self.participant is not None and self.participant.failed:
            raise ValueError(f"{self.participant!r} cannot create a question as it has failed")
        super().save(*args, **kwargs)

    def __repr__(self):
        return f"Question-{self.pk}-{self.type}"

    def json_data(self) -> dict:
        return {
            "number": self.number,
            "type": self.type,
            "participant_id": self.participant_id,
            "question": self.question,
            "response": self.response,
            "object_type": "Question",
        }
