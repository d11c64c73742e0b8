"""The Mechanical Turk and SNS clients (boto3): endpoints, credentials, and each call the recruiter makes.

Every call goes through `MTurkClient`, which turns boto3's errors into `MTurkError` (a
refusal: MTurk answered and did nothing) or `MTurkUnavailable` (no answer: whether it acted
is unknown), with a message an experimenter can read.
"""

import hashlib
import logging
import time
from datetime import datetime, timedelta

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from recruitment.base import RecruiterError

logger = logging.getLogger(__name__)

LIVE_HOST = "https://mturk-requester.{region}.amazonaws.com"
SANDBOX_HOST = "https://mturk-requester-sandbox.{region}.amazonaws.com"
WORKER_URL = "https://worker.mturk.com/projects/{type_id}/tasks"
SANDBOX_WORKER_URL = "https://workersandbox.mturk.com/projects/{type_id}/tasks"
EXTERNAL_SUBMIT = "https://www.mturk.com/mturk/externalSubmit"
SANDBOX_EXTERNAL_SUBMIT = "https://workersandbox.mturk.com/mturk/externalSubmit"
#: The largest page MTurk's list calls return.
PAGE_SIZE = 100
#: MTurk refuses a UniqueRequestToken longer than this.
MAX_TOKEN_LENGTH = 64
#: How long opening recruitment waits for the listener to confirm the SNS subscription.
CONFIRMATION_WAIT_SECONDS = 12
#: The notifications asked for on the HIT type (the listener at /mturk-sns-listener receives them).
NOTIFIED_EVENTS = (
    "AssignmentAccepted",
    "AssignmentAbandoned",
    "AssignmentReturned",
    "AssignmentSubmitted",
    "HITReviewable",
    "HITExpired",
)


class MTurkError(RecruiterError):
    """Mechanical Turk refused a call (it answered, and did nothing)."""


class MTurkUnavailable(MTurkError):
    """Mechanical Turk could not be reached, or gave no answer: whether the call acted is unknown."""


class MTurkDuplicateToken(MTurkError):
    """A call carried a UniqueRequestToken MTurk has already processed: it was done before."""


def request_token(key: str) -> str:
    """The UniqueRequestToken for the action named `key` (a ledger key, or one naming an
    extension): the same for the same key, so MTurk itself turns a retry into a refusal
    instead of a second payment. 64 hexadecimal characters, MTurk's limit."""
    return hashlib.sha256(key.encode()).hexdigest()[:MAX_TOKEN_LENGTH]


def submit_url(sandbox: bool) -> str:
    """Where a worker's browser submits an assignment: the sandbox's or the live site's."""
    return SANDBOX_EXTERNAL_SUBMIT if sandbox else EXTERNAL_SUBMIT


def is_sandbox(config) -> bool:
    """Whether the configured mode uses MTurk's sandbox (every mode but `live`, as Dallinger)."""
    return config.get("mode", "debug") != "live"


def endpoint(*, sandbox: bool, region: str) -> str:
    """The MTurk requester endpoint: the sandbox's or the live one, in `region`."""
    return (SANDBOX_HOST if sandbox else LIVE_HOST).format(region=region)


def boto3_client(service: str, *, config, endpoint_url: str | None = None):
    """A boto3 client for `service` with the configured credentials and region (`aws_*` keys)."""
    region = config.get("aws_region", "us-east-1") or "us-east-1"
    session = boto3.session.Session(
        aws_access_key_id=config.get("aws_access_key_id", None) or None,
        aws_secret_access_key=config.get("aws_secret_access_key", None) or None,
        region_name=region,
    )
    if endpoint_url is None:
        return session.client(service, region_name=region)
    return session.client(service, endpoint_url=endpoint_url, region_name=region)


def client_from_config(config, *, sandbox: bool | None = None) -> "MTurkClient":
    """The MTurk client for this configuration: the sandbox when `sandbox` (by default, when
    `mode` is not `live`), in `aws_region`."""
    sandbox = is_sandbox(config) if sandbox is None else sandbox
    region = config.get("aws_region", "us-east-1") or "us-east-1"
    return MTurkClient(
        mturk=boto3_client("mturk", config=config, endpoint_url=endpoint(sandbox=sandbox, region=region)),
        sns=boto3_client("sns", config=config),
        sandbox=sandbox,
    )


def pause(seconds: float) -> None:
    """Wait between two looks at a subscription's confirmation."""
    time.sleep(seconds)


