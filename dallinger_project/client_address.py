"""The address a request came from, as login throttling counts it (behind proxies too)."""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The connection's address; behind `PROXY_COUNT` proxies that each append the address they
    saw to X-Forwarded-For, the one the outermost of them saw.

    Entries further left were written by the client (or by proxies not counted) and could
    say anything, so they are never read. A request that did not pass every counted proxy
    (fewer entries), or an entry that is not an address, falls back to the connection's.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.PROXY_COUNT
    if not count:
        return remote
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    if len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote
