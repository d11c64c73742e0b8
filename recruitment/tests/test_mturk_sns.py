"""Amazon SNS messages on /mturk-sns-listener: only SNS's signature (versions 1 and 2), with
the certificate from an SNS host over HTTPS and the experiment's topic, is accepted; anything
else is refused and changes nothing; each message is acted on once; subscriptions are confirmed."""

import http.server
import json
import threading
import time

import pytest
from django.db import connection

from core.models import Participant
from experiments.tests.api_support import TEST_EXPERIMENTS, create_participant, success
from recruitment.models import MTurkHit, SnsMessage
from recruitment.mturk import sns
from recruitment.mturk.sns import FetchFailed, MessageRefused
from recruitment.tests.sns_support import EXPERIMENT_ID, URL, deliver, events_recorded
from tests.fakes.sns import CERT_URL, certificate_pair, mturk_event, topic_arn


@pytest.fixture
def working(client, sns_experiment):
    """A working participant (with a node); their assignment id is what MTurk's events name."""
    participant_id = create_participant(client)["participant"]["id"]
    success(client.post(f"/node/{participant_id}"))
    return Participant.objects.get(pk=participant_id)


# Which addresses may be fetched


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
        "https://SNS.US-EAST-1.AMAZONAWS.COM/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-abc.pem",
    ],
)
def test_a_certificate_on_an_sns_host_over_https_may_be_fetched(url):
    assert sns.sns_url_allowed(url, certificate=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com.cn.evil.com/x.pem",
        "https://evil-sns.us-east-1.amazonaws.com/x.pem",
        "https://sns-us-east-1.amazonaws.com/x.pem",
        "https://sns.amazonaws.com/x.pem",
        "https://s3.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com@evil.com/x.pem",
        "https://user:pass@sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com:8443/x.pem",
        "https://evil.com/sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com/x.txt",
        "https://sns.us-east-1.amazonaws.com\n.evil.com/x.pem",
        "//sns.us-east-1.amazonaws.com/x.pem",
        "ftp://sns.us-east-1.amazonaws.com/x.pem",
        "https://[::1/x.pem",
        "",
        None,
        42,
    ],
)
def test_any_other_certificate_address_is_refused(url):
    assert not sns.sns_url_allowed(url, certificate=True)


def test_a_subscribe_url_needs_an_sns_host_but_no_pem_file():
    assert sns.sns_url_allowed("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t")
    assert not sns.sns_url_allowed("https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription")
    assert not sns.sns_url_allowed("http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription")


@pytest.mark.parametrize(
    "arn, configured, expected",
    [
        (topic_arn(EXPERIMENT_ID), None, True),
        (topic_arn(EXPERIMENT_ID, region="eu-west-1", account="210987654321"), None, True),
        (f"arn:aws-cn:sns:cn-north-1:123456789012:{EXPERIMENT_ID}", None, True),
        (topic_arn("another-experiment"), None, False),
        (topic_arn(EXPERIMENT_ID + "x"), None, False),
        (topic_arn("x" + EXPERIMENT_ID), None, False),
        (f"arn:aws:sqs:us-east-1:123456789012:{EXPERIMENT_ID}", None, False),
        (f"arn:aws:sns:us-east-1:1234:{EXPERIMENT_ID}", None, False),
        (topic_arn(EXPERIMENT_ID) + "\n", None, False),
        ("", None, False),
        (topic_arn(EXPERIMENT_ID), topic_arn(EXPERIMENT_ID), True),
        (topic_arn(EXPERIMENT_ID, account="210987654321"), topic_arn(EXPERIMENT_ID), False),
    ],
)
def test_only_the_experiments_topic_is_expected(arn, configured, expected):
    assert sns.topic_arn_expected(arn, experiment_id=EXPERIMENT_ID, configured_arn=configured) is expected


def test_without_an_experiment_id_no_topic_is_expected():
    assert not sns.topic_arn_expected(topic_arn(""), experiment_id="")
    assert sns.topic_name(EXPERIMENT_ID) == EXPERIMENT_ID


