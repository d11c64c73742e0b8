"""Group formation by arrival: waiters are batched `group_size` at a time into a new network.

One advisory lock serialises formation, so two processes never place one participant in
two groups nor overfill one; the seat's primary key (the participant) makes a second seat
impossible anyway.
"""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from core import realtime
from core.locks import lock_keys
from core.models import Network, Participant, ParticipantStatus
from experiments.models import GroupSeat, Presence

TIMEOUT_POLICIES = ("start_smaller", "release")


def waiting_room_join(*, experiment, participant) -> None:
    """Seat a working participant in the waiting room (once: a second call keeps their place)."""
    if not experiment.group_size or participant.status != ParticipantStatus.WORKING:
        return
    GroupSeat.objects.get_or_create(participant=participant)


def groups_form(*, experiment, now=None) -> list[Network]:
    """Form every group the waiting room allows, in arrival order; the new networks.

    Full groups of `group_size` first; then, when the first of the rest has waited
    `group_max_wait_seconds`, either a smaller group (at least `group_min_size`) or, under
    "release" or below the minimum, the waiters are released to finish and be paid their base.
    Waiters declared disconnected are passed over until they return.
    """
    size = experiment.group_size
    if not size:
        return []
    policy = experiment.group_timeout_policy
    if policy not in TIMEOUT_POLICIES:
        raise ImproperlyConfigured(f"group_timeout_policy must be one of {', '.join(TIMEOUT_POLICIES)}.")
    minimum = experiment.group_min_size or size
    now = now or timezone.now()
    formed = []
    with transaction.atomic():
        lock_keys("group-formation")
        away = Presence.objects.filter(disconnected=True).values("pk")
        seats = list(
            GroupSeat.objects.filter(
                network__isnull=True, released=False, participant__status=ParticipantStatus.WORKING
            )
            .exclude(participant_id__in=away)
            .order_by("arrived", "pk")
        )
        while len(seats) >= size:
            formed.append(_form(experiment, seats[:size]))
            seats = seats[size:]
        wait = experiment.group_max_wait_seconds
        if seats and wait is not None and seats[0].arrived <= now - timedelta(seconds=wait):
            if policy == "start_smaller" and len(seats) >= minimum:
                formed.append(_form(experiment, seats))
            else:
                _release(seats)
    return formed


def _form(experiment, seats) -> Network:
    network = experiment.create_network()
    network.role = "experiment"
    network.max_size = len(seats)
    network.details = {**(network.details or {}), "group": True}
    network.save()
    ids = [seat.participant_id for seat in seats]
    GroupSeat.objects.filter(participant_id__in=ids).update(network=network)
    for participant_id in ids:
        # To each member alone: the waiting room must not learn who plays with whom.
        _tell_waiter(participant_id, {"type": "group", "network_id": network.pk})
    return network


def _release(seats) -> None:
    ids = [seat.participant_id for seat in seats]
    GroupSeat.objects.filter(participant_id__in=ids).update(released=True)
    # As over-recruited participants: sent to finish, paid their base by the normal submission.
    Participant.objects.filter(pk__in=ids, status=ParticipantStatus.WORKING).update(
        status=ParticipantStatus.OVERRECRUITED
    )
    for participant_id in ids:
        _tell_waiter(participant_id, {"type": "released"})


def _tell_waiter(participant_id: int, message: dict) -> None:
    # `participant_ids` names only the waiter (the key the waiting page reads), never anyone else.
    realtime.publish_to_participant(
        participant_id, realtime.QUORUM_CHANNEL, {**message, "participant_ids": [participant_id]}
    )
