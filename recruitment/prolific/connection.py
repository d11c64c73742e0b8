"""A Prolific client built from the experiment's configuration."""

from recruitment.base import RecruiterError
from recruitment.prolific.client import ProlificClient


def api_base_url(config) -> str:
    """Prolific's API root: `prolific_api_base_url`, or Prolific's own for `prolific_api_version`."""
    configured = (config.get("prolific_api_base_url") or "").strip()
    if configured:
        return configured.rstrip("/")
    return f"https://api.prolific.com/api/{config.get('prolific_api_version') or 'v1'}"


def client_for(config) -> ProlificClient:
    """A client with the configured token; RecruiterError if there is none."""
    token = config.get("prolific_api_token")
    if not token:
        raise RecruiterError(
            "No Prolific API token is configured: set prolific_api_token (or PROLIFIC_RESEARCHER_API_TOKEN)."
        )
    return ProlificClient(token, api_base_url(config))
