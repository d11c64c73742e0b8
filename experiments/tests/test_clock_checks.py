"""The clock's checks against the running experiment: participants who overran the duration,
recruiter status polling for every recruiter, idle recruitment; and each run twice at once
against PostgreSQL with one effect."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from core.models import Participant, ParticipantStatus, Recruitment
from experiments.tests.api_support import hook_names
from recruitment import clock, events, host, tasks
from recruitment.base import LAUNCH_RECORD, RECRUITERS, HotAirRecruiter, register
from recruitment.models import ExperimenterEmail
from tests.threads import at_once

APP_ID = "clock-test"


class Asked(HotAirRecruiter):
    """A recruiter whose platform answers from `answers` (assignment id → what happened) and
    that records every call made of it, in the class's `calls`."""

    nickname = "asked"
    answers: dict = {}
    calls: list = []
    polling_needed = False
    slow = 0.0
    while_asking = None

    def verify_status_of(self, participants):
        self.calls.append(("verify_status_of", sorted(p.pk for p in participants)))
        threading.Event().wait(self.slow)  # a platform that takes its time
        if self.while_asking:
            self.while_asking()
        done = dict.fromkeys(self.STATUS_COUNTS, 0)
        runtime = host.current()
        experiment = runtime.experiment()
        for participant in participants:
            answer = self.answers.get(participant.assignment_id)
            with transaction.atomic():  # each row locked and committed on its own, as the contract says
                locked = Participant.objects.select_for_update().get(pk=participant.pk)
                if answer == "submitted" and locked.status in events.SUBMITTABLE:
                    runtime.process_submission(experiment, locked)
                    done["processed"] += 1
                elif answer == "abandoned":
                    done["AssignmentAbandoned"] += events.assignment_end(
                        experiment=experiment, participant=locked, event="AssignmentAbandoned"
                    )
        return done

    def status_polling_needed(self):
        return self.polling_needed

    def close_recruitment(self):
        self.calls.append(("close_recruitment",))


class Quiet(HotAirRecruiter):
    """A recruiter with no platform to ask (the default `verify_status_of`)."""

    nickname = "quiet"
    calls: list = []

    def close_recruitment(self):
        self.calls.append(("close_recruitment",))


@pytest.fixture(autouse=True)
def recruiters():
    Asked.answers, Asked.calls, Asked.polling_needed, Asked.slow, Quiet.calls = {}, [], False, 0.0, []
    Asked.while_asking = None
    register(Asked)
    register(Quiet)
    yield
    del RECRUITERS["asked"], RECRUITERS["quiet"]


@pytest.fixture
def experiment(recording):
    """The `recording` experiment with the clock on, a one-hour duration and auto_recruit on."""
    recording(id=APP_ID, clock_on=True, duration=1.0, auto_recruit=True, whimsical=False)
    return host.current().experiment()


def started(minutes_ago: float, *, recruiter="asked", assignment_id=None, status="working") -> Participant:
    number = Participant.objects.count() + 1
    participant = Participant.objects.create(
        recruiter_id=recruiter, worker_id=f"w{number}", assignment_id=assignment_id or f"a{number}",
        unique_id=f"w{number}:a{number}", hit_id="h", mode="debug", status=status,
    )  # fmt: skip
    Participant.objects.filter(pk=participant.pk).update(creation_time=timezone.now() - timedelta(minutes=minutes_ago))
    participant.refresh_from_db()
    return participant


def status_of(participant) -> str:
    return Participant.objects.values_list("status", flat=True).get(pk=participant.pk)


def emails(kind: str) -> list[ExperimenterEmail]:
    return list(ExperimenterEmail.objects.filter(kind=kind))


# Overdue participants ----------------------------------------------------------------------


def test_a_participant_is_overdue_only_past_the_duration_and_two_minutes_of_grace(experiment):
    now = timezone.now()
    within = started(60 + 1.9)
    past = started(60 + 2.1)

    found = clock.overdue_check(experiment=experiment, now=now)

    assert found["overdue"] == 1
    assert (status_of(within), status_of(past)) == ("working", "missing_notification")


def test_a_participant_nobody_can_tell_about_is_marked_missing_and_recruitment_stops(
    experiment, django_capture_on_commit_callbacks
):
    lost = started(90, recruiter="quiet", assignment_id="A-lost")

    with django_capture_on_commit_callbacks(execute=True):  # the email is sent once this commits
        found = clock.overdue_check(experiment=experiment)

    assert found == {"overdue": 1, "resubmitted": 0, "unsubmitted": 1, "recruitment_stopped": True}
    assert status_of(lost) == ParticipantStatus.MISSING_NOTIFICATION
    assert experiment.config.get("auto_recruit") is False  # for every process: the shared setting
    assert Quiet.calls == [("close_recruitment",)]
    [cancelled] = emails("cancelled")
    assert cancelled.subject == "Dallinger automated email - major error."
    assert "A-lost" in cancelled.body and "auto_recruit" in cancelled.body
    assert [message.subject for message in mail.outbox] == [cancelled.subject]  # sent (debug mode: the backend)


