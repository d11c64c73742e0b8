"""Every object the API answers with carries its timestamps as Dallinger writes them."""

import re
from datetime import timezone

from django.utils import timezone as django_timezone

from core.models import Info, Participant
from experiments.tests.api_support import create_participant, success

DALLINGER_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$")


def _timestamps(value):
    """Every (key, value) of a `*_time` or `time_of_death` key in a JSON answer, however nested."""
    if isinstance(value, dict):
        for key, item in value.items():
            if (key.endswith("_time") or key == "time_of_death") and item is not None:
                yield key, item
            yield from _timestamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from _timestamps(item)


def test_object_timestamps_are_utc_without_a_zone_with_microseconds(client, recording, make_node):
    recording()
    participant_id = create_participant(client)["participant"]["id"]
    Participant.objects.filter(pk=participant_id).update(end_time=django_timezone.now())
    sender, receiver = make_node(), make_node()
    sender.connect(whom=receiver)
    Info(origin=sender, contents="hello").save()
    sender.transmit()
    receiver.receive()
    failed = Info(origin=sender, contents="withdrawn")
    failed.save()
    failed.fail()

    answers = [
        success(client.get(f"/participant/{participant_id}")),
        success(client.get(f"/info/{sender.pk}/{failed.pk}")),
        success(client.get(f"/node/{receiver.pk}/transmissions")),
        success(client.get(f"/node/{sender.pk}/vectors")),
        success(client.get(f"/network/{sender.network_id}")),
    ]

    found = [pair for answer in answers for pair in _timestamps(answer)]
    assert {"creation_time", "end_time", "time_of_death", "receive_time"} <= {key for key, _ in found}
    assert all(DALLINGER_TIMESTAMP.match(value) for _, value in found), found
    stored = Participant.objects.get(pk=participant_id).creation_time.astimezone(timezone.utc)
    assert answers[0]["participant"]["creation_time"] == stored.replace(tzinfo=None).isoformat()
