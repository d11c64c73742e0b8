"""The clock's checks, run by celery beat (recruitment/tasks.py): participants who overran the
duration, recruiter status polling, and recruitment that has fallen idle.

Each check may be started by two beat processes, or run twice by workers, at the same time.
The two that ask a platform and change participants hold a PostgreSQL advisory lock for the
whole run (the second run skips); every email is one row with a unique key
(recruitment/notices/outbox.py), and recruitment is stopped only by the run that wrote the
"cancelled" email. A participant's status changes under their row lock, and only from
`working`, so a rerun changes nothing twice.

No transaction stays open across a run: the lock is the connection's (`lock_held_try`), and
each participant's change commits on its own (the recruiters lock and commit each row, as
`Recruiter.verify_status_of` says). One transaction around the run would keep every row it
changed locked, and so every request of those participants waiting, while the platforms
answer about the others.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from core.fetch import by_pk
from core.locks import lock_held_try
from core.models import Participant, ParticipantStatus, Recruitment
from recruitment import events, host
from recruitment.base import LAUNCH_RECORD, Recruiter, RecruiterError
from recruitment.models import Payment
from recruitment.notices.outbox import experimenter_notify
from recruitment.recruiters import nickname_of, participant_recruiter

logger = logging.getLogger(__name__)

#: Dallinger's allowance past `duration` before a participant counts as overdue.
GRACE = timedelta(seconds=120)
#: Held while the overdue check runs, and while status polling runs.
OVERDUE_LOCK = "recruitment:overdue-check"
STATUS_CHECK_LOCK = "recruitment:status-check"
#: Where a participant the platform reported on ends up, after the overdue check asked.
UNSUBMITTED = {ParticipantStatus.ABANDONED, ParticipantStatus.RETURNED, ParticipantStatus.MISSING_NOTIFICATION}
RESUBMITTED = {
    ParticipantStatus.SUBMITTED, ParticipantStatus.APPROVED, ParticipantStatus.BAD_DATA,
    ParticipantStatus.DID_NOT_ATTEND,
}  # fmt: skip


# Overdue participants ----------------------------------------------------------------------


def participants_overdue(*, config, now: datetime) -> list[Participant]:
    """Participants still `working` longer than `duration` hours plus GRACE (none without a duration)."""
    duration = config.get("duration")
    if not duration:
        return []
    started_before = now - timedelta(hours=float(duration)) - GRACE
    return list(
        Participant.objects.filter(status=ParticipantStatus.WORKING, creation_time__lt=started_before).order_by("pk")
    )


def overdue_check(*, experiment, now: datetime | None = None) -> dict | None:
    """With `clock_on`: ask each overdue participant's recruiter about them
    (`verify_status_of`), mark those it leaves `working` `missing_notification`, email the
    "resubmitted" notice for each whose missed submission was processed, and, with
    `disable_when_duration_exceeded`, stop recruiting when any did not submit. What it found,
    or None when it did not run (clock off, or another run holds the lock)."""
    config = experiment.config
    if not config.get("clock_on"):
        return None
    now = now or timezone.now()
    with lock_held_try(OVERDUE_LOCK) as taken:
        if not taken:
            logger.info("An overdue check is already running; this one is skipped.")
            return None
        overdue = participants_overdue(config=config, now=now)
        found = {"overdue": len(overdue), "resubmitted": 0, "unsubmitted": 0, "recruitment_stopped": False}
        unsubmitted: list[tuple[Participant, Recruiter | None]] = []
        for recruiter, group in _by_recruiter(experiment, overdue):
            logger.warning(
                "%s participant(s) of recruiter %s have worked longer than the duration allows: %s.",
                len(group), recruiter.nickname if recruiter else "(not installed)", [p.pk for p in group],
            )  # fmt: skip
            if recruiter is not None:
                try:
                    recruiter.verify_status_of(group)
                except Exception:
                    # The platform could not be asked: nothing is concluded until the next run.
                    logger.exception("Asking recruiter %s about overdue participants failed.", recruiter.nickname)
                    continue
            for participant in group:
                outcome = _after_asking(experiment, participant)
                if outcome == "resubmitted":
                    found["resubmitted"] += 1
                    _notify(experiment, "resubmitted", participant, recruiter, now, unsubmitted=0)
                elif outcome == "unsubmitted":
                    unsubmitted.append((participant, recruiter))
        found["unsubmitted"] = len(unsubmitted)
        if unsubmitted and config.get("disable_when_duration_exceeded"):
            found["recruitment_stopped"] = _recruitment_stop(experiment, unsubmitted, now)
    return found


def _by_recruiter(experiment, participants):
    """(recruiter, its participants) pairs; the recruiter is None when it is not installed."""
    groups = defaultdict(list)
    for participant in participants:
        groups[nickname_of(participant.recruiter_id)].append(participant)
    for group in groups.values():
        try:
            recruiter = participant_recruiter(experiment=experiment, participant=group[0])
        except RecruiterError:
            recruiter = None
        yield recruiter, group


def _after_asking(experiment, participant) -> str:
    """What the recruiter's answer made of an overdue participant: "resubmitted" (a missed
    submission processed), "unsubmitted" (ended, or now marked missing_notification), or
    "other" (approved or rejected by the platform, changed meanwhile)."""
    with transaction.atomic():
        locked = by_pk(Participant, participant.pk, lock="no_key_update")
        if locked is None:
            return "other"
        if locked.status == ParticipantStatus.WORKING:
            # Nobody told us what became of them: their notification went missing.
            events.assignment_end(experiment=experiment, participant=locked, event="NotificationMissing")
            logger.warning("Participant %s is overdue and no notice came: missing_notification.", locked.pk)
        participant.status = locked.status
    if locked.status in RESUBMITTED:
        return "resubmitted"
    if locked.status in UNSUBMITTED:
        return "unsubmitted"
    return "other"


def _recruitment_stop(experiment, unsubmitted, now) -> bool:
    """Turn auto_recruit off, close recruitment through the recruiters of the participants who
    did not submit, and email the "cancelled" notice about the first; only in the run whose
    email is new (the unique key), so a rerun stops nothing twice. Whether it stopped."""
    first, recruiter = unsubmitted[0]
    # The email and the switch together: a run that fails to turn auto_recruit off leaves no
    # email behind to stop the next run from trying again. The platforms are called after.
    with transaction.atomic():
        email = _notify(experiment, "cancelled", first, recruiter, now, unsubmitted=len(unsubmitted))
        if email is None:
            return False
        host.current().auto_recruit_off()
    closed = set()
    for _, recruiter in unsubmitted:
        if recruiter is None or recruiter.nickname in closed:
            continue
        closed.add(recruiter.nickname)
        try:
            recruiter.close_recruitment()
        except Exception:
            logger.exception("Closing recruitment through recruiter %s failed.", recruiter.nickname)
    logger.error(
        "Recruitment stopped: %s participant(s) overran the duration without submitting "
        "(disable_when_duration_exceeded).", len(unsubmitted),
    )  # fmt: skip
    return True


def _notify(experiment, kind: str, participant, recruiter, now, *, unsubmitted: int):
    config = experiment.config
    allowed = float(config.get("duration") or 0) * 60
    active = (now - participant.creation_time).total_seconds() / 60
    return experimenter_notify(
        config=config,
        kind=kind,
        key=f"{kind}:{config.get('id') or ''}:{participant.pk}",
        facts={
            "app_id": config.get("id"),
            "assignment_id": participant.assignment_id,
            "participant_id": participant.pk,
            "recruiter": recruiter.nickname if recruiter else participant.recruiter_id,
            "when": now.strftime("%Y-%m-%d %H:%M UTC"),
            "allowed_minutes": f"{allowed:.0f}",
            "active_minutes": f"{active:.0f}",
            "excess_minutes": f"{active - allowed:.0f}",
            "unsubmitted": unsubmitted,
        },
    )


# Recruiter status polling ------------------------------------------------------------------


def status_poll(*, experiment) -> dict | None:
    """Bring participants whose status may still change (working or submitting, or with a
    payout owed) in step with their recruiters (`verify_status_of`). A recruiter is polled
    when `clock_on` is true or it says it needs polling (Prolific without webhooks). The
    counts of what was done, summed over recruiters, or None when no recruiter was polled."""
    clock_on = bool(experiment.config.get("clock_on"))
    with lock_held_try(STATUS_CHECK_LOCK) as taken:
        if not taken:
            logger.info("A status check is already running; this one is skipped.")
            return None
        done: dict[str, int] | None = None
        for recruiter, group in _by_recruiter(experiment, _participants_to_check()):
            if recruiter is None or not (clock_on or recruiter.status_polling_needed()):
                continue
            done = done or dict.fromkeys(Recruiter.STATUS_COUNTS, 0)
            try:
                counts = recruiter.verify_status_of(group) or {}
            except Exception:
                # One platform out of reach must not keep the others' participants waiting.
                logger.exception("Polling recruiter %s for its participants' statuses failed.", recruiter.nickname)
                continue
            for key, value in counts.items():
                done[key] = done.get(key, 0) + value
        return done


def _participants_to_check() -> list[Participant]:
    """Participants whose submission may still change something here: those still working or
    submitting, and those with a payout not yet made."""
    owed = Payment.objects.filter(
        state=Payment.State.INTENDED, kind__in=(Payment.Kind.BASE, Payment.Kind.BONUS)
    ).values("participant_id")
    return list(Participant.objects.filter(Q(status__in=events.SUBMITTABLE) | Q(pk__in=owed)).order_by("pk"))


# Idle recruitment --------------------------------------------------------------------------


def idle_check(*, experiment, now: datetime | None = None):
    """Email the "idle" notice when places are open (requested and not yet taken) and nobody
    has joined, nor were more places requested, for `idle_recruitment_minutes` (0: never).
    Once per idle period: the period is named by its last activity, so the next arrival
    starts a new one. The email written, or None."""
    config = experiment.config
    minutes = int(config.get("idle_recruitment_minutes") or 0)
    if minutes <= 0:
        return None
    now = now or timezone.now()
    places = Recruitment.objects.exclude(recruiter_id=LAUNCH_RECORD)
    wanted = places.count() - Participant.objects.count()
    if wanted <= 0 or not Recruitment.objects.filter(recruiter_id=LAUNCH_RECORD).exists():
        return None
    moments = [
        places.aggregate(last=Max("creation_time"))["last"],
        Participant.objects.aggregate(last=Max("creation_time"))["last"],
    ]
    last_activity = max(moment for moment in moments if moment is not None)
    if now - last_activity < timedelta(minutes=minutes):
        return None
    email = experimenter_notify(
        config=config,
        kind="idle",
        key=f"idle:{config.get('id') or ''}:{last_activity.isoformat()}",
        facts={
            "app_id": config.get("id"),
            "places_wanted": wanted,
            "idle_minutes": f"{(now - last_activity).total_seconds() / 60:.0f}",
            "last_activity": last_activity.strftime("%Y-%m-%d %H:%M UTC"),
        },
    )
    if email is not None:
        logger.warning("Recruitment is idle: nobody joined for %s minutes, %s place(s) open.", minutes, wanted)
    return email
