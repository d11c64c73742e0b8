"""Which recruiter deals with a participant."""

from django.conf import settings

from recruitment.recruiters import for_participant


def participant_recruiter(*, experiment, participant):
    """The recruiter that brought `participant` in, configured as the experiment is."""
    return for_participant(participant, experiment.config, base_url=settings.DALLINGER_BASE_URL)
