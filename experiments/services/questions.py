"""Questionnaire answers."""

from core.models import Question
from experiments.binding import Caller
from experiments.errors import BadRequest
from experiments.services.lookups import participant_get
from recruitment.recruiters import participant_recruiter


def question_create(*, experiment, participant_id, question, response, number, caller: Caller) -> Question:
    """Store one answer of a participant, within the configured length limit."""
    participant = participant_get(participant_id=participant_id)
    caller.require(participant)
    for name, value in (("question", question), ("response", response)):
        if value is None:
            raise BadRequest(f"{name} is required.", participant=participant)
    if number is None:
        raise BadRequest("number must be a whole number.", participant=participant)
    rejection = participant_recruiter(experiment=experiment, participant=participant).rejects_questionnaire_from(
        participant
    )
    if rejection:
        raise BadRequest(rejection, participant=participant)
    limit = experiment.config.get("question_max_length", 1000)
    if len(question) > limit or len(response) > limit:
        raise BadRequest(f"The question and the response may each be at most {limit} characters.", participant=participant)
    if participant.failed:
        raise BadRequest(f"Participant {participant.pk} has failed and cannot answer questions.", participant=participant)
    # One INSERT, atomic by itself: no transaction around it (BEGIN and COMMIT would be two
    # more round trips).
    answer = Question(participant=participant, question=question, response=response, number=number)
    answer.save()
    return answer