# Signatures


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("subject", [None, "MTurk notification"])
def test_sns_signatures_of_both_versions_verify(fake_sns, version, subject):
    message = fake_sns.notification(
        EXPERIMENT_ID, [mturk_event("AssignmentAccepted", "A1")], subject=subject, version=version
    )
    sns.message_verify(message, experiment_id=EXPERIMENT_ID)
    confirmation = fake_sns.subscription_confirmation(EXPERIMENT_ID, version=version)
    sns.message_verify(confirmation, experiment_id=EXPERIMENT_ID)


def test_the_signed_text_is_awss_canonical_form():
    message = {"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Message": "x\ny", "Timestamp": "s",
               "UnsubscribeURL": "u", "SignatureVersion": "1"}  # fmt: skip
    assert sns.signed_text(message) == b"Message\nx\ny\nMessageId\nm\nTimestamp\ns\nTopicArn\nt\nType\nNotification\n"
    with_subject = sns.signed_text({**message, "Subject": "hi"})
    assert with_subject == b"Message\nx\ny\nMessageId\nm\nSubject\nhi\nTimestamp\ns\nTopicArn\nt\nType\nNotification\n"
    confirmation = {"Type": "SubscriptionConfirmation", "MessageId": "m", "TopicArn": "t", "Message": "x",
                    "Timestamp": "s", "Token": "k", "SubscribeURL": "c", "Subject": "ignored"}  # fmt: skip
    assert sns.signed_text(confirmation) == (
        b"Message\nx\nMessageId\nm\nSubscribeURL\nc\nTimestamp\ns\nToken\nk\nTopicArn\nt\nType\nSubscriptionConfirmation\n"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"Message": json.dumps({"Events": [mturk_event("AssignmentSubmitted", "A1")]})},
        {"MessageId": "another-message-id"},
        {"Timestamp": "2026-12-07T10:00:01.000Z"},
        {"Subject": "added afterwards"},
        {"SignatureVersion": "1"},
    ],
    ids=["message", "message-id", "timestamp", "subject", "version"],
)
def test_a_changed_field_breaks_the_signature(fake_sns, change):
    message = {**fake_sns.notification(EXPERIMENT_ID, [mturk_event("AssignmentAccepted", "A1")]), **change}
    with pytest.raises(MessageRefused) as refused:
        sns.message_verify(message, experiment_id=EXPERIMENT_ID)
    assert (refused.value.status, refused.value.error_code) == (403, "bad_signature")


def test_a_signature_by_another_key_is_refused(fake_sns):
    other_key, _ = certificate_pair()
    message = fake_sns.sign(
        {**fake_sns.notification(EXPERIMENT_ID, [mturk_event("AssignmentAccepted", "A1")])}, key=other_key
    )
    with pytest.raises(MessageRefused, match="does not verify"):
        sns.message_verify(message, experiment_id=EXPERIMENT_ID)


def test_the_certificate_is_fetched_once_per_address(fake_sns):
    for _ in range(3):
        message = fake_sns.notification(EXPERIMENT_ID, [mturk_event("AssignmentAccepted", "A1")])
        sns.message_verify(message, experiment_id=EXPERIMENT_ID)
    assert fake_sns.fetched == [CERT_URL]


def test_an_expired_certificate_is_refused(fake_sns):
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    fake_sns.key, fake_sns.documents[CERT_URL] = certificate_pair(
        valid_from=now - datetime.timedelta(days=30), valid_until=now - datetime.timedelta(days=1)
    )
    message = fake_sns.notification(EXPERIMENT_ID, [mturk_event("AssignmentAccepted", "A1")])
    with pytest.raises(MessageRefused, match="not valid now"):
        sns.message_verify(message, experiment_id=EXPERIMENT_ID)