def test_an_abandonment_the_recruiter_reports_runs_the_hook_and_stops_recruitment(experiment):
    gone = started(90, assignment_id="A-gone")
    Asked.answers = {"A-gone": "abandoned"}

    found = clock.overdue_check(experiment=experiment)

    assert Asked.calls == [("verify_status_of", [gone.pk]), ("close_recruitment",)]
    assert status_of(gone) == ParticipantStatus.ABANDONED
    assert hook_names().count("assignment_abandoned") == 1
    assert found["recruitment_stopped"] and len(emails("cancelled")) == 1


def test_a_submission_the_recruiter_has_but_we_missed_is_processed_and_reported(experiment):
    finished = started(90, assignment_id="A-done")
    Asked.answers = {"A-done": "submitted"}

    found = clock.overdue_check(experiment=experiment)

    assert status_of(finished) == ParticipantStatus.APPROVED
    assert found == {"overdue": 1, "resubmitted": 1, "unsubmitted": 0, "recruitment_stopped": False}
    [resubmitted] = emails("resubmitted")
    assert resubmitted.subject == "Dallinger automated email - minor error." and "A-done" in resubmitted.body
    assert experiment.config.get("auto_recruit") is True and emails("cancelled") == []


def test_without_disable_when_duration_exceeded_recruitment_goes_on(experiment):
    experiment.config.set("disable_when_duration_exceeded", False)
    lost = started(90, recruiter="quiet")

    found = clock.overdue_check(experiment=experiment)

    assert status_of(lost) == ParticipantStatus.MISSING_NOTIFICATION
    assert not found["recruitment_stopped"]
    assert experiment.config.get("auto_recruit") is True and Quiet.calls == [] and emails("cancelled") == []


def test_a_recruiter_that_cannot_be_asked_leaves_its_participants_for_the_next_run(experiment, monkeypatch):
    waiting = started(90)

    def unreachable(self, participants):
        raise ConnectionError("the platform is down")

    monkeypatch.setattr(Asked, "verify_status_of", unreachable)
    found = clock.overdue_check(experiment=experiment)

    assert found["unsubmitted"] == 0 and status_of(waiting) == "working"
    assert not ExperimenterEmail.objects.exists()


def test_the_overdue_check_runs_only_with_the_clock_on(experiment):
    experiment.config.set("clock_on", False)
    waiting = started(90, recruiter="quiet")

    assert tasks.participants_overdue_check() is None
    assert status_of(waiting) == "working"


def test_a_second_overdue_check_changes_nothing_more(experiment):
    started(90, recruiter="quiet")
    clock.overdue_check(experiment=experiment)

    again = clock.overdue_check(experiment=experiment)

    assert again == {"overdue": 0, "resubmitted": 0, "unsubmitted": 0, "recruitment_stopped": False}
    assert Quiet.calls == [("close_recruitment",)] and len(emails("cancelled")) == 1


# Recruiter status polling ------------------------------------------------------------------


def test_status_polling_asks_a_recruiter_that_needs_it_even_with_the_clock_off(experiment):
    experiment.config.set("clock_on", False)
    Asked.polling_needed = True
    returned = started(5, assignment_id="A-ret")
    started(5, recruiter="quiet")
    Asked.answers = {"A-ret": "abandoned"}

    done = tasks.recruiter_status_check()

    assert done["AssignmentAbandoned"] == 1 and status_of(returned) == ParticipantStatus.ABANDONED
    assert Asked.calls == [("verify_status_of", [returned.pk])]


def test_status_polling_asks_every_recruiter_with_the_clock_on_and_none_without(experiment):
    mine = started(5)
    started(5, recruiter="quiet")

    assert tasks.recruiter_status_check() == dict.fromkeys(Asked.STATUS_COUNTS, 0)
    assert Asked.calls == [("verify_status_of", [mine.pk])]

    experiment.config.set("clock_on", False)
    assert tasks.recruiter_status_check() is None
    assert len(Asked.calls) == 1


# Idle recruitment --------------------------------------------------------------------------


def launched_with_places(places: int, minutes_ago: float) -> None:
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    Recruitment.objects.create(recruiter_id=LAUNCH_RECORD)
    Recruitment.objects.bulk_create([Recruitment(recruiter_id="hotair") for _ in range(places)])
    Recruitment.objects.update(creation_time=moment)


