"""The bot recruiter: each participant recruited is a bot run in the background."""

import logging

from django.db import transaction

from core.background import send_after_commit
from core.locks import lock_keys
from recruitment import host
from recruitment.base import Recruiter, record_recruitments, recruited_count, register

logger = logging.getLogger(__name__)

@register
class BotRecruiter(Recruiter):
    """Recruits bots instead of people: each recruit enqueues one run of the experiment's bot.

    `bot_type` (configuration: `http` or `browser`) picks the kind of bot, and `max_bots`
    (0: no limit) caps how many are recruited over the whole experiment. Bots are paid
    nothing and submit through the same flow as people. The task that runs a bot belongs to
    the experiment runtime (the bot classes are the experiment's): it comes from the host.
    """

    nickname = "bots"
    pays_outside = False

    def open_recruitment(self, n: int = 1) -> dict:
        urls = self.recruit(n)
        return {"items": urls, "message": f"{len(urls)} bot(s) will take part in the background."}

    def recruit(self, n: int = 1) -> list:
        with transaction.atomic():
            lock_keys(f"recruitment:{self.nickname}")
            limit = self.config.get("max_bots", 0) or 0
            if limit:
                n = max(0, min(n, limit - recruited_count(self.nickname)))
            urls = [self._ad_url(self.config.get("mode", "debug") or "debug") for _ in range(n)]
            record_recruitments(self.nickname, len(urls))
            bot_type = self.config.get("bot_type", "http") or "http"
            runtime = host.current()
            for url in urls:
                send_after_commit(runtime.bot_run(url, bot_type))
        if n == 0:
            logger.info("Bot limit (%s) reached: no more bots recruited.", self.config.get("max_bots"))
        return urls

    def close_recruitment(self) -> None:
        logger.info("Close recruitment: no more bots will be started.")

    def approve_hit(self, assignment_id: str) -> bool:
        return True

    def reward_bonus(self, participant, amount: float, reason: str) -> None:
        logger.info("Bot participant %s would earn a bonus of $%.2f.", participant.pk, amount)
