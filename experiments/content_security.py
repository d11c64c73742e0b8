"""The Content-Security-Policy of participant pages, and policies as data.

A policy is a mapping from directive to its sources, written out as the header's text by
`header_value`. Participant pages run the experiment's own templates, which Dallinger
experiments write with inline scripts and styles, so their policy allows those; what it
keeps out is code and connections from anywhere else. Each directive is explained in
docs/configuration.md ("Content-Security-Policy"). An experiment adds sources with the
`content_security_policy_extra` key and a recruiter with `content_security_sources()`.
"""

import json

Policy = dict[str, tuple[str, ...]]

PARTICIPANT_POLICY: Policy = {
    "default-src": ("'self'",),
    "script-src": ("'self'", "'unsafe-inline'"),
    "style-src": ("'self'", "'unsafe-inline'"),
    "img-src": ("'self'", "data:", "blob:"),
    "media-src": ("'self'", "data:", "blob:"),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'self'",),
}

# The directives an experiment may add sources to. A fetch directive the policy does not
# name yet starts from default-src's sources, so that adding a host never takes away 'self'.
EXTENSIBLE_DIRECTIVES = frozenset(
    {
        "default-src",
        "script-src",
        "style-src",
        "img-src",
        "media-src",
        "font-src",
        "connect-src",
        "frame-src",
        "worker-src",
        "manifest-src",
        "object-src",
        "form-action",
        "frame-ancestors",
    }
)
FORBIDDEN_SOURCE_CHARACTERS = frozenset(";,'\"") | frozenset(" \t\r\n\f\v")
QUOTED_KEYWORDS = frozenset(
    {"'self'", "'unsafe-inline'", "'unsafe-eval'", "'wasm-unsafe-eval'", "'unsafe-hashes'", "'strict-dynamic'"}
)
QUOTED_PREFIXES = ("'nonce-", "'sha256-", "'sha384-", "'sha512-")


def _is_source(source) -> bool:
    if not isinstance(source, str) or not source:
        return False
    if source.startswith("'"):
        quoted = source in QUOTED_KEYWORDS or (source.startswith(QUOTED_PREFIXES) and source.endswith("'"))
        return quoted and not FORBIDDEN_SOURCE_CHARACTERS.intersection(source[1:-1])
    return not FORBIDDEN_SOURCE_CHARACTERS.intersection(source)


def parse_additions(text: str) -> Policy:
    """Sources to add, from JSON such as `{"script-src": ["https://cdn.example.org"]}`.

    Raises ValueError saying what is wrong (a directive that cannot be extended, a source
    that is not one source expression).
    """
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"must be JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    if not isinstance(parsed, dict):
        raise ValueError('must be a JSON object such as {"script-src": ["https://cdn.example.org"]}')
    additions = {}
    for directive, sources in parsed.items():
        if directive not in EXTENSIBLE_DIRECTIVES:
            known = ", ".join(sorted(EXTENSIBLE_DIRECTIVES))
            raise ValueError(f"cannot add sources to {directive[:40]!r}; the directives are {known}")
        if not isinstance(sources, list) or not all(_is_source(source) for source in sources):
            raise ValueError(
                f"{directive} must be a list of sources, each a host, a scheme such as https: "
                "or a quoted keyword such as 'unsafe-eval' (not 'none')"
            )
        additions[directive] = tuple(sources)
    return additions


def with_sources(policy: Policy, additions: Policy) -> Policy:
    """`policy` with each directive's added sources appended (once each); 'none' gives way."""
    combined = dict(policy)
    for directive, sources in additions.items():
        current = combined.get(directive, policy.get("default-src", ()))
        current = tuple(source for source in current if source != "'none'")
        combined[directive] = current + tuple(source for source in dict.fromkeys(sources) if source not in current)
        if not combined[directive]:
            combined[directive] = ("'none'",)
    return combined


def header_value(policy: Policy) -> str:
    """The policy as the Content-Security-Policy header writes it."""
    return "; ".join(f"{directive} {' '.join(sources)}" for directive, sources in policy.items())


def participant_policy(*, host: str, recruiter_sources: Policy, experiment_sources: Policy) -> Policy:
    """The policy of a participant page served at `host`, with the recruiter's and the
    experiment's sources added.

    The server's websockets are named by host as well as by 'self': browsers that predate
    CSP level 3 do not count ws:// and wss:// addresses as 'self'.
    """
    policy = with_sources(PARTICIPANT_POLICY, {"connect-src": (f"ws://{host}", f"wss://{host}")})
    for additions in (recruiter_sources, experiment_sources):
        policy = with_sources(policy, additions)
    return policy


def frameable_by_others(policy: Policy) -> bool:
    """Whether the policy lets pages of another origin frame these pages."""
    return any(source not in ("'self'", "'none'") for source in policy.get("frame-ancestors", ()))
