"""A test experiment that writes down what a replay hands it, in the order it arrives.

`CALLS` (a list in this module, for the tests to read) gets ("start",), ("started?",) for
each time the replay asks whether it may begin (the first two answers are no), ("event",
info id, contents) for each replayed event, and ("finish",). `FAIL_ON` names contents whose
event raises, to test a hook that fails.
"""

from experiments.experiment import Experiment

CALLS = []
FAIL_ON = set()
NOT_READY_ANSWERS = 2


class Replaying(Experiment):
    """Records the replay hooks; its events are the default (every info, oldest first)."""

    def replay_start(self):
        CALLS.append(("start",))

    def replay_started(self):
        CALLS.append(("started?",))
        return CALLS.count(("started?",)) > NOT_READY_ANSWERS

    def replay_event(self, event):
        if event.contents in FAIL_ON:
            raise RuntimeError(f"cannot replay {event.contents}")
        CALLS.append(("event", event.pk, event.contents))

    def replay_finish(self):
        CALLS.append(("finish",))
