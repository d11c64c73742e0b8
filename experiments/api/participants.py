"""Participant routes: create, get, load."""

import logging

from rest_framework.request import Request

from experiments.api.base import ExperimentAPIView
from experiments.api.responses import as_json, success
from experiments.binding import bind
from experiments.entry import ID_PARAMETERS
from experiments.errors import BadRequest
from experiments.services.lookups import participant_get
from experiments.services.participants import participant_create, participant_load
from recruitment.recruiters import RECRUITERS, is_installed

logger = logging.getLogger(__name__)

#: Kept out of `entry_information` (the protocol's list; `recruiter` stays in, as upstream).
NOT_ENTRY_INFORMATION = {"mode", "fingerprint_hash"}


def _created(request, participant, quorum):
    body = as_json(participant)
    body["unique_id"] = participant.unique_id
    body["worker_id"] = participant.worker_id
    payload = {"participant": body}
    if quorum is not None:
        payload["quorum"] = quorum
    response = success(**payload)
    bind(response, participant, request)
    return response


def _recruiter_name(params) -> str | None:
    name = params.text("recruiter", max_length=50)
    if name and not is_installed(name):
        # Recorded as given, as Dallinger does: the participant may still take part, and what
        # later needs their recruiter (the exit page, submission, payment) says it is missing.
        logger.warning(
            "A participant arrived from the recruiter %r, which is not installed here (known: %s); "
            "it is recorded on the participant as given.",
            name,
            ", ".join(sorted(RECRUITERS)),
        )
    return name


class ParticipantCreateAPI(ExperimentAPIView):
    """POST /participant/<worker_id>/<hit_id>/<assignment_id>/<mode>: a new participant."""

    def post(self, request: Request, worker_id, hit_id, assignment_id, mode):
        participant, quorum = participant_create(
            experiment=self.experiment,
            worker_id=worker_id,
            hit_id=hit_id,
            assignment_id=assignment_id,
            mode=mode,
            recruiter_name=_recruiter_name(self.params),
            fingerprint_hash=self.params.text("fingerprint_hash", max_length=50),
        )
        return _created(request, participant, quorum)


class ParticipantEntryAPI(ExperimentAPIView):
    """POST /participant: a new participant from the recruiter's entry parameters."""

    def post(self, request: Request):
        ids = {}
        used = set()
        for field, names in ID_PARAMETERS.items():
            for name in names:
                value = self.params.text(name, max_length=50)
                if value is not None:
                    used.add(name)
                    ids.setdefault(field, value)
        if not ids.get("assignment_id"):
            raise BadRequest("An assignment id (assignmentId, assignment_id or SESSION_ID) is required.")
        entry_information = {
            name: self.params.raw(name)
            for name in self.params.names()
            if name not in used and name not in NOT_ENTRY_INFORMATION
        }
        participant, quorum = participant_create(
            experiment=self.experiment,
            worker_id=ids.get("worker_id", ""),
            hit_id=ids.get("hit_id", ""),
            assignment_id=ids["assignment_id"],
            mode=self.params.text("mode", default=self.experiment.config.get("mode", "debug"), max_length=50),
            recruiter_name=_recruiter_name(self.params),
            fingerprint_hash=self.params.text("fingerprint_hash", max_length=50),
            entry_information=entry_information,
        )
        return _created(request, participant, quorum)


class ParticipantDetailAPI(ExperimentAPIView):
    """GET /participant/<participant_id>: one participant."""

    def get(self, request: Request, participant_id):
        participant = participant_get(participant_id=participant_id)
        return success(participant=self.caller.visible_json(participant))


class ParticipantLoadAPI(ExperimentAPIView):
    """POST /load-participant: the participant of an assignment, to resume a session."""

    def post(self, request: Request):
        assignment_id = self.params.text("assignment_id") or self.params.text("assignmentId")
        assignment_id = assignment_id or self.params.text("SESSION_ID")
        participant = participant_load(experiment=self.experiment, assignment_id=assignment_id)
        return success(participant=self.caller.visible_json(participant))