def _message(error: Exception) -> str:
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Message") or str(error)
    return str(error)


def _is_duplicate_token(error: ClientError) -> bool:
    text = _message(error).lower()
    return "token" in text and ("already been processed" in text or "already been used" in text)


class MTurkClient:
    """The calls to Mechanical Turk (and to SNS for its notifications) that the recruiter and
    the commands make, with Dallinger's parameters."""

    def __init__(self, *, mturk, sns, sandbox: bool):
        self.mturk = mturk
        self.sns = sns
        self.sandbox = sandbox

    def _call(self, operation: str, client=None, **parameters) -> dict:
        client = client or self.mturk
        try:
            return getattr(client, operation)(**parameters)
        except NoCredentialsError:
            raise MTurkError("No AWS credentials set!") from None
        except ClientError as error:
            if _is_duplicate_token(error):
                raise MTurkDuplicateToken(_message(error)) from None
            raise MTurkError(f"Mechanical Turk refused {operation}: {_message(error)}") from None
        except BotoCoreError as error:
            raise MTurkUnavailable(f"Mechanical Turk did not answer {operation}: {error}") from None

    # The account --------------------------------------------------------------------------------

    def credentials_check(self) -> str:
        """The account's available balance; MTurkError with Dallinger's message when the
        credentials are missing ("No AWS credentials set!") or refused ("Invalid AWS credentials!")."""
        try:
            return self.mturk.get_account_balance()["AvailableBalance"]
        except NoCredentialsError:
            raise MTurkError("No AWS credentials set!") from None
        except ClientError:
            raise MTurkError("Invalid AWS credentials!") from None
        except BotoCoreError as error:
            raise MTurkUnavailable(f"Mechanical Turk did not answer: {error}") from None

    # HITs ---------------------------------------------------------------------------------------

    def worker_url(self, type_id: str) -> str:
        """Where workers find the HITs of this type."""
        return (SANDBOX_WORKER_URL if self.sandbox else WORKER_URL).format(type_id=type_id)

    def hit_type_create(
        self, *, title: str, description: str, reward, duration_hours: float, keywords, qualifications
    ) -> str:
        """Register a HIT type (approved at once on submission); its id."""
        answer = self._call(
            "create_hit_type",
            Title=title,
            Description=description,
            Reward=str(reward),
            AssignmentDurationInSeconds=int(timedelta(hours=duration_hours).total_seconds()),
            Keywords=",".join(keywords),
            AutoApprovalDelayInSeconds=0,
            QualificationRequirements=list(qualifications),
        )
        return answer["HITTypeId"]

    def notifications_set(self, *, hit_type_id: str, topic_arn: str) -> None:
        """Have MTurk send the HIT type's assignment events to the SNS topic."""
        self._call(
            "update_notification_settings",
            HITTypeId=hit_type_id,
            Notification={
                "Destination": topic_arn,
                "Transport": "SNS",
                "Version": "2014-08-15",
                "EventTypes": list(NOTIFIED_EVENTS),
            },
            Active=True,
        )

    def hit_create(
        self, *, hit_type_id: str, question: str, lifetime_days: float, max_assignments: int, token: str, annotation=""
    ) -> dict:
        """Create a HIT of the type (`token` makes a retry return an error, not a second HIT)."""
        parameters = {
            "HITTypeId": hit_type_id,
            "Question": question,
            "LifetimeInSeconds": int(timedelta(days=lifetime_days).total_seconds()),
            "MaxAssignments": max_assignments,
            "UniqueRequestToken": token,
        }
        if annotation:
            parameters["RequesterAnnotation"] = annotation
        return self._hit(self._call("create_hit_with_hit_type", **parameters)["HIT"])

    def assignments_add(self, *, hit_id: str, number: int, token: str) -> bool:
        """Add `number` assignments to the HIT; False if `token` was processed before (added then)."""
        try:
            self._call(
                "create_additional_assignments_for_hit",
                HITId=hit_id,
                NumberOfAdditionalAssignments=number,
                UniqueRequestToken=token,
            )
        except MTurkDuplicateToken:
            logger.info("The %s assignment(s) of request %s were added to HIT %s before.", number, token, hit_id)
            return False
        return True

    def expiration_extend(self, *, hit_id: str, hours: float) -> datetime:
        """Push the HIT's expiration `hours` later; the new expiration."""
        expiration = self.hit_get(hit_id)["expiration"] + timedelta(hours=hours)
        self._call("update_expiration_for_hit", HITId=hit_id, ExpireAt=expiration)
        return expiration

    def hit_expire(self, hit_id: str) -> None:
        """Expire the HIT now (it becomes Reviewable; workers can no longer take it)."""
        self._call("update_expiration_for_hit", HITId=hit_id, ExpireAt=0)

    def hit_get(self, hit_id: str) -> dict:
        """One HIT, described as `hits` lists it."""
        return self._hit(self._call("get_hit", HITId=hit_id)["HIT"])

    def hits(self):
        """Every HIT of the account, page by page."""
        token = None
        while True:
            parameters = {"MaxResults": PAGE_SIZE}
            if token:
                parameters["NextToken"] = token
            answer = self._call("list_hits", **parameters)
            for hit in answer.get("HITs", []):
                yield self._hit(hit)
            token = answer.get("NextToken")
            if not token:
                return

    def _hit(self, hit: dict) -> dict:
        return {
            "id": hit["HITId"],
            "type_id": hit["HITTypeId"],
            "title": hit.get("Title", ""),
            "status": hit.get("HITStatus", ""),
            "review_status": hit.get("HITReviewStatus", ""),
            "created": hit.get("CreationTime"),
            "expiration": hit.get("Expiration"),
            "max_assignments": hit.get("MaxAssignments"),
            "reward": hit.get("Reward"),
            "annotation": hit.get("RequesterAnnotation"),
            "qualification_type_ids": [q["QualificationTypeId"] for q in hit.get("QualificationRequirements", [])],
            "worker_url": self.worker_url(hit["HITTypeId"]),
            "assignments_available": hit.get("NumberOfAssignmentsAvailable"),
            "assignments_pending": hit.get("NumberOfAssignmentsPending"),
            "assignments_completed": hit.get("NumberOfAssignmentsCompleted"),
        }

    # Assignments and payments -------------------------------------------------------------------

    def assignment_get(self, assignment_id: str) -> dict | None:
        """The assignment's status, worker and HIT, or None if MTurk does not know it."""
        try:
            answer = self._call("get_assignment", AssignmentId=assignment_id)
        except MTurkError as error:
            if "does not exist" in str(error):
                return None
            raise
        assignment = answer["Assignment"]
        return {
            "id": assignment["AssignmentId"],
            "status": assignment["AssignmentStatus"],
            "hit_id": assignment["HITId"],
            "worker_id": assignment["WorkerId"],
        }

    def assignment_approve(self, assignment_id: str) -> None:
        """Approve the assignment (the worker is paid the HIT's reward)."""
        self._call("approve_assignment", AssignmentId=assignment_id)

    def bonus_send(self, *, worker_id: str, assignment_id: str, amount, reason: str, token: str) -> bool:
        """Pay a bonus; False if MTurk processed `token` before (the bonus was paid then)."""
        try:
            self._call(
                "send_bonus",
                WorkerId=worker_id,
                BonusAmount=f"{amount:.2f}",
                AssignmentId=assignment_id,
                Reason=reason,
                UniqueRequestToken=token,
            )
        except MTurkDuplicateToken:
            logger.info("The bonus of request %s to worker %s was paid before.", token, worker_id)
            return False
        return True

    def bonus_paid(self, *, assignment_id: str, worker_id: str, amount) -> bool:
        """Whether MTurk lists a bonus of `amount` to the worker on this assignment."""
        answer = self._call("list_bonus_payments", AssignmentId=assignment_id, MaxResults=PAGE_SIZE)
        wanted = f"{amount:.2f}"
        return any(
            bonus.get("WorkerId") == worker_id and bonus.get("BonusAmount") == wanted
            for bonus in answer.get("BonusPayments", [])
        )

    # Qualifications -----------------------------------------------------------------------------

    def qualification_type_create(self, *, name: str, description: str) -> dict | None:
        """Create an active qualification type; None if one of that name exists already."""
        try:
            answer = self._call(
                "create_qualification_type", Name=name, Description=description, QualificationTypeStatus="Active"
            )
        except MTurkError as error:
            if "already created a QualificationType with this name" in str(error):
                return None
            raise
        return self._qualification_type(answer["QualificationType"])

    def qualification_type_named(self, name: str) -> dict | None:
        """The account's qualification type called `name` (exactly, in any case), or None."""
        answer = self._call(
            "list_qualification_types",
            Query=name.upper(),
            MustBeRequestable=False,
            MustBeOwnedByCaller=True,
            MaxResults=PAGE_SIZE,
        )
        found = [self._qualification_type(item) for item in answer.get("QualificationTypes", [])]
        if len(found) == 1:
            return found[0]
        exact = [item for item in found if item["name"].upper() == name.upper()]
        if len(exact) > 1:
            raise MTurkError(f"More than one qualification type is named {name!r}.")
        return exact[0] if exact else None

    def qualification_type_ensure(self, *, name: str, description: str) -> dict:
        """The qualification type called `name`, created if there is none."""
        created = self.qualification_type_create(name=name, description=description)
        if created is not None:
            return created
        found = self.qualification_type_named(name)
        if found is None:
            raise MTurkError(f"Qualification type {name!r} exists but cannot be found by name yet: try again.")
        return found

    @staticmethod
    def _qualification_type(item: dict) -> dict:
        return {
            "id": item["QualificationTypeId"],
            "name": item.get("Name", ""),
            "description": item.get("Description", ""),
            "status": item.get("QualificationTypeStatus", ""),
        }

    def qualification_assign(self, *, qualification_id: str, worker_id: str, score: int, notify: bool) -> None:
        """Give the worker the qualification with this score (MTurk emails them if `notify`)."""
        self._call(
            "associate_qualification_with_worker",
            QualificationTypeId=qualification_id,
            WorkerId=worker_id,
            IntegerValue=score,
            SendNotification=notify,
        )

    def qualification_score(self, *, qualification_id: str, worker_id: str) -> int | None:
        """The worker's score, or None if they do not hold the qualification (never, or revoked)."""
        try:
            answer = self._call("get_qualification_score", QualificationTypeId=qualification_id, WorkerId=worker_id)
        except MTurkError as error:
            text = str(error)
            if "does not exist" in text or "status of: Granted" in text:
                return None
            raise
        return answer["Qualification"]["IntegerValue"]

    def qualification_increment(self, *, qualification_id: str, worker_id: str) -> int:
        """Raise the worker's score by one (from 0 if they lack it); the new score."""
        score = (self.qualification_score(qualification_id=qualification_id, worker_id=worker_id) or 0) + 1
        self.qualification_assign(qualification_id=qualification_id, worker_id=worker_id, score=score, notify=False)
        return score

    def qualification_revoke(self, *, qualification_id: str, worker_id: str, reason: str) -> None:
        """Take the qualification from the worker (MTurk emails them the reason)."""
        self._call(
            "disassociate_qualification_from_worker",
            QualificationTypeId=qualification_id,
            WorkerId=worker_id,
            Reason=reason,
        )

    def qualification_workers(self, qualification_id: str) -> list[dict]:
        """The workers holding the qualification: `{"id", "score"}` each."""
        workers, token = [], None
        while True:
            parameters = {"QualificationTypeId": qualification_id, "MaxResults": PAGE_SIZE, "Status": "Granted"}
            if token:
                parameters["NextToken"] = token
            answer = self._call("list_workers_with_qualification_type", **parameters)
            workers += [{"id": q["WorkerId"], "score": q["IntegerValue"]} for q in answer.get("Qualifications", [])]
            token = answer.get("NextToken")
            if not token:
                return workers

    # Notifications (SNS) ------------------------------------------------------------------------

    def topic_subscribe(self, *, topic_name: str, url: str) -> str:
        """Create the SNS topic `topic_name` (the same topic if it exists), subscribe `url` to
        it, and wait until the listener there has confirmed the subscription (as Dallinger does,
        up to `CONFIRMATION_WAIT_SECONDS`); the topic's ARN. MTurkError if it never confirms."""
        topic_arn = self._call("create_topic", client=self.sns, Name=topic_name)["TopicArn"]
        subscription_arn = self._call(
            "subscribe",
            client=self.sns,
            TopicArn=topic_arn,
            Protocol="https" if url.startswith("https") else "http",
            Endpoint=url,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        for attempt in range(CONFIRMATION_WAIT_SECONDS + 1):
            answer = self._call("get_subscription_attributes", client=self.sns, SubscriptionArn=subscription_arn)
            if answer.get("Attributes", {}).get("PendingConfirmation") != "true":
                return topic_arn
            if attempt < CONFIRMATION_WAIT_SECONDS:
                pause(1)
        raise MTurkError(
            f"SNS did not confirm the subscription of {url} within {CONFIRMATION_WAIT_SECONDS} seconds: check that "
            "the server answers there from the internet, then open recruitment again."
        )
