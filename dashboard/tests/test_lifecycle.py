"""The Lifecycle tab: the experiment's state, and each action confirmed, done, shown and recorded."""

import io
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from core.models import Network, Recruitment
from experiments.config import get_config
from experiments.models import RuntimeSetting
from experiments.services.lifecycle import LAUNCH
from recruitment.models import ProlificStudy
from recruitment.recruiters import by_name

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/lifecycle/"


def action_url(slug: str) -> str:
    return reverse("admin:dashboard-lifecycle-action", args=[slug])


@pytest.fixture
def experimenter():
    return get_user_model().objects.create_user("experimenter", is_staff=True)


@pytest.fixture
def client(experimenter):
    logged_in = Client()
    logged_in.force_login(experimenter)
    return logged_in


@pytest.fixture
def bartlett(use_experiment):
    return use_experiment("bartlett1932")


@pytest.fixture
def prolific_study(use_experiment, fake_prolific):
    """The pushbutton experiment recruiting on (the fake) Prolific, its study published; its id."""
    loaded = use_experiment(
        "pushbutton",
        recruiter="prolific",
        mode="live",
        publish_experiment=True,
        id="exp-lifecycle",
        title="Push the button",
        description="A short study",
        base_payment=1.0,
        prolific_api_token=fake_prolific.token,
        prolific_api_base_url=fake_prolific.base_url,
        prolific_workspace="My workspace",
        prolific_project="Lifecycle",
        prolific_estimated_completion_minutes=5,
    )
    recruiter = by_name("prolific")(loaded.config, base_url="http://localhost:8000")
    recruiter.open_recruitment(3)
    return recruiter.study_id


def messages_of(answer) -> list[str]:
    return [str(message) for message in answer.context["messages"]]


def recorded() -> list[tuple[str, str]]:
    return [(entry.user.username, entry.change_message) for entry in LogEntry.objects.order_by("pk")]


# The page ---------------------------------------------------------------------------------------


def test_the_page_shows_the_state_and_counts_participants_by_status(client, bartlett, make_participant):
    make_participant(status="working")
    make_participant(status="working")
    make_participant(status="approved")

    html = client.get(PAGE).content.decode()

    assert '<td id="state-launched">not yet</td>' in html
    assert '<td id="state-recruiter">hotair</td>' in html
    auto_recruit = html.split('id="state-auto-recruit">')[1].split("</td>")[0]
    assert auto_recruit.startswith("on ") and "bartlett1932/config.txt" in auto_recruit  # and where that comes from
    assert "<caption>Participants (3)</caption>" in html
    assert '<tr><td>approved</td><td class="lifecycle-count">1</td></tr>' in html
    assert '<tr><td>working</td><td class="lifecycle-count">2</td></tr>' in html
    assert 'id="action-launch"' in html and 'id="action-pause-recruitment"' in html
    assert 'id="action-resume-recruitment"' not in html


def test_the_page_needs_the_dashboard_login(bartlett):
    answer = Client().get(PAGE)

    assert answer.status_code == 302 and answer["Location"].startswith("/dashboard/login/")
    assert Client().post(action_url("launch")).status_code == 302
    assert not Network.objects.exists()


def test_the_recruiters_own_status_is_shown(client, prolific_study):
    html = client.get(PAGE).content.decode()

    assert '<td id="state-recruiter">prolific</td>' in html
    assert f"<th scope=\"row\">Prolific study</th><td>{prolific_study}</td>" in html
    assert '<th scope="row">Study status</th><td>ACTIVE</td>' in html


# Confirmation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["launch", "pause-recruitment", "resume-recruitment", "close-recruitment",
                                  "expire", "export"])  # fmt: skip
def test_each_action_first_asks_and_changes_nothing(client, bartlett, slug):
    html = client.get(action_url(slug)).content.decode()

    assert f'<form method="post" action="{action_url(slug)}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert not Network.objects.exists() and not Recruitment.objects.exists()
    assert not RuntimeSetting.objects.exists() and not LogEntry.objects.exists()


def test_an_unknown_action_is_not_found_and_other_methods_are_refused(client, bartlett):
    assert client.get(action_url("destroy")).status_code == 404
    assert client.post(action_url("destroy")).status_code == 404
    assert client.put(action_url("launch")).status_code == 405
    assert client.post(PAGE).status_code == 405


