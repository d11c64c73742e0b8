"""A bonus form of the dashboard, or its "Send owed payouts", submitted twice at once pays once.

Two threads post the same confirmed bonus form to the live test server (its requests are
served in threads of their own, each on its own PostgreSQL connection) while the fake
Prolific holds the paying call, so that both requests are in flight together. The fake's
records count the money that moved.
"""

import re
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.utils import timezone

from recruitment.models import Payment
from recruitment.payments import ledger, payouts

EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "prolific_payouts"
BONUS_PAY = r"^/bulk-bonus-payments/\w+/pay/$"
PASSWORD = "a long and unguessable passphrase"

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def prolific_participant(use_experiment, fake_prolific, finished_prolific_participant):
    """A participant whose finished Prolific submission can be paid a bonus (through the fake)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    use_experiment(EXPERIMENT, prolific_api_token=fake_prolific.token, prolific_api_base_url=fake_prolific.base_url)
    return finished_prolific_participant("Dashboard bonus race")


def logged_in(server_url: str) -> requests.Session:
    get_user_model().objects.create_superuser("admin", "admin@example.test", PASSWORD)
    session = requests.Session()
    page = session.get(f"{server_url}/dashboard/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{server_url}/dashboard/login/",
        data={"username": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/dashboard/"},
        headers={"Referer": f"{server_url}/dashboard/login/"},
    )
    assert answer.ok and "sessionid" in session.cookies
    return session


def test_a_bonus_form_submitted_twice_at_once_pays_once(live_server, prolific_participant, fake_prolific):
    server_url = live_server.url
    participants = f"{server_url}/dashboard/core/participant/"
    session = logged_in(server_url)
    listing = session.get(participants)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', listing.text).group(1)
    selected = {"_selected_action": prolific_participant.pk, "action": "bonus_participants"}
    form = session.post(
        participants, data={**selected, "index": 0, "csrfmiddlewaretoken": token}, headers={"Referer": participants}
    )
    request_key = re.search(r'name="request_key" value="([^"]+)"', form.text).group(1)
    confirmed = {
        **selected, "confirmed": "yes", "amount": "0.75", "reason": "Helped the group", "request_key": request_key,
        "csrfmiddlewaretoken": token,
    }  # fmt: skip
    # Prolific takes a second over the paying call: the other submission arrives meanwhile.
    fake_prolific.delay("POST", BONUS_PAY, 1.0)
    start = threading.Barrier(2)
    pages = [None, None]

    def submit(index):
        # Each thread is a browser tab of the same experimenter (same cookies).
        tab = requests.Session()
        tab.cookies.update(session.cookies)
        start.wait()
        pages[index] = tab.post(participants, data=confirmed, headers={"Referer": participants}).text

    threads = [threading.Thread(target=submit, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [(worker, amount) for _, worker, amount in fake_prolific.bonus_payments] == [
        (prolific_participant.worker_id, Decimal("0.75"))
    ]
    bonus = Payment.objects.get(kind="bonus")
    assert bonus.state == "sent" and bonus.amount == Decimal("0.75")
    subject = f"The bonus of 0.75 GBP for participant {prolific_participant.pk}"
    paid = [page for page in pages if f"{subject} was paid (ledger row {bonus.pk})." in page]
    told = [page for page in pages if f"{subject} is being paid by another request" in page
            or f"{subject} was paid before" in page]  # fmt: skip
    assert len(paid) == 1 and len(told) == 1


def test_send_owed_payouts_asked_twice_at_once_pays_each_payout_once(live_server, prolific_participant, fake_prolific):
    server_url = live_server.url
    # Owed: the base payment of the finished submission and its bonus (as a submission whose
    # settling task was lost leaves them), and a compensation a crash interrupted before its
    # paying call, past its lease.
    ledger.settlement_intend(participant=prolific_participant, recruit="none", bonus_reason="Thanks!", currency="GBP")
    Payment.objects.filter(kind="bonus").update(amount=Decimal("0.50"))
    interrupted, _ = payouts.payout_intend(
        key="interrupted-compensation", kind=Payment.Kind.BONUS, recruiter="prolific_payouts",
        worker_id=prolific_participant.worker_id, participant=prolific_participant, amount=Decimal("0.25"),
        currency="GBP", reason="Compensation",
    )  # fmt: skip
    Payment.objects.filter(pk=interrupted.pk).update(
        state=Payment.State.SENDING, sending_since=timezone.now() - ledger.SENDING_LEASE * 2
    )
    session = logged_in(server_url)
    action = f"{server_url}/dashboard/lifecycle/send-owed-payouts/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(action).text).group(1)
    # Prolific takes a second over each paying call: the other request arrives meanwhile.
    fake_prolific.delay("POST", BONUS_PAY, 1.0)
    fake_prolific.delay("POST", r"/transition/$", 1.0)
    start = threading.Barrier(2)
    pages = [None, None]

    def send(index):
        tab = requests.Session()
        tab.cookies.update(session.cookies)
        start.wait()
        pages[index] = tab.post(action, data={"csrfmiddlewaretoken": token}, headers={"Referer": action}).text

    threads = [threading.Thread(target=send, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert fake_prolific.approvals == [prolific_participant.assignment_id]
    assert sorted(amount for _, _, amount in fake_prolific.bonus_payments) == [Decimal("0.25"), Decimal("0.50")]
    assert set(Payment.objects.values_list("state", flat=True)) == {"sent"}
    assert not any("not done" in page or "failed unexpectedly" in page for page in pages)
    total_sent = sum(int(re.search(r"Sent (\d+) owed payout", page).group(1)) for page in pages)
    assert total_sent == 3  # each payout reported sent by exactly one of the two requests


def test_send_owed_payouts_is_refused_to_staff_without_the_permission(prolific_participant, fake_prolific):
    ledger.settlement_intend(participant=prolific_participant, recruit="none", bonus_reason=None, currency="GBP")
    staff = get_user_model().objects.create_user("assistant", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(staff)

    confirmation = client.get("/dashboard/lifecycle/send-owed-payouts/", follow=True).content.decode()
    done = client.post("/dashboard/lifecycle/send-owed-payouts/", follow=True).content.decode()

    for page in (confirmation, done):
        assert "Only users allowed to pay participants" in page and "nothing was done" in page
    assert fake_prolific.approvals == [] and Payment.objects.get().state == "intended"
    staff.user_permissions.add(Permission.objects.get(codename="pay_participants"))
    client.post("/dashboard/lifecycle/send-owed-payouts/")
    assert fake_prolific.approvals == [prolific_participant.assignment_id]
