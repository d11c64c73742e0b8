"""The experiment's own database actions (Dallinger's `dashboard_database_actions`): which
exist, and running one on rows, allowed only for the names the experiment lists."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


class ActionNotAllowed(Exception):
    """The experiment does not list this action (Dallinger answers 403)."""


class ActionMissing(Exception):
    """The experiment lists this action but has no method of its name (Dallinger answers 404)."""


def action_list(experiment) -> list[dict]:
    """The experiment's actions, `{"name", "title"}` each; entries without a name are left out
    (and logged), a missing title is the name."""
    try:
        declared = list(experiment.dashboard_database_actions() or [])
    except Exception:
        logger.exception("The experiment's dashboard_database_actions() failed: no actions offered.")
        return []
    actions = []
    for entry in declared:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            logger.warning("A database action without a name is left out: %r", entry)
            continue
        actions.append({"name": name, "title": str(entry.get("title") or name)})
    return actions


def action_run(*, experiment, name: str, data: list, listed_only: bool = True) -> dict:
    """Call the experiment's action `name` with `data` (the rows, as dicts) in one transaction;
    its result as a dict (a result that is not one becomes `{"message": str(result)}`).

    ActionNotAllowed when the experiment does not list `name` (unless not `listed_only`: the
    dashboard's own actions), ActionMissing when it has no such method; anything the method
    raises is raised again, and nothing it did is kept.
    """
    if listed_only and name not in {action["name"] for action in action_list(experiment)}:
        raise ActionNotAllowed(f"Access to {name} not allowed")
    method = getattr(experiment, name, None)
    if not callable(method):
        raise ActionMissing(f"Method {name} not found")
    with transaction.atomic():
        result = method(data)
    if result is None:
        return {}
    return result if isinstance(result, dict) else {"message": str(result)}
