"""Amazon SNS messages: whether one was really signed by SNS, for the experiment's topic.

Mechanical Turk sends its events through an SNS topic to `/mturk-sns-listener`, and anyone can
post to that route, so a message counts only when its signature verifies as AWS describes
("Verifying the signatures of Amazon SNS messages"): the certificate is fetched over HTTPS
from an SNS host named in `SigningCertURL`, the signed text is rebuilt from the message's
fields in AWS's order, and `TopicArn` must be the experiment's own topic.
"""

import base64
import binascii
import functools
import re
import threading
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: The fields signed for each message type, in the order AWS signs them. `Subject` is signed
#: only when the notification has one.
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
OPTIONAL_FIELDS = ("Subject",)

#: SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA.
SIGNATURE_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}

#: SNS's own hosts: `sns.<region>.amazonaws.com` (and `.com.cn` in the China regions). The whole
#: host name must match, so `sns.us-east-1.amazonaws.com.evil.com` does not.
SNS_HOST = re.compile(r"sns\.[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}\.amazonaws\.com(?:\.cn)?")

#: A topic ARN: partition, region, account, then the topic's name.
TOPIC_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:[0-9]{12}:(?P<name>[A-Za-z0-9_-]{1,256})")

#: Seconds to connect to, and then to wait on, an SNS host: a message waits for its certificate
#: only on the first use of that certificate (it is cached), and SNS itself gives up on a
#: delivery after 15 seconds.
FETCH_TIMEOUT = (3.05, 5)
#: A certificate is about 2 KB; anything far larger is not one.
FETCH_LIMIT_BYTES = 64 * 1024
#: Certificates kept in memory per process (SNS signs with one per region at a time).
CERTIFICATES_KEPT = 16


class MessageRefused(Exception):
    """A message that is not accepted: an HTTP `status`, a message and a short code."""

    def __init__(self, status: int, message: str, error_code: str):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code


class FetchFailed(Exception):
    """An SNS host could not be reached or did not answer with the document (`status`: its
    HTTP status, None when there was no answer)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def topic_name(experiment_id: str) -> str:
    """The name of the SNS topic an experiment's MTurk events go through: its id, as Dallinger
    names it (the recruiter creates it; the listener expects it)."""
    return str(experiment_id)


def topic_arn_expected(topic_arn: str, *, experiment_id: str, configured_arn: str | None = None) -> bool:
    """Whether `topic_arn` is the experiment's topic: exactly `configured_arn` when the recruiter
    stored one, otherwise any account's and region's topic named after the experiment."""
    if not isinstance(topic_arn, str) or not topic_arn:
        return False
    if configured_arn:
        return topic_arn == configured_arn
    match = TOPIC_ARN.fullmatch(topic_arn)
    return bool(experiment_id) and match is not None and match["name"] == topic_name(experiment_id)


def sns_url_allowed(url: str, *, certificate: bool = False) -> bool:
    """Whether `url` is an HTTPS address on an SNS host (with `certificate`, a `.pem` file), so
    that fetching it cannot reach anything but SNS."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if parts.scheme != "https" or parts.username is not None or parts.password is not None:
        return False
    if port not in (None, 443) or not SNS_HOST.fullmatch(parts.hostname or ""):
        return False
    return parts.path.endswith(".pem") if certificate else True


def fetch(url: str) -> bytes:
    """GET `url` (already checked to be on an SNS host) with short timeouts, no redirects and
    a size limit; its body. Raises FetchFailed, naming the address without its query: a
    SubscribeURL's query holds the subscription's token, and the error is logged."""
    shown = urlsplit(url)._replace(query="", fragment="").geturl()
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT, allow_redirects=False, stream=True) as response:
            if response.status_code != 200:
                raise FetchFailed(f"{shown} answered {response.status_code}.", response.status_code)
            body = b""
            for chunk in response.iter_content(8192):
                body += chunk
                if len(body) > FETCH_LIMIT_BYTES:
                    raise FetchFailed(f"{shown} sent more than {FETCH_LIMIT_BYTES} bytes.", response.status_code)
            return body
    except requests.RequestException as error:
        raise FetchFailed(f"{shown} could not be fetched ({type(error).__name__}).") from None


#: Held while a certificate is looked up, so that the requests of one process arriving together
#: when it has none yet fetch it once between them rather than each (a cache hit takes no time).
_certificate_lookup = threading.Lock()