def test_a_document_that_is_not_a_certificate_is_refused(fake_sns):
    fake_sns.documents[CERT_URL] = b"<html>Not a certificate</html>"
    message = fake_sns.notification(EXPERIMENT_ID, [mturk_event("AssignmentAccepted", "A1")])
    with pytest.raises(MessageRefused, match="does not hold a certificate"):
        sns.message_verify(message, experiment_id=EXPERIMENT_ID)


def test_a_certificate_sns_does_not_have_is_refused_and_an_unreachable_sns_is_a_503(fake_sns):
    missing = fake_sns.notification(
        EXPERIMENT_ID, [mturk_event("AssignmentAccepted", "A1")],
        SigningCertURL="https://sns.us-east-1.amazonaws.com/SimpleNotificationService-missing.pem",
    )  # fmt: skip
    with pytest.raises(MessageRefused) as refused:
        sns.message_verify(missing, experiment_id=EXPERIMENT_ID)
    assert (refused.value.status, refused.value.error_code) == (403, "bad_certificate")

    fake_sns.unreachable = True
    message = fake_sns.notification(EXPERIMENT_ID, [mturk_event("AssignmentAccepted", "A1")])
    with pytest.raises(MessageRefused) as unavailable:
        sns.message_verify(message, experiment_id=EXPERIMENT_ID)
    assert (unavailable.value.status, unavailable.value.error_code) == (503, "certificate_unavailable")


# The fetch itself, against a local HTTP server


