"""The route Amazon SNS posts Mechanical Turk's events to: `/mturk-sns-listener`."""

import logging

from rest_framework.request import Request
from rest_framework.response import Response

from experiments.api.base import ExperimentAPIView
from experiments.api.cross_origin import AnyOriginMixin
from experiments.errors import ExperimentError
from recruitment.mturk.listener import sns_message_receive
from recruitment.mturk.sns import MessageRefused

logger = logging.getLogger(__name__)


def _refused(status: int, message: str, error_code: str) -> ExperimentError:
    error = ExperimentError(message, error_code=error_code)
    error.status_code = status
    return error


class MTurkSnsListenerAPI(AnyOriginMixin, ExperimentAPIView):
    """POST (or GET, as Dallinger allows) /mturk-sns-listener: an Amazon SNS message (JSON body)
    on the experiment's topic, which carries MTurk's events. It counts only when SNS's signature
    verifies and its TopicArn is the experiment's topic; each message is acted on once."""

    def post(self, request: Request):
        experiment_id = str(self.experiment.config.get("id", "") or "")
        try:
            # The raw bytes: SNS signs the fields, not the body, but DRF's parsers would refuse
            # its text/plain content type. (A body too large is refused by the exception handler.)
            answer = sns_message_receive(raw_body=request.body, experiment_id=experiment_id)
        except MessageRefused as refusal:
            logger.warning("SNS message refused (%s): %s", refusal.status, refusal.message)
            raise _refused(refusal.status, refusal.message, refusal.error_code) from None
        return Response(answer)

    def get(self, request: Request):
        return self.post(request)
