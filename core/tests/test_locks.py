"""Advisory locks (core.locks): every key is held until the transaction ends, taken in one statement."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.locks import lock_held_try, lock_keys

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _free_elsewhere(*keys) -> list[bool]:
    """Whether another connection could take each key now."""
    answers = []

    def other():
        try:
            for key in keys:
                with lock_held_try(key) as taken:
                    answers.append(taken)
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    return answers


def test_every_key_is_held_until_the_transaction_ends_and_taken_in_one_statement():
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            lock_keys("worker:w1", "assignment:a1", "quorum", "worker:w1")
        assert _free_elsewhere("worker:w1", "assignment:a1", "quorum", "worker:w2") == [False, False, False, True]
        assert len(captured) == 1

    assert _free_elsewhere("worker:w1", "assignment:a1", "quorum") == [True, True, True]


def test_no_keys_run_no_statement():
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        lock_keys()

    assert len(captured) == 0


def test_a_held_lock_keeps_others_out_for_the_block_without_a_transaction_and_is_freed_after():
    with lock_held_try("clock:check") as taken:
        assert taken and not connection.in_atomic_block
        assert _free_elsewhere("clock:check", "clock:other") == [False, True]

    assert _free_elsewhere("clock:check") == [True]
