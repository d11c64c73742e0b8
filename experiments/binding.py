"""Participants bound to the browser or bot that created them.

Participant ids count up and travel in URLs, so knowing one must not be enough to act as that
participant. When a participant is created, the answer sets a cookie for them: HttpOnly, signed
with the deployment's secret key, one per participant (a browser may hold several at once, as a
debug run does with several tabs open). Every route that changes a participant's record or status
asks for it; same-origin requests from `dallinger2.js` and HTTP bots' sessions carry it without
any change on their side. The `participant_binding` configuration key turns the check off for a
deployment whose front end cannot carry cookies.

Services take a `Caller`: the participants a request holds, or `TRUSTED` for the platform's own
callers (tasks, commands, the dashboard), which may act for anyone.
"""

import base64
import hmac

from django.conf import settings
from django.utils.crypto import salted_hmac

from core.fetch import by_pk
from core.models import Participant
from experiments.errors import Refused
from experiments.services.replacement import replaced_predecessor, replaced_refusal

COOKIE_PREFIX = "dlgr_p"
#: How long a browser keeps a participant's cookie: longer than any assignment lasts.
COOKIE_MAX_AGE = 30 * 24 * 3600
_SALT = "experiments.binding.participant"
#: Participant JSON keys only the participant's own caller sees.
WITHHELD_KEYS = ("assignment_id", "entry_information")


def participant_token(participant) -> str:
    """The secret that proves a caller created `participant`.

    It covers the id and the creation time, so a token from an earlier run whose record was
    cleared (ids can start again) proves nothing about today's participant of the same id.
    """
    stamp = int(participant.creation_time.timestamp() * 1_000_000)
    digest = salted_hmac(_SALT, f"{participant.pk}:{stamp}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def cookie_name(participant_pk: int) -> str:
    """The name of the cookie that holds the token of participant `participant_pk`."""
    return f"{COOKIE_PREFIX}{participant_pk}"


def bind(response, participant, request) -> None:
    """Give the caller of `request` the cookie that binds `participant` to it."""
    response.set_cookie(
        cookie_name(participant.pk),
        participant_token(participant),
        max_age=COOKIE_MAX_AGE,
        path="/",
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class Caller:
    """Who is asking: the participant tokens a request carries (`enforced`: they are checked),
    or a platform caller that may act for anyone (`enforced` False)."""

    def __init__(self, tokens: dict[str, str] | None = None, *, enforced: bool = True):
        self._tokens = tokens or {}
        self.enforced = enforced

    @classmethod
    def of_cookies(cls, cookies: dict[str, str], config) -> "Caller":
        """The caller holding `cookies` (an HTTP request's or a websocket handshake's), under
        the experiment's configuration."""
        tokens = {name: value for name, value in cookies.items() if name.startswith(COOKIE_PREFIX)}
        return cls(tokens, enforced=bool(config.get("participant_binding", True)))

    @classmethod
    def of_request(cls, request, config) -> "Caller":
        """The caller of an HTTP request, under the experiment's configuration."""
        return cls.of_cookies(getattr(request, "COOKIES", {}), config)

    def holds(self, participant) -> bool:
        """Whether this caller may act as `participant` (always, where binding is off)."""
        if not self.enforced:
            return True
        token = self._tokens.get(cookie_name(participant.pk))
        return token is not None and hmac.compare_digest(token, participant_token(participant))

    def require(self, participant) -> None:
        """Refused (403) unless this caller may act as `participant`."""
        if not self.holds(participant):
            raise Refused(
                f"This browser did not create participant {participant.pk}, so it cannot act for them.",
                error_code="participant_not_yours",
            )

    def visible_json(self, participant) -> dict:
        """The participant's JSON as this caller may see it: whoever does not hold them gets
        neither their assignment id nor their entry information (which may name the worker)."""
        data = participant.__json__()
        if not self.holds(participant):
            data.update(dict.fromkeys(WITHHELD_KEYS))
        return data

    def require_for_node(self, node) -> None:
        """Refused unless this caller may act as the participant whose node this is.

        Nodes that belong to no participant (sources, environments) are the experiment's, not a
        participant's record, and stay open as in Dallinger.
        """
        if not self.enforced or node.participant_id is None:
            return
        if type(node).participant.is_cached(node):  # read with the node (`node_get(with_participant=True)`)
            participant = node.participant
        else:
            participant = by_pk(Participant, node.participant_id)
        if participant is None:  # the record changed under the request: nobody holds them
            raise Refused(f"There is no participant with id {node.participant_id}.", error_code="participant_not_found")
        if not self.holds(participant):
            # A participant a bot replaced, back at their old node: told where to go instead.
            predecessor = replaced_predecessor(participant)
            if predecessor is not None and self.holds(predecessor):
                raise replaced_refusal(predecessor)
        self.require(participant)


#: The platform's own callers (tasks, management commands, the dashboard): may act for anyone.
TRUSTED = Caller(enforced=False)
