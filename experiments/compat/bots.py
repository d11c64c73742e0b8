"""`dallinger.bots`: bot base classes with Dallinger's contract.

As in Dallinger, `participate()`'s return value is ignored (an exception is what stops a bot),
and a browser bot reads the experiment's configuration itself, so a subclass's own `__init__`
need not pass it on.
"""

from bots import base
from experiments.config import get_config

__all__ = ["BotBase", "HighPerformanceBotBase"]


class BotBase(base.BotBase):
    """Dallinger's browser bot (Selenium, headless Chromium)."""

    participate_decides = False

    def __init__(self, URL, assignment_id="", worker_id="", participant_id="", hit_id="", *, config=None):
        super().__init__(URL, assignment_id, worker_id, participant_id, hit_id, config=config or get_config())


class HighPerformanceBotBase(base.HighPerformanceBotBase):
    """Dallinger's HTTP bot."""

    participate_decides = False
