"""Recruiter event notifications and recruitment requests."""

from django.db import models

from core.models.shared import SharedMixin


class Notification(SharedMixin):
    """An event reported by a recruiter about an assignment (AssignmentSubmitted, ...)."""

    assignment_id = models.TextField(db_index=True)
    event_type = models.TextField()

    class Meta:
        db_table = "notification"

    def __repr__(self):
        return f"Notification-{self.pk}-{self.event_type}"


class Recruitment(SharedMixin):
    """A request made to a recruiter for more participants."""

    recruiter_id = models.CharField(max_length=50, null=True, blank=True)

    class Meta:
        db_table = "recruitment"

    def __repr__(self):
        return f"Recruitment-{self.pk}-{self.recruiter_id}"
