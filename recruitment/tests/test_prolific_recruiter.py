"""The Prolific recruiter against the fake Prolific: the study it creates, adoption after a
crash, places, closing, and payouts through the ledger (each at most once)."""

import logging

import pytest

from core.models import Participant, Recruitment
from experiments.config import Configuration
from recruitment.base import RecruiterError
from recruitment.models import Payment, ProlificStudy
from recruitment.payments import ledger
from recruitment.prolific import recruiter as prolific_module
from recruitment.prolific.client import ProlificAmbiguous, ProlificClient
from recruitment.prolific.codes import code_for
from recruitment.prolific.recruiter import DevProlificRecruiter, ProlificRecruiter
from recruitment.recruiters import for_participant, from_config

pytestmark = pytest.mark.django_db

EXPERIMENT_ID = "4d1f7a52-0f1e-4a3b-9c2d-6e5f4a3b2c1d"
PUBLIC = "https://experiment.example.org"


class Crash(BaseException):
    """The worker dies in the middle of a payout (not an error anything could catch)."""


def prolific_config(fake, **changes) -> Configuration:
    config = Configuration()
    values = {
        "id": EXPERIMENT_ID,
        "title": "Bartlett (1932) memory",
        "description": "Read a story, then write it down.",
        "mode": "sandbox",
        "base_payment": 1.15,
        "prolific_api_token": fake.token,
        "prolific_api_base_url": fake.base_url,
        "prolific_workspace": "my workspace",
        "prolific_project": "Memory",
        "prolific_estimated_completion_minutes": 5,
    }
    values.update(changes)
    for key, value in values.items():
        config.set(key, value)
    return config


@pytest.fixture
def config(fake_prolific):
    return prolific_config(fake_prolific)


@pytest.fixture
def recruiter(config):
    return ProlificRecruiter(config, base_url=PUBLIC + "/")


def created_bodies(fake):
    return [request.json for request in fake.requests_to("POST", r"^/studies/$")]


def test_open_recruitment_creates_a_draft_with_dallingers_fields(recruiter, fake_prolific):
    result = recruiter.open_recruitment(n=3)

    (body,) = created_bodies(fake_prolific)
    project_id = next(iter(fake_prolific.projects))
    default_code = code_for(EXPERIMENT_ID)
    assert body == {
        "name": "Bartlett (1932) memory",
        "internal_name": EXPERIMENT_ID,
        "description": "Read a story, then write it down.",
        "external_study_url": PUBLIC + "/ad?recruiter=prolific&PROLIFIC_PID={{%PROLIFIC_PID%}}"
        "&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}",
        "prolific_id_option": "url_parameters",
        "completion_option": "url",
        "completion_codes": [
            {"code": default_code, "code_type": "DEFAULT", "actor": "participant", "actions": [{"action": "MANUALLY_REVIEW"}]}
        ],
        "estimated_completion_time": 5,
        "maximum_allowed_time": 17,
        "reward": 115,
        "total_available_places": 3,
        "filters": [],
        "is_custom_screening": False,
        "project": project_id,
        "status": "UNPUBLISHED",
    }
    assert fake_prolific.projects[project_id]["title"] == "Memory"
    row = ProlificStudy.objects.get()
    assert (row.experiment, row.status, row.currency) == (EXPERIMENT_ID, "UNPUBLISHED", "GBP")
    assert row.completion_codes == {"DEFAULT": default_code}
    assert fake_prolific.study(row.study_id)["status"] == "UNPUBLISHED"
    assert not fake_prolific.requests_to("POST", r"/transition/")
    assert result["items"] == [body["external_study_url"]]
    assert "draft" in result["message"]
    assert recruiter.study_id == row.study_id
    assert Recruitment.objects.filter(recruiter_id="prolific").count() == 3


def test_codes_are_eight_capitals_or_digits_and_the_same_for_one_experiment():
    code = code_for(EXPERIMENT_ID)
    assert len(code) == 8 and code.isalnum() and code.upper() == code
    assert code == code_for(EXPERIMENT_ID) != code_for("another-experiment")
    assert code_for(EXPERIMENT_ID, "FAILED_ATTENTION_CHECK") not in (code, code_for(EXPERIMENT_ID, "COMPLETED"))


def test_extra_code_types_and_the_recruitment_config_go_into_the_request(fake_prolific):
    config = prolific_config(
        fake_prolific,
        prolific_completion_config='{"FAILED_ATTENTION_CHECK": {"actions": [{"action": "MANUALLY_REVIEW"}]}}',
        prolific_recruitment_config='{"device_compatibility": ["desktop"], "reward": 200}',
        prolific_maximum_allowed_minutes=30,
    )
    ProlificRecruiter(config, base_url=PUBLIC).open_recruitment(n=1)

    (body,) = created_bodies(fake_prolific)
    assert [code["code_type"] for code in body["completion_codes"]] == ["DEFAULT", "FAILED_ATTENTION_CHECK"]
    assert body["completion_codes"][1]["code"] == code_for(EXPERIMENT_ID, "FAILED_ATTENTION_CHECK")
    assert (body["device_compatibility"], body["reward"], body["maximum_allowed_time"]) == (["desktop"], 200, 30)


def test_live_with_publish_experiment_publishes(fake_prolific):
    config = prolific_config(fake_prolific, mode="live", publish_experiment=True)

    result = ProlificRecruiter(config, base_url=PUBLIC).open_recruitment(n=2)

    row = ProlificStudy.objects.get()
    assert fake_prolific.study(row.study_id)["status"] == "ACTIVE"
    assert row.status == "ACTIVE"
    assert "published" in result["message"]


@pytest.mark.parametrize("changes", [{"mode": "sandbox", "publish_experiment": True}, {"mode": "live"}])
def test_without_both_live_mode_and_publish_experiment_it_stays_a_draft(fake_prolific, changes):
    ProlificRecruiter(prolific_config(fake_prolific, **changes), base_url=PUBLIC).open_recruitment(n=1)

    assert fake_prolific.study(ProlificStudy.objects.get().study_id)["status"] == "UNPUBLISHED"


def test_opening_twice_is_refused_and_creates_nothing_more(recruiter, fake_prolific):
    recruiter.open_recruitment(n=1)

    with pytest.raises(RecruiterError, match="already recorded"):
        recruiter.open_recruitment(n=1)

    assert len(fake_prolific.studies) == 1


def test_a_study_made_before_a_crash_is_adopted_not_made_again(recruiter, fake_prolific, monkeypatch):
    # The first launch dies after Prolific made the study and before it was recorded.
    def crash(**fields):
        raise Crash()

    monkeypatch.setattr(prolific_module, "study_record", crash)
    with pytest.raises(Crash):
        recruiter.open_recruitment(n=2)
    monkeypatch.undo()

    recruiter.open_recruitment(n=2)

    assert len(fake_prolific.studies) == 1
    assert len(created_bodies(fake_prolific)) == 1
    assert ProlificStudy.objects.get().study_id == next(iter(fake_prolific.studies))


def test_an_unanswered_creation_is_looked_for_before_being_repeated(recruiter, fake_prolific):
    fake_prolific.drop("POST", r"^/studies/$", apply=True)

    recruiter.open_recruitment(n=1)

    assert len(fake_prolific.studies) == 1
    assert ProlificStudy.objects.get().study_id == next(iter(fake_prolific.studies))


def test_the_workspace_may_be_named_by_its_id(fake_prolific):
    config = prolific_config(fake_prolific, prolific_workspace=fake_prolific.workspace_id)

    ProlificRecruiter(config, base_url=PUBLIC).open_recruitment(n=1)

    assert ProlificStudy.objects.get().workspace_id == fake_prolific.workspace_id


@pytest.mark.parametrize(
    ("workspace", "extra", "message"),
    [
        ("Elsewhere", None, "no Prolific workspace 'Elsewhere'"),
        ("My workspace", "MY WORKSPACE", "2 Prolific workspaces are named"),
        ("", None, "prolific_workspace is not set"),
    ],
)
def test_a_missing_or_ambiguous_workspace_is_a_clear_error(fake_prolific, workspace, extra, message):
    if extra:
        fake_prolific.add_workspace(extra)
    recruiter = ProlificRecruiter(prolific_config(fake_prolific, prolific_workspace=workspace), base_url=PUBLIC)

    with pytest.raises(RecruiterError, match=message):
        recruiter.open_recruitment(n=1)

    assert not fake_prolific.studies and not ProlificStudy.objects.exists()


def test_an_existing_project_is_used_not_made_again(recruiter, fake_prolific):
    client = ProlificClient(fake_prolific.token, fake_prolific.base_url)
    project = client.create_project(fake_prolific.workspace_id, "memory")

    recruiter.open_recruitment(n=1)

    assert list(fake_prolific.projects) == [project["id"]]
    assert ProlificStudy.objects.get().project_id == project["id"]


def test_a_study_without_an_estimated_time_is_refused_before_anything_is_made(fake_prolific):
    config = prolific_config(fake_prolific, prolific_estimated_completion_minutes=0)

    with pytest.raises(RecruiterError, match="prolific_estimated_completion_minutes"):
        ProlificRecruiter(config, base_url=PUBLIC).open_recruitment(n=1)

    assert not fake_prolific.studies


def test_the_budget_is_asked_first_and_a_smaller_allowance_opens_nothing(recruiter, fake_prolific, monkeypatch):
    asked = []

    def allow(**arguments):
        asked.append(arguments)
        return 1

    monkeypatch.setattr(prolific_module, "budget_allow_recruitment", allow)

    with pytest.raises(RecruiterError, match="budget allows 1 of the 3"):
        recruiter.open_recruitment(n=3)

    assert asked[0]["recruiter_nickname"] == "prolific" and asked[0]["n"] == 3 and asked[0]["price"] == 1.15
    assert not fake_prolific.requests and not ProlificStudy.objects.exists()


def test_recruit_adds_places_only_with_auto_recruit(recruiter, config, fake_prolific):
    recruiter.open_recruitment(n=2)
    study_id = recruiter.study_id

    recruiter.recruit(n=3)
    assert fake_prolific.study(study_id)["total_available_places"] == 2
    assert not fake_prolific.requests_to("PATCH", r"/studies/")

    config.set("auto_recruit", True)
    recruiter.recruit(n=3)

    assert fake_prolific.study(study_id)["total_available_places"] == 5
    assert Recruitment.objects.filter(recruiter_id="prolific").count() == 5


def test_close_pauses_an_active_study_and_stop_stops_it(fake_prolific, caplog):
    recruiter = ProlificRecruiter(prolific_config(fake_prolific, mode="live", publish_experiment=True), base_url=PUBLIC)
    recruiter.open_recruitment(n=1)
    caplog.set_level(logging.INFO, logger="recruitment")

    assert "paused" in recruiter.close_recruitment()
    assert fake_prolific.study(recruiter.study_id)["status"] == "PAUSED"
    assert "left as it is (PAUSED)" in recruiter.close_recruitment()
    assert "stopped" in recruiter.stop()
    assert fake_prolific.study(recruiter.study_id)["status"] == "COMPLETED"
    assert "Close recruitment." in caplog.text and "paused" in caplog.text


def test_closing_a_draft_leaves_it_and_says_so(recruiter, fake_prolific):
    recruiter.open_recruitment(n=1)

    assert "left as it is (UNPUBLISHED)" in recruiter.close_recruitment()
    assert not fake_prolific.requests_to("POST", r"/transition/")


# Payouts ------------------------------------------------------------------------------------


@pytest.fixture
def live_study(fake_prolific):
    """A published study and its recruiter (auto_recruit on)."""
    config = prolific_config(fake_prolific, mode="live", publish_experiment=True, auto_recruit=True)
    recruiter = ProlificRecruiter(config, base_url=PUBLIC)
    recruiter.open_recruitment(n=3)
    return recruiter


def taking_part(fake, recruiter, *, bonus=0.0, complete=True) -> Participant:
    """A participant who started the study on the fake (and finished, with `complete`), with
    what their submission owes written on the ledger."""
    submission = fake.start_submission(recruiter.study_id)
    if complete:
        fake.complete_submission(submission["id"], code_for(EXPERIMENT_ID))
    participant = Participant.objects.create(
        recruiter_id="prolific", worker_id=submission["participant_id"], assignment_id=submission["id"],
        hit_id=recruiter.study_id, mode="live", status="approved", base_pay=1.15, bonus=bonus,
    )  # fmt: skip
    ledger.settlement_intend(
        participant=participant, recruit="none", bonus_reason="Thanks" if bonus else None, currency="GBP"
    )
    return participant


def payout(participant, kind) -> Payment:
    return Payment.objects.get(key=ledger.payment_key(participant, kind))


def send(recruiter, participant, kind) -> Payment:
    ledger.payment_send(payment_id=payout(participant, kind).pk, recruiter=recruiter, participant=participant)
    return payout(participant, kind)


def test_the_base_payment_approves_the_submission_once(live_study, fake_prolific):
    participant = taking_part(fake_prolific, live_study)

    payment = send(live_study, participant, "base")
    send(live_study, participant, "base")

    assert payment.state == "sent" and payment.currency == "GBP"
    assert fake_prolific.approvals == [participant.assignment_id]
    assert fake_prolific.submission(participant.assignment_id)["status"] == "APPROVED"


def test_an_approval_waits_while_the_submission_is_still_active(live_study, fake_prolific):
    participant = taking_part(fake_prolific, live_study, complete=False)

    with pytest.raises(ledger.PaymentNotReady, match="ACTIVE"):
        send(live_study, participant, "base")

    assert payout(participant, "base").state == "intended"
    assert fake_prolific.approvals == []
    fake_prolific.complete_submission(participant.assignment_id, code_for(EXPERIMENT_ID))
    assert send(live_study, participant, "base").state == "sent"


@pytest.mark.parametrize("end", ["return_submission", "time_out_submission"])
def test_a_returned_or_timed_out_submission_is_refused_and_nothing_paid(live_study, fake_prolific, end):
    participant = taking_part(fake_prolific, live_study, complete=False)
    getattr(fake_prolific, end)(participant.assignment_id)

    with pytest.raises(ledger.PaymentRefused):
        send(live_study, participant, "base")

    assert payout(participant, "base").state == "failed"
    assert fake_prolific.approvals == []


def test_a_bonus_is_set_up_then_paid_once(live_study, fake_prolific):
    participant = taking_part(fake_prolific, live_study, bonus=0.5)

    payment = send(live_study, participant, "bonus")
    send(live_study, participant, "bonus")

    (setup,) = fake_prolific.requests_to("POST", r"^/submissions/bonus-payments/$")
    assert setup.json == {"study_id": live_study.study_id, "csv_bonuses": f"{participant.worker_id},0.50"}
    assert [(worker, str(amount)) for _, worker, amount in fake_prolific.bonus_payments] == [(participant.worker_id, "0.50")]
    assert (payment.state, payment.external_id, payment.setup_id) == ("sent", setup_id := payment.setup_id, setup_id)


def test_a_crash_between_set_up_and_pay_resumes_without_a_second_set_up_or_pay(live_study, fake_prolific, monkeypatch):
    participant = taking_part(fake_prolific, live_study, bonus=0.5)
    paying = ledger.PaymentSteps.paying

    def die(steps):
        raise Crash()

    monkeypatch.setattr(ledger.PaymentSteps, "paying", die)
    with pytest.raises(Crash):
        send(live_study, participant, "bonus")
    monkeypatch.setattr(ledger.PaymentSteps, "paying", paying)
    interrupted = payout(participant, "bonus")
    assert interrupted.state == "sending" and interrupted.setup_id and fake_prolific.bonus_payments == []

    Payment.objects.filter(pk=interrupted.pk).update(sending_since=interrupted.created_at - ledger.SENDING_LEASE)
    ledger.payment_reconcile_stale(recruiter_for=lambda payment: live_study)
    resumed = send(live_study, participant, "bonus")

    assert resumed.state == "sent" and resumed.setup_id == interrupted.setup_id
    assert len(fake_prolific.requests_to("POST", r"^/submissions/bonus-payments/$")) == 1
    assert len(fake_prolific.bonus_payments) == 1


def test_a_pay_call_cut_short_is_never_repeated_and_ends_unknown(live_study, fake_prolific):
    participant = taking_part(fake_prolific, live_study, bonus=0.5)
    fake_prolific.drop("POST", r"/pay/$", apply=True)

    with pytest.raises(ProlificAmbiguous):
        send(live_study, participant, "bonus")
    cut_short = payout(participant, "bonus")
    assert cut_short.state == "sending" and cut_short.pay_called_at is not None

    Payment.objects.filter(pk=cut_short.pk).update(sending_since=cut_short.created_at - ledger.SENDING_LEASE)
    ledger.payment_reconcile_stale(recruiter_for=lambda payment: live_study)
    send(live_study, participant, "bonus")

    assert payout(participant, "bonus").state == "unknown"
    assert len(fake_prolific.bonus_payments) == 1


def test_a_bonus_waits_until_the_submission_is_complete(live_study, fake_prolific):
    participant = taking_part(fake_prolific, live_study, bonus=0.5, complete=False)

    with pytest.raises(ledger.PaymentNotReady):
        send(live_study, participant, "bonus")

    assert payout(participant, "bonus").state == "intended"
    assert not fake_prolific.requests_to("POST", r"bonus-payments")


def test_payment_outcome_reads_the_submission_for_approvals_and_cannot_tell_for_bonuses(live_study, fake_prolific):
    participant = taking_part(fake_prolific, live_study, bonus=0.5)
    base, bonus = payout(participant, "base"), payout(participant, "bonus")

    assert live_study.payment_outcome(base) is False
    live_study.approve_hit(participant.assignment_id)
    assert live_study.payment_outcome(base) is True
    assert live_study.payment_outcome(bonus) is None
    ongoing = taking_part(fake_prolific, live_study, complete=False)
    assert live_study.payment_outcome(payout(ongoing, "base")) is None


def test_a_rejection_needs_a_long_message_and_a_known_category(live_study, fake_prolific):
    participant = taking_part(fake_prolific, live_study)

    with pytest.raises(RecruiterError, match="100 characters"):
        live_study.reject(participant.assignment_id, "Too short.", "LOW_EFFORT")
    with pytest.raises(RecruiterError, match="Unknown rejection category"):
        live_study.reject(participant.assignment_id, "x" * 120, "LAZY")
    assert not fake_prolific.requests_to("POST", r"/submissions/\w+/transition/")

    live_study.reject(participant.assignment_id, "The answers do not describe the story. " * 3, "LOW_EFFORT")
    assert fake_prolific.submission(participant.assignment_id)["status"] == "REJECTED"


def test_screen_out_needs_custom_screening(live_study, fake_prolific):
    participant = taking_part(fake_prolific, live_study, complete=False)

    with pytest.raises(RecruiterError, match="prolific_is_custom_screening"):
        live_study.screen_out(participant, 0.2)

    assert fake_prolific.submission(participant.assignment_id)["status"] == "ACTIVE"


def test_screen_out_with_custom_screening(fake_prolific):
    config = prolific_config(fake_prolific, mode="live", publish_experiment=True, prolific_is_custom_screening=True)
    recruiter = ProlificRecruiter(config, base_url=PUBLIC)
    recruiter.open_recruitment(n=1)
    participant = taking_part(fake_prolific, recruiter, complete=False)

    recruiter.screen_out(participant, 0.2)

    assert fake_prolific.submission(participant.assignment_id)["status"] == "SCREENED OUT"


# Debug stand-in and secrets -------------------------------------------------------------------


def test_debug_mode_uses_the_stand_in_which_makes_no_http_calls(fake_prolific, caplog):
    config = prolific_config(fake_prolific, mode="debug", recruiter="prolific")
    caplog.set_level(logging.INFO, logger="recruitment")

    recruiter = from_config(config, base_url=PUBLIC)
    result = recruiter.open_recruitment(n=2)
    recruiter.recruit(n=1)
    recruiter.close_recruitment()
    participant = Participant.objects.create(recruiter_id="prolific", worker_id="w", assignment_id="a", hit_id="h")

    assert isinstance(recruiter, DevProlificRecruiter)
    assert isinstance(for_participant(participant, config, base_url=PUBLIC), DevProlificRecruiter)
    assert recruiter.pays_outside is False and recruiter.submitted_event() == "AssignmentSubmitted"
    assert fake_prolific.requests == []
    assert "would call Prolific create_study" in caplog.text
    assert result["items"][0].startswith(PUBLIC + "/ad?recruiter=devprolific&PROLIFIC_PID=")


def test_the_token_is_never_logged_nor_shown_in_errors(fake_prolific, caplog):
    caplog.set_level(logging.DEBUG)
    recruiter = ProlificRecruiter(prolific_config(fake_prolific), base_url=PUBLIC)
    recruiter.open_recruitment(n=1)
    wrong_token = "wrong-" + fake_prolific.token
    wrong = ProlificRecruiter(
        prolific_config(fake_prolific, prolific_api_token=wrong_token, auto_recruit=True), base_url=PUBLIC
    )

    with pytest.raises(RecruiterError) as refused:
        wrong.recruit(n=1)
    with pytest.raises(RecruiterError) as unauthorised:
        wrong.workspace_resolve()

    shown = " ".join([caplog.text, str(refused.value), str(unauthorised.value), repr(wrong.client)])
    assert "prolific_api_token" in str(unauthorised.value) and "401" in str(refused.value)
    assert fake_prolific.token not in shown
    assert wrong_token not in shown