# Each action --------------------------------------------------------------------------------------


def test_launching_sets_up_the_networks_and_opens_recruitment_once(client, bartlett, experimenter):
    answer = client.post(action_url("launch"), follow=True)

    assert answer.redirect_chain == [(PAGE, 302)]
    assert Network.objects.exists() and Recruitment.objects.filter(recruiter_id=LAUNCH).count() == 1
    assert messages_of(answer)[0].startswith("Initial recruitment list:")
    assert recorded()[0][0] == "experimenter" and recorded()[0][1].startswith("launched the experiment")
    html = answer.content.decode()
    assert '<td id="state-launched">yes</td>' in html and 'id="action-launch"' not in html

    again = client.post(action_url("launch"), follow=True)
    assert messages_of(again) == ["The experiment was already launched; recruitment is open."]
    assert Recruitment.objects.filter(recruiter_id=LAUNCH).count() == 1


def test_pausing_then_resuming_recruitment_changes_auto_recruit_for_every_process(client, bartlett):
    get_config().set("auto_recruit", True)

    paused = client.post(action_url("pause-recruitment"), follow=True)

    assert get_config().get("auto_recruit") is False
    assert RuntimeSetting.objects.get(name="auto_recruit").value == "false"
    assert messages_of(paused) == [
        "Recruitment paused: auto_recruit is off for every process; the recruiter asks for nobody new."
    ]
    assert 'id="action-resume-recruitment"' in paused.content.decode()

    resumed = client.post(action_url("resume-recruitment"), follow=True)

    assert get_config().get("auto_recruit") is True
    assert messages_of(resumed) == ["Recruitment resumed: auto_recruit is on for every process."]
    assert [message.split(":")[0] for _, message in recorded()] == ["paused recruitment", "resumed recruitment"]


def test_a_paused_prolific_recruiter_adds_no_places(client, prolific_study, fake_prolific):
    client.post(action_url("resume-recruitment"))
    from experiments import runtime

    runtime.experiment().recruiter.recruit(2)
    assert fake_prolific.study(prolific_study)["total_available_places"] == 5

    client.post(action_url("pause-recruitment"))
    runtime.experiment().recruiter.recruit(2)

    assert fake_prolific.study(prolific_study)["total_available_places"] == 5


def test_closing_recruitment_pauses_the_prolific_study(client, prolific_study, fake_prolific):
    answer = client.post(action_url("close-recruitment"), follow=True)

    assert fake_prolific.study(prolific_study)["status"] == "PAUSED"
    assert messages_of(answer) == [f"Prolific study {prolific_study} paused (it was ACTIVE)."]
    assert recorded() == [("experimenter", f"closed recruitment: Prolific study {prolific_study} paused (it was ACTIVE).")]


def test_expiring_stops_the_prolific_study_for_good(client, prolific_study, fake_prolific):
    answer = client.post(action_url("expire"), follow=True)

    assert fake_prolific.study(prolific_study)["status"] == "COMPLETED"
    assert ProlificStudy.objects.get(study_id=prolific_study).status == "COMPLETED"
    assert "is now COMPLETED" in messages_of(answer)[0]
    assert "already COMPLETED" in messages_of(client.post(action_url("expire"), follow=True))[0]


def test_expiring_with_a_recruiter_that_has_no_study_says_so(client, bartlett):
    answer = client.post(action_url("expire"), follow=True)

    assert answer.status_code == 200
    assert messages_of(answer) == ["Expire: not done. Expiring acts on a Prolific study; the hotair recruiter has none."]
    assert recorded() == [("experimenter", "tried to: expire: refused: Expiring acts on a Prolific study; "
                                           "the hotair recruiter has none.")]  # fmt: skip


def test_a_recruiter_failure_is_a_message_not_a_server_error(client, prolific_study, fake_prolific):
    fake_prolific.fail("GET", f"/studies/{prolific_study}/$", status=403)

    answer = client.post(action_url("close-recruitment"), follow=True)

    assert answer.status_code == 200
    [message] = messages_of(answer)
    assert message.startswith("Close recruitment: not done.") and "403" in message
    assert fake_prolific.study(prolific_study)["status"] == "ACTIVE"


