"""Recruitment's commands, Mechanical Turk flavour, against stubbed MTurk: what each one calls
(every parameter), and the bad input each refuses before calling anything."""

from datetime import timedelta

import pytest
from django.core.management.base import CommandError

from recruitment.models import Payment
from recruitment.mturk.compensation import QUALIFICATION_PREFIX
from recruitment.mturk.questions import compensation_question
from recruitment.payments import payouts
from recruitment.tests.mturk_support import EXPIRATION, hit, token_of
from recruitment.tests.test_commands import Terminal, run

pytestmark = pytest.mark.django_db

LIVE = "https://mturk-requester.us-east-1.amazonaws.com"
SANDBOX = "https://mturk-requester-sandbox.us-east-1.amazonaws.com"


@pytest.fixture
def experiment(use_experiment):
    return use_experiment(
        "pushbutton",
        id="exp-mturk",
        recruiter="mturk",
        mode="live",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-secret",
    )


def expect_holders(mturk, qualification_id, *scores):
    mturk.expect(
        "list_workers_with_qualification_type",
        {"QualificationTypeId": qualification_id, "MaxResults": 100, "Status": "Granted"},
        {
            "Qualifications": [
                {"WorkerId": f"W{i}", "QualificationTypeId": qualification_id, "IntegerValue": score}
                for i, score in enumerate(scores)
            ]
        },
    )


# Bad input: refused with a message, nothing built or called ------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (("qualify", "--qualification", "Q1", "--value", "1"), "Name at least one worker id"),
        (("qualify", "W1", "--qualification", "Q1", "--value", "1.5"), "--value must be a whole number"),
        (("qualify", "W1", "--value", "1"), "Name the qualification"),
        (("revoke", "--qualification", "Q1", "--yes"), "Name at least one worker id"),
        (("revoke", "W1", "--yes"), "Name the qualification"),
        (("extend_mturk_hit", "--assignments", "2", "--yes"), "Name the HIT"),
        (("extend_mturk_hit", "--hit_id", "HIT1", "--assignments", "0", "--yes"), "--assignments must be"),
        (("extend_mturk_hit", "--hit_id", "HIT1", "--assignments", "two", "--yes"), "--assignments must be"),
        (("extend_mturk_hit", "--hit_id", "HIT1", "--assignments", "2", "--duration_hours", "-1"), "--duration_hours"),
        (("extend_mturk_hit", "--hit_id", "HIT1", "--assignments", "2", "--duration_hours", "nan"), "--duration_hours"),
        (("expire", "--hit_id", "HIT1", "--app", "exp-mturk", "--yes"), "exactly one of --hit_id"),
        (("expire", "--recruiter", "mturk", "--yes"), "exactly one of --hit_id"),
        (("expire", "--hit_id", "HIT1", "--pause", "--yes"), "are for Prolific"),
        (("compensate", "--worker_id", "W1", "--dollars", "-1", "--yes"), "more than 0"),
        (("compensate", "--worker_id", "W1", "--dollars", "1.234", "--yes"), "more than two decimals"),
        (("compensate", "--worker_id", " ", "--dollars", "1", "--yes"), "Name the MTurk worker"),
        (("compensate", "--worker_id", "W1", "--dollars", "1", "--key", "two words", "--yes"), "without spaces"),
    ],
)
def test_bad_input_is_refused_before_anything_is_called(mturk, experiment, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert mturk.built == []
    assert not Payment.objects.exists()


# qualify and revoke ----------------------------------------------------------------------------


def test_qualify_gives_each_worker_the_score_and_counts_the_holders(mturk, experiment):
    for worker in ("W1", "W2"):
        mturk.expect(
            "associate_qualification_with_worker",
            {"QualificationTypeId": "Q1", "WorkerId": worker, "IntegerValue": 3, "SendNotification": False},
        )
    expect_holders(mturk, "Q1", 3, 3, 1)

    output = run("qualify", "W1", "W2", "--qualification", "Q1", "--value", "3", "--sandbox")

    assert mturk.built[0] == ("mturk", SANDBOX)
    assert "Gave worker W2 qualification Q1 with score 3." in output
    lines = output.splitlines()
    assert lines[-2].split() == ["1", "1"] and lines[-1].split() == ["3", "2"]


def test_qualify_by_name_on_the_live_site_with_notification(mturk, experiment):
    mturk.expect(
        "list_qualification_types",
        {"Query": "MEMORY", "MustBeRequestable": False, "MustBeOwnedByCaller": True, "MaxResults": 100},
        {"QualificationTypes": [{"QualificationTypeId": "QMEM", "Name": "memory"}]},
    )
    mturk.expect(
        "associate_qualification_with_worker",
        {"QualificationTypeId": "QMEM", "WorkerId": "W1", "IntegerValue": 1, "SendNotification": True},
    )
    expect_holders(mturk, "QMEM", 1)

    run("qualify", "W1", "--qualification", "memory", "--by_name", "--value", "1", "--notify")

    assert mturk.built[0] == ("mturk", LIVE)


def test_qualify_by_a_name_nobody_made_is_refused(mturk, experiment):
    mturk.expect(
        "list_qualification_types",
        {"Query": "NOPE", "MustBeRequestable": False, "MustBeOwnedByCaller": True, "MaxResults": 100},
        {"QualificationTypes": []},
    )
    with pytest.raises(CommandError, match="No qualification type is named 'nope'"):
        run("qualify", "W1", "--qualification", "nope", "--by_name", "--value", "1")


def test_revoke_asks_then_revokes_and_counts_who_still_holds_it(mturk, experiment):
    assert "Nothing was done" in run("revoke", "W1", "--qualification", "Q1", stdin=Terminal("n\n"))

    mturk.expect(
        "disassociate_qualification_from_worker",
        {
            "QualificationTypeId": "Q1",
            "WorkerId": "W1",
            "Reason": "Revoking automatically assigned Dallinger qualification",
        },
    )
    expect_holders(mturk, "Q1", 2)
    output = run("revoke", "W1", "--qualification", "Q1", stdin=Terminal("y\n"))

    assert "MTurk emails each of them" in output
    assert "1 worker(s) still hold qualification Q1." in output


def test_revoke_without_a_terminal_needs_yes(mturk, experiment):
    with pytest.raises(CommandError, match="pass --yes"):
        run("revoke", "W1", "--qualification", "Q1")


# extend_mturk_hit, expire, hits ----------------------------------------------------------------


def test_extend_adds_assignments_and_hours_then_shows_the_hit(mturk, experiment):
    mturk.expect("get_hit", {"HITId": "HIT1"}, {"HIT": hit(max_assignments=3)})
    mturk.expect(
        "create_additional_assignments_for_hit",
        {"HITId": "HIT1", "NumberOfAdditionalAssignments": 2, "UniqueRequestToken": token_of("HIT1:extend:3:2")},
    )
    mturk.expect("get_hit", {"HITId": "HIT1"}, {"HIT": hit(max_assignments=5)})
    mturk.expect("update_expiration_for_hit", {"HITId": "HIT1", "ExpireAt": EXPIRATION + timedelta(hours=1.5)})
    mturk.expect("get_hit", {"HITId": "HIT1"}, {"HIT": hit(max_assignments=5)})

    output = run(
        "extend_mturk_hit", "--hit_id", "HIT1", "--assignments", "2", "--duration_hours", "1.5", "--sandbox", "--yes"
    )

    assert mturk.built[0] == ("mturk", SANDBOX)
    assert "HIT1" in output.splitlines()[-1] and " 5 " in output.splitlines()[-1]


def test_extend_past_mturks_limit_is_a_readable_refusal(mturk, experiment):
    mturk.expect("get_hit", {"HITId": "HIT1"}, {"HIT": hit(max_assignments=9)})
    mturk.refuse(
        "create_additional_assignments_for_hit",
        {"HITId": "HIT1", "NumberOfAdditionalAssignments": 1, "UniqueRequestToken": token_of("HIT1:extend:9:1")},
        "The HIT was created with less than 10 assignments and cannot be increased to 10 or more.",
        code="ServiceFault",
    )
    with pytest.raises(CommandError, match="Mechanical Turk refused create_additional_assignments_for_hit: The HIT"):
        run("extend_mturk_hit", "--hit_id", "HIT1", "--assignments", "1", "--yes")


def test_expire_by_hit_id(mturk, experiment):
    assert "Dry run: would expire 1 HIT(s) on live Mechanical Turk: HIT1" in run(
        "expire", "--hit_id", "HIT1", "--dry-run"
    )
    mturk.expect("update_expiration_for_hit", {"HITId": "HIT1", "ExpireAt": 0})
    assert "Expired HIT HIT1." in run("expire", "--hit_id", "HIT1", "--yes")


def expect_listing(mturk):
    """Two pages of HITs: two of experiment exp-mturk, one of another."""
    mturk.expect(
        "list_hits",
        {"MaxResults": 100},
        {"HITs": [hit("HIT1", annotation="exp-mturk"), hit("HIT2", annotation="other")], "NextToken": "page2"},
    )
    mturk.expect(
        "list_hits", {"MaxResults": 100, "NextToken": "page2"}, {"HITs": [hit("HIT3", annotation="exp-mturk")]}
    )


def test_expire_by_app_expires_that_experiments_hits_and_reports_failures(mturk, experiment):
    expect_listing(mturk)
    mturk.expect("update_expiration_for_hit", {"HITId": "HIT1", "ExpireAt": 0})
    mturk.refuse("update_expiration_for_hit", {"HITId": "HIT3", "ExpireAt": 0}, "Hit HIT3 does not exist.")

    output = run("expire", "--app", "exp-mturk", "--sandbox", "--yes")

    assert "Expired HIT HIT1." in output and "HIT2" not in output


def test_expire_fails_when_no_hit_could_be_expired(mturk, experiment):
    mturk.refuse("update_expiration_for_hit", {"HITId": "HIT9", "ExpireAt": 0}, "Hit HIT9 does not exist.")
    with pytest.raises(CommandError, match="No HIT was expired"):
        run("expire", "--hit_id", "HIT9", "--yes")


def test_expire_by_app_with_no_hits_says_so(mturk, experiment):
    expect_listing(mturk)
    with pytest.raises(CommandError, match="No HITs of experiment gone were found on live Mechanical Turk"):
        run("expire", "--app", "gone", "--yes")


def test_hits_lists_every_page_or_one_experiments(mturk, experiment):
    expect_listing(mturk)
    output = run("hits", "--sandbox")
    assert all(name in output for name in ("HIT1", "HIT2", "HIT3")) and mturk.built[0] == ("mturk", SANDBOX)

    expect_listing(mturk)
    output = run("hits", "--app", "exp-mturk")
    assert "HIT1" in output and "HIT3" in output and "HIT2" not in output


# compensate ------------------------------------------------------------------------------------


def expect_compensation(mturk, key, *, notify=False):
    token = token_of(key)
    qualification = QUALIFICATION_PREFIX + token[:16]
    mturk.expect(
        "create_qualification_type",
        {
            "Name": qualification,
            "Description": "You have received a qualification to allow you to complete a compensation HIT from "
            "Dallinger for $2.50.",
            "QualificationTypeStatus": "Active",
        },
        {"QualificationType": {"QualificationTypeId": "QCOMP", "Name": qualification}},
    )
    mturk.expect(
        "associate_qualification_with_worker",
        {"QualificationTypeId": "QCOMP", "WorkerId": "W1", "IntegerValue": 1, "SendNotification": notify},
    )
    mturk.expect(
        "create_hit_type",
        {
            "Title": "Dallinger Compensation HIT",
            "Description": "For compensation only: no task is required. Reward $2.50.",
            "Reward": "2.50",
            "AssignmentDurationInSeconds": 3600,
            "Keywords": "",
            "AutoApprovalDelayInSeconds": 0,
            "QualificationRequirements": [
                {"QualificationTypeId": "QCOMP", "Comparator": "Exists", "RequiredToPreview": True}
            ],
        },
        {"HITTypeId": "TCOMP"},
    )
    mturk.expect(
        "create_hit_with_hit_type",
        {
            "HITTypeId": "TCOMP",
            "Question": compensation_question(
                title="Dallinger Compensation HIT", submit_url="https://workersandbox.mturk.com/mturk/externalSubmit"
            ),
            "LifetimeInSeconds": 3 * 86400,
            "MaxAssignments": 1,
            "UniqueRequestToken": token,
        },
        {"HIT": hit("HCOMP", "TCOMP", annotation="")},
    )
    mturk.expect("get_hit", {"HITId": "HCOMP"}, {"HIT": hit("HCOMP", "TCOMP", annotation="")})


def compensation_key(reason="Compensation") -> str:
    from decimal import Decimal

    return payouts.command_payout_key(
        recruiter="mturk",
        kind="compensation",
        study_id="sandbox",
        worker_id="W1",
        amount=Decimal("2.50"),
        reason=reason,
        key=None,
    )


def test_compensate_makes_a_qualification_and_a_hit_once_through_the_ledger(mturk, experiment):
    key = compensation_key()
    expect_compensation(mturk, key, notify=True)

    output = run(
        "compensate", "--worker_id", "W1", "--dollars", "2.50", "--sandbox", "--email", "w1@example.org", "--yes"
    )

    payment = Payment.objects.get()
    assert (payment.key, payment.kind, payment.state, payment.recruiter) == (key, "compensation", "sent", "mturk")
    assert (payment.external_id, payment.setup_id, payment.amount) == ("HCOMP", "QCOMP", 2.5)
    assert "HCOMP" in output and "Send this to w1@example.org" in output
    assert "https://workersandbox.mturk.com/projects/TCOMP/tasks" in output
    # The same command again pays nothing more and calls nothing.
    assert "Already paid" in run("compensate", "--worker_id", "W1", "--dollars", "2.50", "--sandbox", "--yes")
    assert Payment.objects.count() == 1


def test_compensate_asks_first(mturk, experiment):
    output = run("compensate", "--worker_id", "W1", "--dollars", "2.50", stdin=Terminal("n\n"))
    assert "Pay a compensation of 2.50 USD to MTurk worker W1 on live Mechanical Turk" in output
    assert "Nothing was done" in output
    assert not Payment.objects.exists()  # and the stub, given no answers, was not called
