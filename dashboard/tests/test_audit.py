"""Dashboard actions are recorded with who took them."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model

from dashboard.audit import action_record

pytestmark = pytest.mark.django_db


def test_an_action_is_recorded_with_its_user_and_row(make_participant, caplog):
    user = get_user_model().objects.create_user("experimenter", is_staff=True)
    participant = make_participant()

    with caplog.at_level("INFO", logger="dashboard.audit"):
        action_record(user=user, action="failed participant", detail="stuck on page 2", obj=participant)

    entry = LogEntry.objects.get()
    assert entry.user == user and entry.object_id == str(participant.pk)
    assert entry.change_message == "failed participant: stuck on page 2"
    assert "experimenter failed participant: stuck on page 2" in caplog.text


def test_an_action_on_no_row_is_recorded_under_its_name():
    user = get_user_model().objects.create_user("experimenter", is_staff=True)

    action_record(user=user, action="paused recruitment")

    entry = LogEntry.objects.get()
    assert entry.content_type is None and entry.object_repr == "paused recruitment"
