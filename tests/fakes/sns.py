"""A stand-in for Amazon SNS: its own signing certificate, messages signed as SNS signs them
(written from AWS's description of SNS signatures), a stand-in for the HTTPS fetches of
recruitment/mturk/sns.py that serves the certificate and counts subscription confirmations,
and, for server processes, SNS's HTTPS host reached through a local proxy."""

import base64
import datetime
import http.server
import json
import socketserver
import ssl
import threading
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from recruitment.mturk.sns import FetchFailed

REGION = "us-east-1"
ACCOUNT = "123456789012"
CERT_URL = f"https://sns.{REGION}.amazonaws.com/SimpleNotificationService-0f1e2d3c4b5a69788796a5b4c3d2e1f0.pem"
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


def topic_arn(topic: str, *, region: str = REGION, account: str = ACCOUNT) -> str:
    """The ARN of topic `topic` (an experiment's topic is named after its id)."""
    return f"arn:aws:sns:{region}:{account}:{topic}"


def certificate_pair(*, valid_from=None, valid_until=None, authority=False) -> tuple[rsa.RSAPrivateKey, bytes]:
    """A new RSA key and a self-signed certificate for it (PEM), valid now unless told; with
    `authority`, one that may issue other certificates."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from or now - datetime.timedelta(days=1))
        .not_valid_after(valid_until or now + datetime.timedelta(days=1))
    )
    if authority:
        certificate = certificate.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    certificate = certificate.sign(key, hashes.SHA256())
    return key, certificate.public_bytes(serialization.Encoding.PEM)


def string_to_sign(message: dict) -> bytes:
    """AWS's rule: for a Notification, Message, MessageId, Subject (if any), Timestamp,
    TopicArn and Type; for the two confirmations, Message, MessageId, SubscribeURL,
    Timestamp, Token, TopicArn and Type; each as its name, a newline, its value, a newline."""
    if message["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{name}\n{message[name]}\n" for name in names if name in message).encode()


class FakeSns:
    """Signs messages with its own key; `fetch` stands for HTTPS GETs of SNS's addresses:
    it serves `documents` (the certificate at CERT_URL), answers each SubscribeURL, and lists
    every URL asked for in `fetched`."""

    def __init__(self):
        self.key, self.certificate = certificate_pair()
        self.documents = {CERT_URL: self.certificate}
        self.fetched = []
        self.unreachable = False

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        if self.unreachable:
            raise FetchFailed(f"{url} could not be fetched (ConnectTimeout).")
        if "Action=ConfirmSubscription" in url:
            return b"<ConfirmSubscriptionResponse><SubscriptionArn>arn</SubscriptionArn></ConfirmSubscriptionResponse>"
        if url not in self.documents:
            raise FetchFailed(f"{url} answered 404.", 404)
        return self.documents[url]

    def confirmations(self) -> list[str]:
        """The SubscribeURLs fetched (each a confirmation)."""
        return [url for url in self.fetched if "Action=ConfirmSubscription" in url]

    def sign(self, message: dict, *, version: str = "2", key=None) -> dict:
        """`message` with SignatureVersion, SigningCertURL (kept if set) and its Signature."""
        signed = {**message, "SignatureVersion": version}
        signed.setdefault("SigningCertURL", CERT_URL)
        signature = (key or self.key).sign(string_to_sign(signed), padding.PKCS1v15(), HASHES[version]())
        signed["Signature"] = base64.b64encode(signature).decode()
        return signed

    def notification(self, topic: str, events: list[dict], *, subject=None, version="2", **fields) -> dict:
        """A signed Notification on `topic` carrying MTurk's `events`."""
        content = {
            "Events": events,
            "EventDocId": uuid.uuid4().hex,
            "SourceAccount": ACCOUNT,
            "CustomerId": "A1CUSTOMER",
            "EventDocVersion": "2014-08-15",
        }
        message = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic_arn(topic),
            "Message": json.dumps(content),
            "Timestamp": "2026-12-07T10:00:00.000Z",
            "UnsubscribeURL": f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
        }
        if subject is not None:
            message["Subject"] = subject
        message.update(fields)
        return self.sign(message, version=version)

    def subscription_confirmation(self, topic: str, *, version="2", **fields) -> dict:
        """A signed SubscriptionConfirmation for `topic`."""
        token = uuid.uuid4().hex * 2
        message = {
            "Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": topic_arn(topic),
            "Message": f"You have chosen to subscribe to the topic {topic_arn(topic)}.",
            "SubscribeURL": (
                f"https://sns.{REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn={topic_arn(topic)}&Token={token}"
            ),
            "Timestamp": "2026-12-07T10:00:00.000Z",
        }
        message.update(fields)
        return self.sign(message, version=version)


def mturk_event(event_type: str, assignment_id: str | None = None, *, hit_id: str = "3HITID") -> dict:
    """One event as MTurk puts it in a notification's Events."""
    event = {"EventType": event_type, "EventTimestamp": "2026-12-07T10:00:00Z", "HITId": hit_id, "HITTypeId": "3TYPE"}
    if assignment_id is not None:
        event["AssignmentId"] = assignment_id
    return event


class SnsHost:
    """SNS's HTTPS host for server processes: an HTTP proxy on loopback that answers a CONNECT
    to any host with TLS under a certificate for `sns.<REGION>.amazonaws.com`, issued by its own
    authority, then serves the signing certificate and answers SubscribeURLs. A process run with
    `environment()` (HTTPS_PROXY and REQUESTS_CA_BUNDLE) reaches it through the real fetch code,
    TLS verification included. `requests` lists the URLs served."""

    def __init__(self, fake: FakeSns, directory):
        self.fake = fake
        self.requests = []
        authority_key, authority_pem = certificate_pair(authority=True)
        authority = x509.load_pem_x509_certificate(authority_pem)
        self.ca_file = directory / "sns-authority.pem"
        self.ca_file.write_bytes(authority_pem)
        host_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.now(datetime.UTC)
        host_certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sns.{REGION}.amazonaws.com")]))
            .issuer_name(authority.subject)
            .public_key(host_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"sns.{REGION}.amazonaws.com")]), critical=False)
            .sign(authority_key, hashes.SHA256())
        )
        chain = directory / "sns-host.pem"
        chain.write_bytes(
            host_certificate.public_bytes(serialization.Encoding.PEM)
            + host_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(chain)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def environment(self) -> dict:
        """Variables that send a process's HTTPS requests here and make it trust this host."""
        proxy = f"http://127.0.0.1:{self.server.server_address[1]}"
        return {
            "HTTPS_PROXY": proxy,
            "https_proxy": proxy,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_CONNECT(self):
                self.send_response(200, "Connection established")
                self.end_headers()
                try:
                    tls = host.tls.wrap_socket(self.connection, server_side=True)
                except (ssl.SSLError, OSError):
                    self.close_connection = True
                    return
                self.connection, self.rfile, self.wfile = tls, tls.makefile("rb"), socketserver._SocketWriter(tls)
                self.close_connection = False
                while not self.close_connection:
                    self.handle_one_request()
                self.close_connection = True

            def do_GET(self):
                url = f"https://sns.{REGION}.amazonaws.com{self.path}"
                host.requests.append(url)
                try:
                    body, status = host.fake.fetch(url), 200
                except FetchFailed:
                    body, status = b"Not Found", 404
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler
