"""The Mechanical Turk recruiters against stubbed MTurk and SNS clients: the HIT they create (every
parameter), recruiting into it, mturklarge's 10 assignments, closing, and the exit page."""

import json
from datetime import timedelta

import pytest

from core.models import Recruitment
from recruitment.base import RecruiterError
from recruitment.models import MTurkHit
from recruitment.mturk import client as client_module
from recruitment.mturk.questions import EXTERNAL_QUESTION_SCHEMA
from recruitment.mturk.recruiter import MTurkLargeRecruiter, MTurkRecruiter
from recruitment.recruiters import by_name, from_config
from recruitment.tests.mturk_support import EXPERIMENT_ID, EXPIRATION, PUBLIC, hit, mturk_config, token_of

pytestmark = pytest.mark.django_db

TOPIC_ARN = f"arn:aws:sns:us-east-1:123456789012:{EXPERIMENT_ID}"
NOTIFIED = [
    "AssignmentAccepted",
    "AssignmentAbandoned",
    "AssignmentReturned",
    "AssignmentSubmitted",
    "HITReviewable",
    "HITExpired",
]


def expect_hit_type(mturk, qualifications=()):
    mturk.expect(
        "create_hit_type",
        {
            "Title": "Bartlett (1932) memory",
            "Description": "Read a story, then write it down.",
            "Reward": "1.15",
            "AssignmentDurationInSeconds": 7200,
            "Keywords": "memory,story",
            "AutoApprovalDelayInSeconds": 0,
            "QualificationRequirements": list(qualifications),
        },
        {"HITTypeId": "TYPE1"},
    )


def expect_subscription(mturk, *, pending_looks=0):
    """The SNS topic and subscription, confirmed after `pending_looks` looks that find it pending."""
    mturk.sns.add_response("create_topic", {"TopicArn": TOPIC_ARN}, {"Name": EXPERIMENT_ID})
    mturk.sns.add_response(
        "subscribe",
        {"SubscriptionArn": TOPIC_ARN + ":sub"},
        {
            "TopicArn": TOPIC_ARN,
            "Protocol": "https",
            "Endpoint": f"{PUBLIC}/mturk-sns-listener",
            "ReturnSubscriptionArn": True,
        },
    )
    for look in range(pending_looks + 1):
        pending = "true" if look < pending_looks else "false"
        mturk.sns.add_response(
            "get_subscription_attributes",
            {"Attributes": {"PendingConfirmation": pending}},
            {"SubscriptionArn": TOPIC_ARN + ":sub"},
        )


def expect_hit_creation(
    mturk, *, qualifications=(), lookups=(), max_assignments=1, recruiter="mturk", site="sandbox", pending_looks=0
):
    """The calls that open recruitment, in order, with every parameter (`lookups`: the blocked
    qualifications looked up by name, and what MTurk finds)."""
    mturk.expect("get_account_balance", {}, {"AvailableBalance": "100.00"})
    for name, found in lookups:
        mturk.expect(
            "list_qualification_types",
            {"Query": name, "MustBeRequestable": False, "MustBeOwnedByCaller": True, "MaxResults": 100},
            {"QualificationTypes": found},
        )
    expect_hit_type(mturk, qualifications)
    expect_subscription(mturk, pending_looks=pending_looks)
    mturk.expect(
        "update_notification_settings",
        {
            "HITTypeId": "TYPE1",
            "Notification": {
                "Destination": TOPIC_ARN,
                "Transport": "SNS",
                "Version": "2014-08-15",
                "EventTypes": NOTIFIED,
            },
            "Active": True,
        },
    )
    mturk.expect(
        "create_hit_with_hit_type",
        {
            "HITTypeId": "TYPE1",
            "Question": (
                f'<ExternalQuestion xmlns="{EXTERNAL_QUESTION_SCHEMA}">'
                f"<ExternalURL>{PUBLIC}/ad?recruiter={recruiter}</ExternalURL>"
                "<FrameHeight>600</FrameHeight></ExternalQuestion>"
            ),
            "LifetimeInSeconds": 3 * 86400,
            "MaxAssignments": max_assignments,
            "UniqueRequestToken": token_of(f"{EXPERIMENT_ID}:{site}:hit"),
            "RequesterAnnotation": EXPERIMENT_ID,
        },
        {"HIT": hit("HIT1", "TYPE1", annotation=EXPERIMENT_ID, max_assignments=max_assignments)},
    )


def test_both_recruiters_are_found_by_nickname():
    assert by_name("mturk") is MTurkRecruiter
    assert by_name("mturklarge") is MTurkLargeRecruiter
    assert isinstance(from_config(mturk_config(), PUBLIC), MTurkRecruiter)


def test_in_debug_mode_hotair_stands_in_and_nothing_reaches_mturk():
    assert from_config(mturk_config(mode="debug"), PUBLIC).nickname == "hotair"
    assert from_config(mturk_config(mode="debug", recruiter="mturklarge"), PUBLIC).nickname == "hotair"


def test_open_recruitment_creates_the_hit_with_its_qualifications_and_notifications(mturk):
    raw = [{"QualificationTypeId": "RAW1", "Comparator": "Exists", "RequiredToPreview": False}]
    config = mturk_config(
        approve_requirement=95,
        us_only=True,
        qualification_blacklist="done-before, never-made",
        mturk_qualification_requirements=json.dumps(raw),
    )
    qualifications = [
        {
            "QualificationTypeId": "000000000000000000L0",
            "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [95],
            "RequiredToPreview": True,
        },
        {
            "QualificationTypeId": "00000000000000000071",
            "Comparator": "EqualTo",
            "LocaleValues": [{"Country": "US"}],
            "RequiredToPreview": True,
        },
        {"QualificationTypeId": "QDONE", "Comparator": "DoesNotExist", "RequiredToPreview": True},
        *raw,
    ]
    lookups = (("DONE-BEFORE", [{"QualificationTypeId": "QDONE", "Name": "done-before"}]), ("NEVER-MADE", []))
    expect_hit_creation(mturk, qualifications=qualifications, lookups=lookups)

    recruiter = MTurkRecruiter(config, base_url=PUBLIC + "/")
    opened = recruiter.open_recruitment(1)

    assert opened["items"] == ["https://workersandbox.mturk.com/projects/TYPE1/tasks"]
    row = MTurkHit.objects.get()
    assert (row.experiment, row.hit_id, row.hit_type_id, row.sandbox, row.topic_arn) == (
        EXPERIMENT_ID,
        "HIT1",
        "TYPE1",
        True,
        TOPIC_ARN,
    )
    assert Recruitment.objects.filter(recruiter_id="mturk").count() == 1
    assert recruiter.notification_topic == EXPERIMENT_ID
    assert recruiter.status_summary()["MTurk HIT"] == "HIT1"


def test_the_sandbox_and_the_live_site_have_their_own_endpoints():
    from recruitment.mturk.client import client_from_config

    sandbox = client_from_config(mturk_config(mode="sandbox"))
    live = client_from_config(mturk_config(mode="live"))
    forced = client_from_config(mturk_config(mode="live"), sandbox=True)

    assert sandbox.mturk.meta.endpoint_url == "https://mturk-requester-sandbox.us-east-1.amazonaws.com"
    assert live.mturk.meta.endpoint_url == "https://mturk-requester.us-east-1.amazonaws.com"
    assert forced.mturk.meta.endpoint_url == "https://mturk-requester-sandbox.us-east-1.amazonaws.com"
    assert (sandbox.mturk.meta.region_name, live.sns.meta.region_name) == ("us-east-1", "us-east-1")
    assert (sandbox.sandbox, live.sandbox, forced.sandbox) == (True, False, True)
    assert live.worker_url("T") == "https://worker.mturk.com/projects/T/tasks"
    assert sandbox.worker_url("T") == "https://workersandbox.mturk.com/projects/T/tasks"


def test_a_live_experiment_opens_its_hit_on_the_live_site_once_sns_is_confirmed(mturk, monkeypatch):
    waits = []
    monkeypatch.setattr(client_module, "pause", waits.append)
    expect_hit_creation(mturk, site="live", pending_looks=2)

    opened = MTurkRecruiter(mturk_config(mode="live"), base_url=PUBLIC).open_recruitment(1)

    assert ("mturk", "https://mturk-requester.us-east-1.amazonaws.com") in mturk.built
    assert opened["items"] == ["https://worker.mturk.com/projects/TYPE1/tasks"]
    assert MTurkHit.objects.get().sandbox is False
    assert waits == [1, 1]


@pytest.mark.parametrize(
    "base_url, changes, message",
    [
        ("http://localhost:8000", {}, "cannot reach"),
        (PUBLIC, {"duration": None}, "duration is not set"),
        (PUBLIC, {"id": ""}, "no experiment id"),
    ],
)
def test_opening_refuses_what_mturk_could_not_use_and_calls_nothing(mturk, base_url, changes, message):
    config = mturk_config(**changes)
    with pytest.raises(RecruiterError, match=message):
        MTurkRecruiter(config, base_url=base_url).open_recruitment(1)
    assert mturk.built == [] and not MTurkHit.objects.exists() and not Recruitment.objects.exists()


def test_opening_twice_is_refused(mturk):
    expect_hit_creation(mturk)
    recruiter = MTurkRecruiter(mturk_config(), base_url=PUBLIC)
    recruiter.open_recruitment(1)
    with pytest.raises(RecruiterError, match="already recorded"):
        recruiter.open_recruitment(1)
    assert MTurkHit.objects.count() == 1


def expect_extension(mturk, *, number, recruited_before, hours=2):
    mturk.expect(
        "create_additional_assignments_for_hit",
        {
            "HITId": "HIT1",
            "NumberOfAdditionalAssignments": number,
            "UniqueRequestToken": token_of(f"HIT1:assignments:{recruited_before}:{number}"),
        },
    )
    mturk.expect("get_hit", {"HITId": "HIT1"}, {"HIT": hit(annotation=EXPERIMENT_ID)})
    mturk.expect("update_expiration_for_hit", {"HITId": "HIT1", "ExpireAt": EXPIRATION + timedelta(hours=hours)})


def test_recruiting_adds_assignments_and_time_only_with_auto_recruit(mturk):
    expect_hit_creation(mturk)
    recruiter = MTurkRecruiter(mturk_config(), base_url=PUBLIC)
    recruiter.open_recruitment(1)

    assert recruiter.recruit(2) == []  # auto_recruit is off: nothing called
    recruiter.config.set("auto_recruit", True)
    expect_extension(mturk, number=2, recruited_before=1)
    recruiter.recruit(2)

    assert Recruitment.objects.filter(recruiter_id="mturk").count() == 3


def test_an_extension_mturk_made_before_is_not_made_again(mturk):
    expect_hit_creation(mturk)
    recruiter = MTurkRecruiter(mturk_config(auto_recruit=True), base_url=PUBLIC)
    recruiter.open_recruitment(1)
    mturk.refuse(
        "create_additional_assignments_for_hit",
        {"HITId": "HIT1", "NumberOfAdditionalAssignments": 1, "UniqueRequestToken": token_of("HIT1:assignments:1:1")},
        'The idempotency token "x" has already been processed. (1626172412406)',
    )
    mturk.expect("get_hit", {"HITId": "HIT1"}, {"HIT": hit(annotation=EXPERIMENT_ID)})
    mturk.expect("update_expiration_for_hit", {"HITId": "HIT1", "ExpireAt": EXPIRATION + timedelta(hours=2)})

    recruiter.recruit(1)

    assert Recruitment.objects.filter(recruiter_id="mturk").count() == 2


def test_mturklarge_opens_with_ten_and_adds_assignments_only_past_them(mturk):
    expect_hit_creation(mturk, max_assignments=10, recruiter="mturklarge")
    recruiter = MTurkLargeRecruiter(mturk_config(recruiter="mturklarge", auto_recruit=True), base_url=PUBLIC)
    recruiter.open_recruitment(3)

    recruiter.recruit(5)  # 8 of the 10: MTurk is not called
    expect_extension(mturk, number=2, recruited_before=8)
    recruiter.recruit(4)  # 12: two past the first ten

    assert Recruitment.objects.filter(recruiter_id="mturklarge").count() == 12


def test_mturklarge_asked_for_more_than_ten_opens_with_that_many(mturk):
    expect_hit_creation(mturk, max_assignments=15, recruiter="mturklarge")
    MTurkLargeRecruiter(mturk_config(), base_url=PUBLIC).open_recruitment(15)


def test_closing_expires_the_hit(mturk):
    expect_hit_creation(mturk)
    recruiter = MTurkRecruiter(mturk_config(), base_url=PUBLIC)
    recruiter.open_recruitment(1)
    mturk.expect("update_expiration_for_hit", {"HITId": "HIT1", "ExpireAt": 0})

    assert recruiter.close_recruitment() == "HIT HIT1 expired."


def test_closing_without_a_hit_calls_nothing(mturk):
    assert "nothing to close" in MTurkRecruiter(mturk_config(), base_url=PUBLIC).close_recruitment()
    assert mturk.built == []


# The exit page ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, action, site",
    [
        ("sandbox", "https://workersandbox.mturk.com/mturk/externalSubmit", "https://workersandbox.mturk.com"),
        ("live", "https://www.mturk.com/mturk/externalSubmit", "https://worker.mturk.com"),
    ],
)
def test_the_exit_page_submits_the_assignment_to_mturk(client, use_experiment, make_participant, mode, action, site):
    use_experiment("pushbutton", recruiter="mturk", mode=mode)
    participant = make_participant(recruiter_id="mturk", assignment_id='A1"><b>x', hit_id="HIT1", worker_id="W1")

    response = client.get(f"/recruiter-exit?participant_id={participant.pk}")

    page = response.content.decode()
    assert response.status_code == 200
    assert "X-Frame-Options" not in response  # MTurk's worker site shows the pages in a frame
    assert f'<form id="mturk-exit" method="post" action="{action}">' in page
    assert '<input type="hidden" name="hitId" value="HIT1">' in page
    assert '<input type="hidden" name="workerId" value="W1">' in page
    assert 'value="A1&#34;&gt;&lt;b&gt;x"' in page and "<b>x" not in page
    policy = response["Content-Security-Policy"]
    assert site in policy.split("frame-ancestors")[1].split(";")[0]
    assert action.rsplit("/mturk/", 1)[0] in policy.split("form-action")[1].split(";")[0]


def test_opening_waits_for_the_listener_to_confirm_the_subscription(mturk, monkeypatch):
    waits = []
    monkeypatch.setattr(client_module, "pause", waits.append)
    mturk.expect("get_account_balance", {}, {"AvailableBalance": "100.00"})
    expect_hit_type(mturk)
    expect_subscription(mturk, pending_looks=13)  # confirmed at the 14th look, after 13 seconds: too late

    with pytest.raises(RecruiterError, match="did not confirm the subscription of .*/mturk-sns-listener within 12"):
        MTurkRecruiter(mturk_config(), base_url=PUBLIC).open_recruitment(1)

    assert waits == [1] * 12
    assert not MTurkHit.objects.exists() and not Recruitment.objects.exists()
    mturk.sns._queue.clear()  # the confirming look, never made
