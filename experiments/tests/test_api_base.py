"""The experiment API views' shared base."""

import threading

from experiments import runtime
from experiments.api.base import ExperimentAPIView


def test_request_threads_look_up_their_experiment_at_the_same_time(monkeypatch):
    # Each lookup is a database query; a lock shared by every view instance (as functools'
    # cached_property holds on Python 3.11) would make a process's threads wait for each other.
    both_inside = threading.Barrier(2, timeout=5)
    found = []

    def experiment():
        both_inside.wait()
        return object()

    monkeypatch.setattr(runtime, "experiment", experiment)

    def request():
        view = ExperimentAPIView()
        try:
            first = view.experiment
        except threading.BrokenBarrierError:
            return
        found.append(first is view.experiment)

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert found == [True, True]
