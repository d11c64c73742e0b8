"""The dashboard needs a login, and lists the record read-only."""

import pytest
from django.urls import reverse

from core.models import Participant

pytestmark = pytest.mark.django_db

RECORD_PAGES = ("participant", "network", "node", "info", "vector", "transmission", "transformation",
                "question", "notification", "recruitment")  # fmt: skip


def test_dashboard_needs_a_login(client):
    response = client.get("/dashboard/core/participant/")

    assert response.status_code == 302
    assert response["Location"].startswith("/dashboard/login/")


@pytest.mark.parametrize("model", RECORD_PAGES)
def test_each_table_of_the_record_is_listed(admin_client, make_participant, model):
    make_participant()

    response = admin_client.get(f"/dashboard/core/{model}/")

    assert response.status_code == 200


def test_participants_list_shows_status_but_not_the_worker_id(admin_client, make_participant):
    participant = make_participant(worker_id="secret-worker-123", status="approved")

    html = admin_client.get("/dashboard/core/participant/").content.decode()

    assert "approved" in html and participant.assignment_id in html
    assert "secret-worker-123" not in html


def test_the_record_cannot_be_changed_or_deleted_from_the_dashboard(admin_client, make_participant):
    participant = make_participant()

    assert admin_client.get("/dashboard/core/participant/add/").status_code == 403
    delete = reverse("admin:core_participant_delete", args=[participant.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Participant.objects.filter(pk=participant.pk).exists()


def test_the_payment_ledger_is_listed_read_only(admin_client, make_participant):
    from recruitment.models import Payment
    from recruitment.payments.ledger import settlement_intend

    settlement_intend(participant=make_participant(worker_id="secret-worker-9"), recruit="none", bonus_reason="Thanks")
    payment = Payment.objects.get(kind="bonus")

    html = admin_client.get("/dashboard/recruitment/payment/").content.decode()

    assert payment.assignment_id in html and "intended" in html
    assert "secret-worker-9" not in html
    assert admin_client.get("/dashboard/recruitment/payment/add/").status_code == 403
    assert admin_client.post(reverse("admin:recruitment_payment_delete", args=[payment.pk]), {"post": "yes"}).status_code == 403
    assert Payment.objects.filter(pk=payment.pk).exists()


@pytest.mark.parametrize("model", ["recruitmentrefusal", "ledgernotice", "prolificstudy", "webhookevent"])
def test_recruitments_own_tables_are_listed_read_only(admin_client, model):
    from recruitment.models import LedgerNotice, ProlificStudy, RecruitmentRefusal, WebhookEvent

    RecruitmentRefusal.objects.create(recruiter="prolific", requested=3, allowed=1, price="1.00", reason="budget")
    LedgerNotice.objects.create(key="budget-80:x", message="80 % of the budget is committed")
    ProlificStudy.objects.create(experiment="x", study_id="a" * 24, status="ACTIVE")
    WebhookEvent.objects.create(event_id="e1", event_type="submission.status.change", resource_id="s1", timestamp=1)

    listing = admin_client.get(f"/dashboard/recruitment/{model}/")

    assert listing.status_code == 200
    assert admin_client.get(f"/dashboard/recruitment/{model}/add/").status_code == 403
