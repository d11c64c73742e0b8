"""The quorumgame demo: `runexperiment quorumgame --bots 6` on both set-ups, and its bot substitute.

Six bots arrive; the waiting room forms two groups of three, each in its own network; each
bot makes one move and hears the total over the socket; all six are approved.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.models import Info, Node, Participant, ParticipantStatus
from core.realtime import group_channel
from experiments import runtime
from experiments.binding import TRUSTED
from experiments.services.nodes import node_create_for_participant
from experiments.services.presence import presence_connect, presence_leave, presence_sweep
from tests.runs import (
    assert_run_files_removed,
    assert_succeeded,
    embedded_environment,
    free_port,
    manage,
    run,
    services_environment,
)

BOTS = 6


def run_quorumgame(env):
    return run(manage("runexperiment", "quorumgame", "--bots", str(BOTS), "--port", str(free_port()),
                      "--timeout", "150"), env)  # fmt: skip


def assert_played_in_groups_of_three(cursor) -> None:
    """Six approved; six nodes in two networks of three; one move from 1 to 10 per node."""
    cursor.execute("SELECT status FROM participant")
    assert [status for (status,) in cursor.fetchall()] == ["approved"] * BOTS
    cursor.execute("SELECT network_id FROM node WHERE NOT failed")
    assert sorted(Counter(network for (network,) in cursor.fetchall()).values()) == [3, 3]
    cursor.execute("SELECT origin_id, contents FROM info WHERE NOT failed")
    moves = cursor.fetchall()
    assert len({origin for origin, _ in moves}) == BOTS == len(moves)
    assert all(1 <= int(contents) <= 10 for _, contents in moves)


def test_six_bots_play_in_two_groups_on_the_embedded_default(tmp_path, run_tmp):
    import sqlite3

    env = embedded_environment(tmp_path, run_tmp)
    result = run_quorumgame(env)
    assert_succeeded(result)
    assert f"{BOTS} approved" in result.stdout
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        assert_played_in_groups_of_three(database.cursor())
    assert "server error" not in result.stdout + result.stderr
    assert_run_files_removed(run_tmp)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_bots_play_in_two_groups_on_postgresql_and_redis(tmp_path, run_tmp):
    env = services_environment(tmp_path, run_tmp, redis_database=5)
    result = run_quorumgame(env)
    assert_succeeded(result)
    assert "Database: PostgreSQL; tasks: Redis" in result.stdout
    with connection.cursor() as cursor:
        assert_played_in_groups_of_three(cursor)
    assert_run_files_removed(run_tmp)


def group_of_three(experiment) -> tuple[list, list]:
    """Three participants who arrived together, each with a node in their group's network."""
    members = []
    for number in range(3):
        member = Participant(worker_id=f"w{number}", assignment_id=f"a{number}", hit_id="h", mode="debug",
                             recruiter_id="hotair")  # fmt: skip
        member.save()
        presence_connect(experiment=experiment, participant_id=member.pk, channel_names=["quorum"])
        members.append(member)
    nodes = [node_create_for_participant(experiment=experiment, participant_id=m.pk, caller=TRUSTED) for m in members]
    return members, nodes


@pytest.mark.django_db
def test_a_member_who_leaves_is_replaced_by_a_bot_that_moves_and_finishes(use_experiment, published):
    use_experiment("quorumgame")
    experiment = runtime.experiment()
    members, nodes = group_of_three(experiment)
    assert len({node.network_id for node in nodes}) == 1
    for node in nodes[1:]:
        Info.objects.create(origin=node, contents="4")

    presence_leave(participant_id=members[0].pk)
    presence_sweep(experiment=experiment, now=timezone.now() + timedelta(seconds=31))

    node = Node.objects.get(pk=nodes[0].pk)
    bot = node.participant
    assert bot.recruiter_id == "bots"
    assert bot.status == ParticipantStatus.APPROVED
    assert len(node.infos()) == 1
    assert Participant.objects.get(pk=members[0].pk).status == ParticipantStatus.REPLACED
    totals = [
        (channel, payload)
        for channel, payload in published
        if isinstance(payload, dict) and payload.get("type") == "round_over"
    ]
    total = 8 + int(node.infos()[0].contents)
    # On the group's own channel: the other group, and anyone outside it, do not hear it.
    assert totals == [
        (group_channel(node.network_id), {"type": "round_over", "network_id": node.network_id, "total": total})
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_last_moves_at_once_announce_the_total_once(use_experiment, published):
    import threading

    from experiments.services.infos import info_create

    use_experiment("quorumgame")
    experiment = runtime.experiment()
    members, nodes = group_of_three(experiment)
    Info.objects.create(origin=nodes[0], contents="1")

    # Both last moves are written before either is counted.
    both_written = threading.Barrier(2, timeout=10)
    count = experiment._announce_total

    def count_after_both(network):
        both_written.wait()
        count(network)

    experiment._announce_total = count_after_both
    errors = []

    def move(node):
        try:
            info_create(experiment=experiment, node_id=node.pk, contents="2", caller=TRUSTED)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(node,)) for node in nodes[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    totals = [payload for _, payload in published if isinstance(payload, dict) and payload.get("type") == "round_over"]
    assert totals == [{"type": "round_over", "network_id": nodes[0].network_id, "total": 5}]


@pytest.mark.django_db
def test_a_move_that_is_not_a_number_counts_as_nothing_and_the_round_still_ends(use_experiment, published):
    use_experiment("quorumgame")
    experiment = runtime.experiment()
    _, nodes = group_of_three(experiment)
    for node, contents in zip(nodes, ["4", "<b>four</b>", "3"]):
        Info.objects.create(origin=node, contents=contents)

    experiment._announce_total(nodes[0].network)

    totals = [payload for _, payload in published if isinstance(payload, dict) and payload.get("type") == "round_over"]
    assert totals == [{"type": "round_over", "network_id": nodes[0].network_id, "total": 7}]