def test_an_unexpected_failure_is_logged_and_said_briefly(client, bartlett, monkeypatch, caplog):
    from dashboard.lifecycle import actions

    def broken(*, experiment):
        raise RuntimeError("a bug in the recruiter")

    monkeypatch.setattr(actions, "recruitment_close", broken)

    answer = client.post(action_url("close-recruitment"), follow=True)

    assert answer.status_code == 200
    assert messages_of(answer) == ["Close recruitment: failed unexpectedly; the server's log says why."]
    assert "a bug in the recruiter" in caplog.text
    assert recorded() == [("experimenter", "tried to: close recruitment: failed unexpectedly")]


# Export -------------------------------------------------------------------------------------------


def exported(answer) -> zipfile.ZipFile:
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))


def test_export_downloads_the_whole_record_with_worker_ids_pseudonymised(client, bartlett, make_participant):
    bartlett.config.set("id", "exp/1 ÿ")
    make_participant(worker_id="real-worker-77")

    answer = client.post(action_url("export"))

    assert answer["Content-Disposition"] == 'attachment; filename="exp-1-data.zip"'
    archive = exported(answer)
    assert "experiment_id.md" in archive.namelist() and "data/participant.csv" in archive.namelist()
    assert "real-worker-77" not in archive.read("data/participant.csv").decode()
    assert recorded() == [("experimenter", "exported the data: worker ids pseudonymised")]


def test_export_keeps_worker_ids_when_asked(client, bartlett, make_participant):
    make_participant(worker_id="real-worker-78")

    archive = exported(client.post(action_url("export"), {"keep_identities": "on"}))

    assert "real-worker-78" in archive.read("data/participant.csv").decode()
    assert recorded() == [("experimenter", "exported the data: with worker ids")]


def test_sending_owed_payouts_pays_what_the_ledger_owes_once_and_leaves_the_doubtful_alone(
    client, bartlett, experimenter, make_participant
):
    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from recruitment.models import Payment
    from recruitment.payments import ledger

    experimenter.user_permissions.add(Permission.objects.get(codename="pay_participants"))
    owed, interrupted, doubtful = (make_participant(status="approved", base_pay=1.0) for _ in range(3))
    for participant in (owed, interrupted, doubtful):
        ledger.settlement_intend(participant=participant, recruit="none", bonus_reason=None)
    stale = timezone.now() - ledger.SENDING_LEASE * 2
    Payment.objects.filter(participant_id=interrupted.pk).update(state="sending", sending_since=stale)
    Payment.objects.filter(participant_id=doubtful.pk).update(state="unknown")

    first = client.post(action_url("send-owed-payouts"), follow=True).content.decode()
    again = client.post(action_url("send-owed-payouts"), follow=True).content.decode()

    assert "Sent 2 owed payouts; 1 of them interrupted earlier and resumed." in first
    assert "Sent 0 owed payouts." in again
    states = dict(Payment.objects.values_list("participant_id", "state"))
    assert states == {owed.pk: "sent", interrupted.pk: "sent", doubtful.pk: "unknown"}
    assert Payment.objects.get(participant_id=owed.pk).attempts == 1
    assert LogEntry.objects.filter(change_message__startswith="sent owed payouts: Sent 2").count() == 1


def test_sending_owed_payouts_needs_the_permission_to_pay(client, bartlett, make_participant):
    from recruitment.models import Payment
    from recruitment.payments import ledger

    participant = make_participant(status="approved", base_pay=1.0)
    ledger.settlement_intend(participant=participant, recruit="none", bonus_reason=None)

    # The page does not offer it to staff who may not pay; asked for anyway, it is refused.
    assert action_url("send-owed-payouts") not in client.get(PAGE).content.decode()
    assert action_url("export") in client.get(PAGE).content.decode()
    asked = client.get(action_url("send-owed-payouts"), follow=True).content.decode()
    done = client.post(action_url("send-owed-payouts"), follow=True).content.decode()

    for page in (asked, done):
        assert "Only users allowed to pay participants" in page and "nothing was done" in page
    assert Payment.objects.get().state == "intended"
