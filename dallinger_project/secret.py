"""A per-checkout development secret key, created on first use and never committed."""

import os
import secrets
from pathlib import Path


def local_secret_key(path: Path) -> str:
    """Return the key stored at `path`, creating it (readable by the owner only) if absent."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key