def test_open_places_nobody_takes_are_reported_once_per_idle_period(experiment):
    experiment.config.set("idle_recruitment_minutes", 60)
    launched_with_places(3, minutes_ago=120)
    started(90, recruiter="hotair", status="approved")

    first = clock.idle_check(experiment=experiment)
    again = clock.idle_check(experiment=experiment)

    assert first is not None and again is None
    assert first.subject == "Idle Experiment." and "2 place(s)" in first.body
    # Someone joins: the idle period ends. When it has lasted an hour again, one more email.
    arrival = started(1, recruiter="hotair", status="approved")
    assert clock.idle_check(experiment=experiment) is None
    Participant.objects.filter(pk=arrival.pk).update(creation_time=timezone.now() - timedelta(minutes=61))
    assert clock.idle_check(experiment=experiment) is not None
    assert len(emails("idle")) == 2


def test_no_idle_notice_when_every_place_is_taken_or_the_check_is_off(experiment):
    experiment.config.set("idle_recruitment_minutes", 60)
    launched_with_places(1, minutes_ago=120)
    started(90, recruiter="hotair", status="approved")
    assert clock.idle_check(experiment=experiment) is None

    Recruitment.objects.create(recruiter_id="hotair")
    Recruitment.objects.update(creation_time=timezone.now() - timedelta(minutes=120))
    experiment.config.set("idle_recruitment_minutes", 0)
    assert clock.idle_check(experiment=experiment) is None
    assert not ExperimenterEmail.objects.exists()


def test_the_idle_check_waits_the_configured_time_dallinger_six_hours_by_default(experiment):
    launched_with_places(2, minutes_ago=300)
    assert clock.idle_check(experiment=experiment) is None
    Recruitment.objects.update(creation_time=timezone.now() - timedelta(minutes=361))
    assert clock.idle_check(experiment=experiment) is not None


def test_the_checks_are_scheduled(settings):
    tasks_scheduled = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks_scheduled["recruitment.tasks.participants_overdue_check"] == 30.0
    assert tasks_scheduled["recruitment.tasks.recruitment_idle_check"] == 60.0
    assert tasks_scheduled["recruitment.tasks.settle_overdue"] == 300.0


# Each check twice at once, against PostgreSQL ----------------------------------------------


def twice_at_once(check) -> list:
    """`check()` twice at once, against PostgreSQL (two threads, two connections); the results."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    return at_once(check, times=2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overdue_checks_at_once_end_recruitment_once(experiment):
    gone = started(90, assignment_id="A-gone")
    Asked.answers, Asked.slow = {"A-gone": "abandoned"}, 0.3

    twice_at_once(tasks.participants_overdue_check)

    assert status_of(gone) == ParticipantStatus.ABANDONED
    assert hook_names().count("assignment_abandoned") == 1
    assert Asked.calls.count(("close_recruitment",)) == 1
    assert len(emails("cancelled")) == 1 and len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_status_polls_at_once_change_a_participant_once(experiment):
    returned = started(5, assignment_id="A-ret")
    Asked.answers, Asked.slow = {"A-ret": "abandoned"}, 0.3

    results = twice_at_once(tasks.recruiter_status_check)

    assert status_of(returned) == ParticipantStatus.ABANDONED
    assert hook_names().count("assignment_abandoned") == 1
    assert Asked.calls == [("verify_status_of", [returned.pk])]  # the second run found the lock taken
    assert sorted(result is None for result in results) == [False, True]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_participant_the_check_is_done_with_is_not_kept_locked_while_a_platform_answers(experiment):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    done_with = started(90, recruiter="quiet")  # marked missing_notification first
    started(90, assignment_id="A-slow")
    lockable = []

    def lock_the_first():
        # What a request of that participant does meanwhile: lock their row.
        with transaction.atomic():
            lockable.append(Participant.objects.select_for_update(nowait=True).filter(pk=done_with.pk).exists())

    Asked.while_asking = staticmethod(lambda: lockable.extend(at_once(lambda: lock_the_first() or True, times=1)))

    clock.overdue_check(experiment=experiment)

    assert status_of(done_with) == ParticipantStatus.MISSING_NOTIFICATION
    assert lockable == [True, True]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_idle_checks_at_once_send_one_email(experiment):
    experiment.config.set("idle_recruitment_minutes", 60)
    launched_with_places(3, minutes_ago=120)

    results = twice_at_once(tasks.recruitment_idle_check)

    assert sorted(results) == [False, True]
    assert len(emails("idle")) == 1 and [message.subject for message in mail.outbox] == ["Idle Experiment."]
