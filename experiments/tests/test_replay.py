"""`manage.py replay`: an export loaded, then replayed through the experiment's hooks in time order."""

import io
from datetime import datetime, timedelta, timezone

import pytest
from django.core.management import CommandError, call_command

from core.models import Info, Network
from experiments import runtime
from experiments.export import export_data
from experiments.services.replay import ReplayError, replay_load, replay_run
from experiments.tests.api_support import TEST_EXPERIMENTS

pytestmark = pytest.mark.django_db

START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
#: Contents and when each info was made, in id order; the replay goes in time order.
INFOS = [("third", 4.0), ("first", 0.0), ("second", 1.5)]


@pytest.fixture
def replaying(use_experiment):
    """The `replaying` test experiment's module, its record of calls emptied."""
    module = use_experiment(TEST_EXPERIMENTS / "replaying").module
    module.CALLS.clear()
    module.FAIL_ON.clear()
    yield module
    module.CALLS.clear()


@pytest.fixture
def export_zip(replaying, make_network, make_node, tmp_path):
    """An export of one network whose node made three infos, then an empty record."""
    node = make_node(network=make_network())
    for contents, seconds in INFOS:
        info = Info(origin=node, contents=contents)
        info.save()
        Info.objects.filter(pk=info.pk).update(creation_time=START + timedelta(seconds=seconds))
    path = export_data(tmp_path / "run-data.zip", experiment_id="run", scrub=False)
    Info.objects.all().delete()
    node.delete()
    Network.objects.all().delete()
    return path


def _replayed(module):
    return [call[2] for call in module.CALLS if call[0] == "event"]


def test_replay_loads_the_export_and_hands_each_info_to_the_hooks_in_time_order(replaying, export_zip):
    output = io.StringIO()

    call_command("replay", str(export_zip), "--speed", "0", stdout=output)

    names = [call[0] for call in replaying.CALLS]
    assert names == ["start", "started?", "started?", "started?", "event", "event", "event", "finish"]
    assert _replayed(replaying) == ["first", "second", "third"]
    assert Info.objects.count() == 3
    assert "Replayed 3 events." in output.getvalue()


def test_replay_keeps_the_original_pace_scaled_by_speed(replaying, export_zip):
    replay_load(zip_path=export_zip)
    now = [0.0]
    waits = []

    def sleep(seconds):
        waits.append(round(seconds, 6))
        now[0] += seconds

    count = replay_run(experiment=runtime.experiment(), speed=2, sleep=sleep, clock=lambda: now[0])

    assert count == 3
    # Two polls while replay_started() says no, then the events at 0, 1.5 and 4 s, twice as fast.
    assert waits == [0.01, 0.01, 0.75, 1.25]


def test_a_hook_that_fails_stops_the_replay_with_a_readable_error(replaying, export_zip):
    replaying.FAIL_ON.add("second")

    with pytest.raises(CommandError, match=r"stopped at event 2 of 3 \(Info \d+\): cannot replay second"):
        call_command("replay", str(export_zip), "--speed", "0", stdout=io.StringIO())

    assert _replayed(replaying) == ["first"]
    assert ("finish",) not in replaying.CALLS


# Committed rows: PostgreSQL cannot clear tables whose rows this transaction just wrote.
@pytest.mark.django_db(transaction=True)
def test_replay_refuses_a_database_that_holds_data_unless_told_to_replace_it(replaying, export_zip, make_network):
    kept = make_network()

    with pytest.raises(CommandError, match="already holds experiment data; pass --replace"):
        call_command("replay", str(export_zip), "--speed", "0", stdout=io.StringIO())
    assert list(Network.objects.values_list("pk", flat=True)) == [kept.pk]
    assert replaying.CALLS == []

    call_command("replay", str(export_zip), "--speed", "0", "--replace", stdout=io.StringIO())
    assert _replayed(replaying) == ["first", "second", "third"]
    assert Info.objects.count() == 3


# Committed rows: PostgreSQL cannot clear tables whose rows this transaction just wrote.
@pytest.mark.django_db(transaction=True)
def test_replacing_with_a_zip_that_cannot_be_loaded_keeps_the_data(replaying, make_network, tmp_path):
    kept = make_network()
    (tmp_path / "broken.zip").write_text("not a zip")

    with pytest.raises(ReplayError, match="Cannot open"):
        replay_load(zip_path=tmp_path / "broken.zip", replace=True)

    assert list(Network.objects.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["missing.zip"], "There is no file missing.zip"), (["{zip}", "--speed", "-1"], "--speed must be 0")],
)
def test_replay_command_reports_bad_arguments_readably(replaying, export_zip, arguments, message):
    arguments = [argument.format(zip=export_zip) for argument in arguments]

    with pytest.raises(CommandError, match=message):
        call_command("replay", *arguments, stdout=io.StringIO())

    assert replaying.CALLS == []
