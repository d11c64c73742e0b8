"""The Development tab's links: the participant's pages, each for a new test participant."""

from urllib.parse import urlencode

from django.conf import settings

from recruitment.base import RecruiterError, generate_random_id
from recruitment.recruiters import from_config


def recruiter_nickname(config) -> str:
    """The nickname of the recruiter the configuration names (hotair when it names none usable)."""
    try:
        return from_config(config, base_url=settings.DALLINGER_BASE_URL).nickname
    except RecruiterError:
        return "hotair"


def development_links(config) -> list[tuple[str, str, str]]:
    """(title, URL, what it does) of each page to try; ids are new on every call, so each link
    makes a new participant."""
    recruiter = recruiter_nickname(config)
    mode = config.get("mode")

    def new_identity() -> str:
        return urlencode(
            {
                "recruiter": recruiter,
                "hit_id": generate_random_id(),
                "assignment_id": generate_random_id(),
                "worker_id": generate_random_id(),
                "mode": mode,
            }
        )

    # Built as Dallinger's Development tab builds it, relative to this server.
    ad = "/ad?" + urlencode({"generate_tokens": "true", "recruiter": recruiter, "source": "dashboard"})
    return [
        ("Ad page", ad, "The invitation a recruited participant lands on, with new ids: the whole journey from the start."),
        ("Consent", "/consent?" + new_identity(), "The consent page, for a new test participant."),
        (
            "Experiment page",
            "/exp?" + new_identity(),
            "The experiment itself, skipping consent and instructions: the page makes a new participant as it opens.",
        ),
    ]
