"""How commands reach Prolific: the recruiter built from the experiment's configuration, its study."""

from django.core.management.base import CommandError

from recruitment.base import RecruiterError
from recruitment.recruiters import by_name

#: Columns of a study listing: what `hits` and `prolific studies` print.
STUDY_HEADERS = ("id", "name", "status", "places", "taken", "internal name")


def prolific_recruiter(config, base_url: str):
    """The Prolific recruiter for this configuration; a readable error without an API token."""
    if not (config.get("prolific_api_token", None) or "").strip():
        raise CommandError(
            "No Prolific API token is configured: set prolific_api_token (or the environment variable "
            "PROLIFIC_RESEARCHER_API_TOKEN) to a token from the API Tokens page of the Prolific web app."
        )
    try:
        return by_name("prolific")(config, base_url=base_url)
    except RecruiterError as error:
        raise CommandError(str(error)) from error


def study_id_of(recruiter, given: str | None = None) -> str:
    """The study named on the command line, else the one the experiment recruits through."""
    if given:
        return given
    study_id = recruiter.study_id
    if not study_id:
        raise CommandError(
            "This experiment has no Prolific study yet (it is created when recruitment opens); name one with --study."
        )
    return study_id


def project_studies(recruiter) -> list[dict]:
    """The studies of the configured Prolific project (`prolific_workspace`, `prolific_project`)."""
    client = recruiter.client
    study = recruiter.study()
    if study is not None and study.project_id:
        return client.project_studies(study.project_id)
    workspace_name = recruiter.config.get("prolific_workspace", None)
    project_name = recruiter.config.get("prolific_project", None)
    if not workspace_name or not project_name:
        raise CommandError("Set prolific_workspace and prolific_project to list the project's studies.")
    workspace = _named(client.workspaces(), workspace_name, "workspace")
    project = _named(client.projects(workspace["id"]), project_name, "project")
    return client.project_studies(project["id"])


def study_rows(studies) -> list[list]:
    """A study listing's rows, in `STUDY_HEADERS` order."""
    return [
        [
            study.get("id"),
            study.get("name"),
            study.get("status"),
            study.get("total_available_places"),
            study.get("places_taken"),
            study.get("internal_name"),
        ]
        for study in studies
    ]


def _named(items, name: str, what: str) -> dict:
    wanted = str(name).strip().lower()
    found = [
        item
        for item in items
        if wanted in (str(item.get("id", "")).lower(), str(item.get("title", "")).strip().lower())
    ]
    if len(found) != 1:
        problem = "No" if not found else "More than one"
        raise CommandError(f"{problem} Prolific {what} is named {name!r}.")
    return found[0]
