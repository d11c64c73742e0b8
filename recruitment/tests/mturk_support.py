"""What the Mechanical Turk tests share: stubbed boto3 clients and MTurk's answers."""

import hashlib
from datetime import datetime, timezone

import boto3
from botocore.stub import Stubber

from experiments.config import Configuration
from recruitment.mturk.client import endpoint

EXPERIMENT_ID = "4d1f7a52-0f1e-4a3b-9c2d-6e5f4a3b2c1d"
PUBLIC = "https://experiment.example.org"
EXPIRATION = datetime(2026, 12, 10, 12, 0, tzinfo=timezone.utc)


def token_of(text: str) -> str:
    """The UniqueRequestToken the MTurk code makes from `text` (a ledger key, an extension's name)."""
    return hashlib.sha256(text.encode()).hexdigest()


def _real_client(service: str, endpoint_url=None):
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="not-a-secret", region_name="us-east-1"
    )
    if endpoint_url:
        return session.client(service, endpoint_url=endpoint_url, region_name="us-east-1")
    return session.client(service, region_name="us-east-1")


class MTurkStubs:
    """A stubbed MTurk client and SNS client, handed out to the code under test."""

    def __init__(self):
        self.mturk_client = _real_client("mturk", endpoint(sandbox=True, region="us-east-1"))
        self.sns_client = _real_client("sns")
        self.mturk = Stubber(self.mturk_client)
        self.sns = Stubber(self.sns_client)
        self.built = []

    def build(self, service, *, config, endpoint_url=None):
        """Stands in for `recruitment.mturk.client.boto3_client`."""
        self.built.append((service, endpoint_url))
        return {"mturk": self.mturk_client, "sns": self.sns_client}[service]

    def expect(self, operation: str, params: dict, response: dict | None = None) -> None:
        """MTurk is called `operation` with exactly `params` and answers `response`."""
        self.mturk.add_response(operation, response or {}, params)

    def refuse(self, operation: str, params: dict, message: str, code: str = "RequestError") -> None:
        """MTurk is called `operation` with exactly `params` and refuses with `message`."""
        self.mturk.add_client_error(
            operation, service_error_code=code, service_message=message, http_status_code=400, expected_params=params
        )


def hit(hit_id="HIT1", type_id="TYPE1", *, annotation="exp", max_assignments=1, expiration=EXPIRATION, **changes):
    """MTurk's description of a HIT."""
    described = {
        "HITId": hit_id,
        "HITTypeId": type_id,
        "Title": "Push the button",
        "Description": "A short study",
        "HITStatus": "Assignable",
        "HITReviewStatus": "NotReviewed",
        "CreationTime": datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc),
        "Expiration": expiration,
        "MaxAssignments": max_assignments,
        "Reward": "1.0",
        "RequesterAnnotation": annotation,
        "QualificationRequirements": [],
        "NumberOfAssignmentsAvailable": max_assignments,
        "NumberOfAssignmentsPending": 0,
        "NumberOfAssignmentsCompleted": 0,
    }
    described.update(changes)
    return described


def assignment(assignment_id, status, *, worker_id="W1", hit_id="HIT1"):
    """MTurk's answer to get_assignment."""
    return {
        "Assignment": {
            "AssignmentId": assignment_id,
            "WorkerId": worker_id,
            "HITId": hit_id,
            "AssignmentStatus": status,
        }
    }


def mturk_config(**changes) -> Configuration:
    """An MTurk experiment's configuration with made-up AWS keys; a change to None leaves the key unset."""
    config = Configuration()
    values = {
        "id": EXPERIMENT_ID,
        "recruiter": "mturk",
        "title": "Bartlett (1932) memory",
        "description": "Read a story, then write it down.",
        "keywords": "memory, story",
        "mode": "sandbox",
        "base_payment": 1.15,
        "duration": 2.0,
        "lifetime": 3,
        "aws_access_key_id": "AKIDEXAMPLE",
        "aws_secret_access_key": "not-a-secret",
    }
    values.update(changes)
    for key, value in values.items():
        if value is not None:  # None: left unset
            config.set(key, value)
    return config
