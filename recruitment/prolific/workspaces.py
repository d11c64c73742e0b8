"""Finding the Prolific workspace the configuration names, by title or by id."""

import re

from recruitment.base import RecruiterError

#: Prolific's ids are 24 hexadecimal characters.
PROLIFIC_ID = re.compile(r"[0-9a-f]{24}\Z")


class WorkspaceNotFound(RecruiterError):
    """No workspace, or more than one, answers to the name the configuration gives."""


def workspace_id(client, name_or_id: str) -> str:
    """The id of the workspace named `name_or_id` (its title, any case, or its 24-character id)."""
    wanted = (name_or_id or "").strip()
    if not wanted:
        raise WorkspaceNotFound("No Prolific workspace is configured: set prolific_workspace to its name or id.")
    workspaces = client.workspaces()
    if PROLIFIC_ID.match(wanted.lower()):
        for workspace in workspaces:
            if str(workspace.get("id", "")).lower() == wanted.lower():
                return workspace["id"]
    found = [w for w in workspaces if str(w.get("title") or "").strip().casefold() == wanted.casefold()]
    if len(found) > 1:
        raise WorkspaceNotFound(
            f"{len(found)} Prolific workspaces are called {wanted!r}: set prolific_workspace to the id of one "
            f"({', '.join(w['id'] for w in found)})."
        )
    if not found:
        known = ", ".join(repr(w.get("title")) for w in workspaces) or "none"
        raise WorkspaceNotFound(f"There is no Prolific workspace {wanted!r}. The token's workspaces: {known}.")
    return found[0]["id"]
