"""Routes for the experiment as a whole and for the end of a participant's work."""

from rest_framework.request import Request
from rest_framework.response import Response

from experiments.api.base import ExperimentAPIView
from experiments.api.cross_origin import AnyOriginMixin
from experiments.api.responses import success
from experiments.errors import BadRequest, Refused
from experiments.services.lifecycle import LaunchError, experiment_launch, experiment_property, experiment_summary
from experiments.services.questions import question_create
from experiments.services.submission import (
    participant_submit,
    participant_worker_failed,
    prolific_submission_confirm,
)
from recruitment.events import EventError, event_record


class LaunchAPI(ExperimentAPIView):
    """POST /launch: set up the networks and open recruitment."""

    def post(self, request: Request):
        try:
            message = experiment_launch(experiment=self.experiment)
        except LaunchError as error:
            # Dallinger's launch route answers failures this way; its command-line tools parse it.
            return Response({"status": "error", "message": str(error)}, status=500)
        return success(recruitment_msg=message)


class SummaryAPI(ExperimentAPIView):
    """GET /summary: participants by status and whether the experiment is complete."""

    def get(self, request: Request):
        return success(**experiment_summary(experiment=self.experiment))


class ExperimentPropertyAPI(ExperimentAPIView):
    """GET /experiment/<prop>: one of the experiment's public properties."""

    def get(self, request: Request, prop):
        return success(**{prop: experiment_property(experiment=self.experiment, name=prop)})


class QuestionCreateAPI(ExperimentAPIView):
    """POST /question/<participant_id>: one questionnaire answer."""

    def post(self, request: Request, participant_id):
        number = self.params.integer("number")
        if number is None:
            number = self.params.integer("question_id")
        question_create(
            experiment=self.experiment,
            participant_id=participant_id,
            question=self.params.text("question"),
            response=self.params.text("response"),
            number=number,
            caller=self.caller,
        )
        return success()


class WorkerCompleteAPI(ExperimentAPIView):
    """GET or POST /worker_complete: the participant has finished (safe to repeat)."""

    def get(self, request: Request):
        participant_submit(
            experiment=self.experiment, participant_id=self.params.text("participant_id"), caller=self.caller
        )
        return success()

    def post(self, request: Request):
        return self.get(request)


class ProlificSubmissionListenerAPI(AnyOriginMixin, ExperimentAPIView):
    """POST /prolific-submission-listener: the Prolific exit page's button was pressed
    (form fields `assignmentId`, `participantId`); only the participant's own browser may."""

    def post(self, request: Request):
        participant_id = self.params.text("participantId") or self.params.text("participant_id")
        prolific_submission_confirm(
            experiment=self.experiment,
            participant_id=participant_id,
            assignment_id=self.params.text("assignmentId"),
            caller=self.caller,
        )
        return success()


class WorkerFailedAPI(ExperimentAPIView):
    """GET /worker_failed: the participant (a bot) could not take part."""

    def get(self, request: Request):
        participant_worker_failed(
            experiment=self.experiment, participant_id=self.params.text("participant_id"), caller=self.caller
        )
        return success(field="status", data="success", request_type="worker failed")


class NotificationsAPI(AnyOriginMixin, ExperimentAPIView):
    """POST /notifications: an unverified recruiter event in Dallinger's form, processed in the
    background. Every MTurk event type is accepted; those that need nothing, and unknown ones,
    are acknowledged and logged.

    Anyone can send one and it changes a participant's status (a submission approves and pays),
    so it is refused unless the experiment's configuration turns it on
    (`accept_unverified_notifications`) for a setup where only trusted callers reach it.
    Platforms' events arrive through their verified channels instead (MTurk's through
    `/mturk-sns-listener`, Prolific's through `/prolific-webhook`). POST only, unlike
    Dallinger: a GET that changes state would be run by link prefetchers and crawlers.
    """

    def post(self, request: Request):
        if not self.experiment.config.get("accept_unverified_notifications", False):
            raise Refused(
                "Unverified notifications are turned off: recruiters' events arrive through their "
                "verified channels (set accept_unverified_notifications to accept them here).",
                error_code="notifications_off",
            )
        try:
            event_record(
                event_type=self.params.text("Event.1.EventType"),
                assignment_id=self.params.text("Event.1.AssignmentId", max_length=10_000),
                participant_id=self.params.text("participant_id"),
            )
        except EventError as error:
            raise BadRequest(str(error)) from error
        return success()