def signing_key(url: str) -> rsa.RSAPublicKey:
    """The RSA public key of the certificate at `url` (fetched once per process), if the
    certificate is valid now.

    Raises FetchFailed, or MessageRefused when the document is not a usable RSA certificate
    (a failure is not cached, so the next message tries again)."""
    with _certificate_lookup:
        certificate = _certificate_fetched(url)
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise MessageRefused(403, "The signing certificate is not valid now.", "bad_certificate")
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise MessageRefused(403, "The signing certificate's key is not an RSA key.", "bad_certificate")
    return key


def signing_keys_forget() -> None:
    """Forget the certificates fetched so far (tests swap SNS's certificates)."""
    _certificate_fetched.cache_clear()


@functools.lru_cache(maxsize=CERTIFICATES_KEPT)
def _certificate_fetched(url: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(fetch(url))
    except ValueError:
        raise MessageRefused(403, "SigningCertURL does not hold a certificate.", "bad_certificate") from None


def signed_text(message: dict) -> bytes:
    """The text SNS signed for `message`: each signed field's name and value, one per line."""
    lines = []
    for name in SIGNED_FIELDS[message["Type"]]:
        if name in OPTIONAL_FIELDS and name not in message:
            continue
        lines.append(f"{name}\n{message[name]}\n")
    return "".join(lines).encode("utf-8")


def message_check_fields(message) -> None:
    """Refuse (400) a message that is not a JSON object of SNS's shape: a known Type and each
    field SNS signs, plus the signature's own, as strings."""
    if not isinstance(message, dict):
        raise MessageRefused(400, "The body is not a JSON object.", "malformed_body")
    message_type = message.get("Type")
    if message_type not in SIGNED_FIELDS:
        raise MessageRefused(400, f"Type must be one of {', '.join(SIGNED_FIELDS)}.", "unknown_message_type")
    required = [name for name in SIGNED_FIELDS[message_type] if name not in OPTIONAL_FIELDS]
    required += ["SignatureVersion", "Signature", "SigningCertURL"]
    missing = [name for name in required if not isinstance(message.get(name), str) or not message.get(name)]
    wrong = [name for name in OPTIONAL_FIELDS if name in message and not isinstance(message[name], str)]
    if missing or wrong:
        raise MessageRefused(
            400, f"The message lacks text fields SNS always sends: {', '.join(missing + wrong)}.", "missing_fields"
        )


def message_verify(message, *, experiment_id: str, configured_arn: str | None = None) -> None:
    """Accept `message` (a parsed SNS body) only if SNS signed it for the experiment's topic.

    Raises MessageRefused: 400 for a malformed message, 403 for one that is not SNS's or not
    for this experiment's topic, 503 when the SNS host with the certificate cannot be reached
    (SNS delivers the message again later). The certificate's address and the topic are
    checked first, so a forged message makes this server fetch nothing but from SNS.
    """
    message_check_fields(message)
    hash_algorithm = SIGNATURE_HASHES.get(message["SignatureVersion"])
    if hash_algorithm is None:
        raise MessageRefused(403, "SignatureVersion must be 1 or 2.", "bad_signature")
    if not sns_url_allowed(message["SigningCertURL"], certificate=True):
        raise MessageRefused(
            403, "SigningCertURL is not an HTTPS certificate address on an SNS host.", "bad_certificate"
        )
    if message["Type"] != "Notification" and not sns_url_allowed(message["SubscribeURL"]):
        raise MessageRefused(403, "SubscribeURL is not an HTTPS address on an SNS host.", "bad_subscribe_url")
    if not topic_arn_expected(message["TopicArn"], experiment_id=experiment_id, configured_arn=configured_arn):
        unset = "" if experiment_id or configured_arn else " (the experiment has no id, so it has no topic)"
        raise MessageRefused(403, f"TopicArn is not this experiment's topic{unset}.", "wrong_topic")
    try:
        signature = base64.b64decode(message["Signature"], validate=True)
    except (binascii.Error, ValueError):
        raise MessageRefused(403, "Signature is not base64.", "bad_signature") from None
    try:
        key = signing_key(message["SigningCertURL"])
    except FetchFailed as failure:
        if failure.status is not None and 400 <= failure.status < 500:
            raise MessageRefused(403, "SigningCertURL names no certificate on SNS.", "bad_certificate") from None
        raise MessageRefused(
            503, "SNS's signing certificate could not be fetched; try again.", "certificate_unavailable"
        ) from None
    try:
        key.verify(signature, signed_text(message), padding.PKCS1v15(), hash_algorithm())
    except InvalidSignature:
        raise MessageRefused(403, "The message's signature does not verify.", "bad_signature") from None
