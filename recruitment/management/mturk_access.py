"""How commands reach Mechanical Turk: the recruiter and client for the sandbox or the live site,
qualifications named by id or name, and the HITs' listing."""

from django.core.management.base import CommandError

from recruitment.mturk.recruiter import MTurkRecruiter

#: Columns of a HIT listing: what `hits`, `expire` and `extend_mturk_hit` print.
HIT_HEADERS = ("id", "title", "status", "assignments", "available", "completed", "annotation", "expiration")
#: Where the credentials come from (also in docs/recruitment.md).
CREDENTIALS_HELP = (
    "set aws_access_key_id and aws_secret_access_key (or the environment variables AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY) to the keys of an AWS account that has Mechanical Turk"
)


def mturk_recruiter(command, *, sandbox: bool) -> MTurkRecruiter:
    """The MTurk recruiter for the running experiment's configuration, on the sandbox (`--sandbox`)
    or the live site; a readable error without credentials."""
    config = command.experiment().config
    for key in ("aws_access_key_id", "aws_secret_access_key"):
        if not (config.get(key, None) or "").strip():
            raise CommandError(f"No AWS credentials are configured: {CREDENTIALS_HELP}.")
    return MTurkRecruiter(config, base_url=command.base_url(), sandbox=sandbox)


def site_name(sandbox: bool) -> str:
    """How the output names the site acted on."""
    return "the MTurk sandbox" if sandbox else "live Mechanical Turk"


def qualification_of(client, given: str | None, *, by_name: bool) -> str:
    """The qualification type id named by --qualification (a name with --by_name)."""
    given = (given or "").strip()
    if not given:
        raise CommandError("Name the qualification with --qualification (its id, or its name with --by_name).")
    if not by_name:
        return given
    found = client.qualification_type_named(given)
    if found is None:
        raise CommandError(f"No qualification type is named {given!r}.")
    return found["id"]


def workers_of(workers) -> list[str]:
    """The worker ids given, each once; an error when there are none."""
    found = []
    for worker in workers or ():
        worker = worker.strip()
        if worker and worker not in found:
            found.append(worker)
    if not found:
        raise CommandError("Name at least one worker id.")
    return found


def experiment_hits(client, app: str | None) -> list[dict]:
    """The account's HITs; with `app`, only those of that experiment (annotated with its id)."""
    return [hit for hit in client.hits() if not app or hit["annotation"] == app]


def hit_rows(hits) -> list[list]:
    """A HIT listing's rows, in `HIT_HEADERS` order."""
    return [
        [
            hit["id"],
            hit["title"],
            hit["status"],
            hit["max_assignments"],
            hit["assignments_available"],
            hit["assignments_completed"],
            hit["annotation"] or "",
            hit["expiration"],
        ]
        for hit in hits
    ]