class _Documents(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(1)  # and never answers
            return
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/certificate")
            self.end_headers()
            return
        body = b"x" * (sns.FETCH_LIMIT_BYTES + 1) if self.path == "/huge" else b"certificate"
        self.send_response(200 if self.path in ("/certificate", "/huge") else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Documents)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_returns_the_document_and_follows_no_redirect_nor_reads_past_its_limit(local_server):
    assert sns.fetch(f"{local_server}/certificate") == b"certificate"
    for path, status in (("/redirect", 302), ("/huge", 200), ("/absent", 404)):
        with pytest.raises(FetchFailed) as failed:
            sns.fetch(f"{local_server}{path}")
        assert failed.value.status == status


def test_a_failed_fetch_names_the_address_without_the_token_its_query_holds(local_server):
    with pytest.raises(FetchFailed) as failed:
        sns.fetch(f"{local_server}/absent?Action=ConfirmSubscription&Token=secret-token")
    assert "/absent" in str(failed.value) and "secret-token" not in str(failed.value)


def test_fetch_gives_up_on_a_host_that_does_not_answer(local_server, monkeypatch):
    monkeypatch.setattr(sns, "FETCH_TIMEOUT", (1, 0.2))
    with pytest.raises(FetchFailed, match="ReadTimeout") as failed:
        sns.fetch(f"{local_server}/slow")
    assert failed.value.status is None


# The route


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_signed_notification_is_kept_and_its_event_applied(client, fake_sns, working, version, method):
    message = fake_sns.notification(
        EXPERIMENT_ID, [mturk_event("AssignmentReturned", working.assignment_id)], version=version
    )

    answer = success(deliver(client, message, method=method))

    assert answer == {"status": "success", "message_id": message["MessageId"], "duplicate": False}
    assert SnsMessage.objects.get().body == message
    assert events_recorded() == [("AssignmentReturned", working.assignment_id)]
    assert Participant.objects.get(pk=working.pk).status == "returned"


def _tampered(fake, working):
    message = fake.notification(EXPERIMENT_ID, [mturk_event("AssignmentReturned", working.assignment_id)])
    return {**message, "Message": json.dumps({"Events": [mturk_event("AssignmentSubmitted", working.assignment_id)]})}


def _signed(fake, working, **fields):
    return fake.notification(EXPERIMENT_ID, [mturk_event("AssignmentReturned", working.assignment_id)], **fields)


def _without(fake, working, name):
    message = _signed(fake, working)
    message.pop(name)
    return message


REFUSALS = {
    "tampered body": (lambda fake, working: _tampered(fake, working), 403, "bad_signature"),
    "wrong topic": (lambda fake, working: _signed(fake, working, TopicArn=topic_arn("another")), 403, "wrong_topic"),
    "http certificate": (
        lambda fake, working: _signed(fake, working, SigningCertURL=CERT_URL.replace("https:", "http:")),
        403, "bad_certificate",
    ),
    "not an SNS host": (
        lambda fake, working: _signed(fake, working, SigningCertURL="https://certificates.example.org/sns.pem"),
        403, "bad_certificate",
    ),
    "look-alike host": (
        lambda fake, working: _signed(
            fake, working, SigningCertURL=CERT_URL.replace("amazonaws.com/", "amazonaws.com.evil.com/")
        ),
        403, "bad_certificate",
    ),
    "unknown signature version": (lambda fake, working: fake.sign(_signed(fake, working), version="1") | {
        "SignatureVersion": "3"}, 403, "bad_signature"),
    "signature not base64": (lambda fake, working: _signed(fake, working) | {"Signature": "!!"}, 403, "bad_signature"),
    "no signature": (lambda fake, working: _without(fake, working, "Signature"), 400, "missing_fields"),
    "no certificate address": (lambda fake, working: _without(fake, working, "SigningCertURL"), 400, "missing_fields"),
    "no message id": (lambda fake, working: _without(fake, working, "MessageId"), 400, "missing_fields"),
    "no topic": (lambda fake, working: _without(fake, working, "TopicArn"), 400, "missing_fields"),
    "no timestamp": (lambda fake, working: _without(fake, working, "Timestamp"), 400, "missing_fields"),
    "no type": (lambda fake, working: _without(fake, working, "Type"), 400, "unknown_message_type"),
    "unknown type": (lambda fake, working: _signed(fake, working, Type="Surprise"), 400, "unknown_message_type"),
    "a number for a field": (lambda fake, working: _signed(fake, working) | {"Timestamp": 5}, 400, "missing_fields"),
    "message not JSON": (lambda fake, working: _signed(fake, working, Message="{not json"), 400, "malformed_message"),
    "no events": (lambda fake, working: _signed(fake, working, Message="{}"), 400, "malformed_message"),
    "an event without a type": (
        lambda fake, working: _signed(fake, working, Message=json.dumps({"Events": [{"AssignmentId": "A"}]})),
        400, "malformed_message",
    ),
    "unsigned": (
        lambda fake, working: {key: value for key, value in _signed(fake, working).items() if not key.startswith("Sig")},
        400, "missing_fields",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", REFUSALS)
def test_a_message_that_is_not_snss_for_this_topic_is_refused_and_changes_nothing(client, fake_sns, working, name):
    build, status, error_code = REFUSALS[name]
    response = deliver(client, build(fake_sns, working))

    assert response.status_code == status, response.content
    body = response.json()
    assert (body["status"], body["error_code"]) == ("error", error_code)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not SnsMessage.objects.exists()
    assert events_recorded() == []
    assert Participant.objects.get(pk=working.pk).status == "working"
    if error_code in ("bad_certificate", "wrong_topic"):
        assert fake_sns.fetched == []  # nothing was fetched for a message that could not be SNS's


@pytest.mark.parametrize(
    "raw", ["", "{not json", "[]", '"text"', "null", '{"a": ' * 5000 + "1" + "}" * 5000, b"\xff\xfe{}"]
)
def test_a_body_that_is_not_a_json_object_is_a_400(client, fake_sns, sns_experiment, raw):
    response = deliver(client, raw=raw)
    assert response.status_code == 400
    assert not SnsMessage.objects.exists()


def test_a_message_the_database_cannot_store_is_a_400(client, fake_sns, working):
    # A NUL character: PostgreSQL cannot store it in text or JSON.
    message = fake_sns.notification(
        EXPERIMENT_ID, [mturk_event("AssignmentReturned", working.assignment_id)], Subject="a\x00b"
    )
    response = deliver(client, message)
    if connection.vendor != "postgresql":
        assert response.status_code == 200  # SQLite stores it
        return
    assert response.status_code == 400
    assert response.json()["error_code"] == "malformed_body"
    assert not SnsMessage.objects.exists()
    assert events_recorded() == []


def test_a_message_delivered_again_is_acted_on_once(client, fake_sns, working):
    message = fake_sns.notification(EXPERIMENT_ID, [mturk_event("AssignmentAbandoned", working.assignment_id)])

    first = success(deliver(client, message))
    again = success(deliver(client, message))

    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert SnsMessage.objects.count() == 1
    assert events_recorded() == [("AssignmentAbandoned", working.assignment_id)]


def test_a_preflight_allows_any_origin(client, sns_experiment):
    response = client.options(URL, headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]


def test_once_the_hit_is_recorded_only_its_topic_is_accepted(client, fake_sns, working):
    recorded = topic_arn(EXPERIMENT_ID, account="210987654321")
    MTurkHit.objects.create(experiment=EXPERIMENT_ID, hit_id="3HIT", hit_type_id="3TYPE", topic_arn=recorded)
    event = [mturk_event("AssignmentAccepted", working.assignment_id)]

    same_name_elsewhere = deliver(client, fake_sns.notification(EXPERIMENT_ID, event))
    recorded_topic = deliver(client, fake_sns.notification(EXPERIMENT_ID, event, TopicArn=recorded))

    assert same_name_elsewhere.status_code == 403
    assert same_name_elsewhere.json()["error_code"] == "wrong_topic"
    assert success(recorded_topic)["duplicate"] is False
    assert SnsMessage.objects.get().topic_arn == recorded


def test_without_an_experiment_id_every_topic_is_refused(client, db, fake_sns, use_experiment):
    use_experiment(TEST_EXPERIMENTS / "recording")
    response = deliver(client, fake_sns.notification("", [mturk_event("AssignmentAccepted", "A1")]))
    assert response.status_code == 403
    assert "has no id" in response.json()["message"]


# Subscription confirmation


def test_a_subscription_confirmation_is_confirmed_by_fetching_its_subscribe_url_once(client, fake_sns, sns_experiment):
    message = fake_sns.subscription_confirmation(EXPERIMENT_ID)

    success(deliver(client, message))
    success(deliver(client, message))

    assert fake_sns.confirmations() == [message["SubscribeURL"]]
    assert SnsMessage.objects.get().confirmed_at is not None


def test_a_confirmation_that_failed_is_tried_again_when_sns_repeats_the_request(client, fake_sns, sns_experiment):
    message = fake_sns.subscription_confirmation(EXPERIMENT_ID)
    sns.signing_key(message["SigningCertURL"])  # the certificate is at hand; SNS's API is not
    fake_sns.unreachable = True
    success(deliver(client, message))  # kept; its confirmation task gave up (and logged it)
    assert SnsMessage.objects.get().confirmed_at is None

    fake_sns.unreachable = False
    success(deliver(client, message))

    assert SnsMessage.objects.get().confirmed_at is not None
    assert fake_sns.confirmations()[-1] == message["SubscribeURL"]


def test_a_subscribe_url_off_sns_is_refused_and_never_fetched(client, fake_sns, sns_experiment):
    evil = "https://sns.us-east-1.amazonaws.com.evil.com/?Action=ConfirmSubscription&Token=t"
    message = fake_sns.subscription_confirmation(EXPERIMENT_ID, SubscribeURL=evil)

    response = deliver(client, message)

    assert response.status_code == 403
    assert response.json()["error_code"] == "bad_subscribe_url"
    assert evil not in fake_sns.fetched
    assert not SnsMessage.objects.exists()


def test_an_unsubscribe_confirmation_is_kept_and_nothing_is_fetched(client, fake_sns, sns_experiment):
    message = fake_sns.subscription_confirmation(EXPERIMENT_ID, Type="UnsubscribeConfirmation")
    success(deliver(client, message))
    assert SnsMessage.objects.get().message_type == "UnsubscribeConfirmation"
    assert fake_sns.confirmations() == []
