"""Which recruiter deals with a participant, and running recruiter calls after commit."""

from django.conf import settings
from django.db import transaction

from recruitment.recruiters import for_participant


def participant_recruiter(*, experiment, participant):
    """The recruiter that brought `participant` in, configured as the experiment is."""
    return for_participant(participant, experiment.config, base_url=settings.DALLINGER_BASE_URL)


def after_commit(function, *args, **kwargs) -> None:
    """Run a side effect (recruiting, paying, approving) once the current transaction commits."""
    transaction.on_commit(lambda: function(*args, **kwargs))
