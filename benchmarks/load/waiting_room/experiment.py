"""The quorum game for load tests: the waiting-room flow (benchmarks/load/flow.py).

Participants wait on the waiting room's websocket until `quorum` of them (5 in config.txt)
have arrived, get a network of their own, each make a move and submit. Everything is the
quorum game demo's (experiments/demos/quorumgame) but the longest wait for a group: the
last few participants of a run, fewer than a group, start smaller (or are released) after
`group_max_wait_seconds` instead of a minute, so that a run's tail ends within the
generator's timeout; and the experiment never counts as complete, so no run ends it midway
(`n`, which the game also recruits at launch, stays small).
"""

from experiments.demos.quorumgame.experiment import QuorumGame
from experiments.demos.quorumgame.experiment import extra_parameters as quorumgame_parameters


def extra_parameters():
    """The quorum game's configuration keys (`quorum`, `n`)."""
    quorumgame_parameters()


class WaitingRoomBenchmark(QuorumGame):
    """The quorum game with a short longest wait for a group."""

    group_max_wait_seconds = 5

    def is_complete(self):
        """Never: the benchmark decides when participants stop coming."""
        return False
