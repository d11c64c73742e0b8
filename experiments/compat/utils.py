"""`dallinger.utils`: the helpers experiments call, from the project's own."""

import secrets
import string

from django.conf import settings

__all__ = ["generate_random_id", "get_base_url"]


def generate_random_id(size=6, chars=string.ascii_uppercase + string.digits) -> str:
    """A random identifier of `size` characters drawn from `chars` (Dallinger's signature)."""
    return "".join(secrets.choice(chars) for _ in range(size))


def get_base_url() -> str:
    """The server's public base URL (DALLINGER_BASE_URL), without a trailing slash."""
    return settings.DALLINGER_BASE_URL.rstrip("/")
