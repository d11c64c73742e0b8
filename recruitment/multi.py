"""The multi recruiter: several recruiters in turn, by quota (`recruiters = bots: 2, cli: 1`)."""

import logging

from django.db import transaction

from core.locks import lock_keys
from recruitment.base import RECRUITERS, Recruiter, RecruiterError, recruited_count, register

logger = logging.getLogger(__name__)


def parse_quotas(text: str) -> list[tuple[str, int]]:
    """`"bots: 2, cli: 1"` → `[("bots", 2), ("cli", 1)]`; RecruiterError for anything else."""
    quotas = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, separator, count = part.partition(":")
        if not separator or not count.strip().isdigit():
            raise RecruiterError(f"recruiters must look like 'bots: 2, cli: 1', not {text!r}.")
        if name.strip() not in RECRUITERS or name.strip() == MultiRecruiter.nickname:
            raise RecruiterError(f"Unknown recruiter {name.strip()!r} in recruiters.")
        quotas.append((name.strip(), int(count)))
    if not quotas:
        raise RecruiterError("The multi recruiter needs the recruiters key, e.g. 'bots: 2, cli: 1'.")
    return quotas


@register
class MultiRecruiter(Recruiter):
    """Hands each recruitment to the first recruiter in `recruiters` whose quota is not used up."""

    nickname = "multi"

    def _recruiter(self, nickname: str) -> Recruiter:
        return RECRUITERS[nickname](self.config, base_url=self.base_url)

    def open_recruitment(self, n: int = 1) -> dict:
        urls = self.recruit(n)
        return {"items": urls, "message": f"Recruiting in turn from: {self.config.get('recruiters')}."}

    def recruit(self, n: int = 1) -> list:
        quotas = parse_quotas(self.config.get("recruiters"))
        urls = []
        with transaction.atomic():
            lock_keys(f"recruitment:{self.nickname}")
            for _ in range(n):
                nickname = next(
                    (name for name, quota in quotas if recruited_count(name) < quota),
                    None,
                )
                if nickname is None:
                    logger.info("Every recruiter's quota is used up: nobody more is recruited.")
                    break
                urls.extend(self._recruiter(nickname).recruit(n=1) or [])
        return urls

    def close_recruitment(self) -> None:
        for nickname, _ in parse_quotas(self.config.get("recruiters")):
            self._recruiter(nickname).close_recruitment()

    def content_security_sources(self) -> dict[str, tuple[str, ...]]:
        """Every source any of the recruiters in `recruiters` needs."""
        combined: dict[str, tuple[str, ...]] = {}
        for nickname, _ in parse_quotas(self.config.get("recruiters")):
            for directive, sources in self._recruiter(nickname).content_security_sources().items():
                combined[directive] = tuple(dict.fromkeys(combined.get(directive, ()) + tuple(sources)))
        return combined
