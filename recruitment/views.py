"""Recruitment's own routes: where recruiting platforms call this server."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from recruitment import host
from recruitment.prolific.webhooks import WebhookRefused, webhook_receive

logger = logging.getLogger(__name__)

NOT_SET_UP = "Prolific webhooks are not set up on this server (prolific_webhook_secret is empty)."


def error(message: str, status: int, error_code: str = "") -> JsonResponse:
    """The project's JSON error envelope (`status`, `message`, `error_code`).

    The experiment routes add an `html` error page for a participant's browser; a platform
    calling a webhook has no use for one."""
    body = {"status": "error", "message": message}
    if error_code:
        body["error_code"] = error_code
    return JsonResponse(body, status=status)


@csrf_exempt  # Prolific signs its deliveries instead; it has no CSRF token.
def prolific_webhook(request):
    """POST /prolific-webhook: a signed event from Prolific, written down and applied in the background."""
    if request.method != "POST":
        response = error(f"Method {request.method} is not allowed here; use POST.", 405, "method_not_allowed")
        response["Allow"] = "POST"
        return response
    try:
        secret = host.current().experiment().config.get("prolific_webhook_secret")
    except Exception:
        logger.exception("Prolific webhook refused: the experiment's configuration could not be read.")
        secret = None
    if not secret:
        return error(NOT_SET_UP, 503, "webhooks_not_set_up")
    try:
        raw_body = request.body
    except RequestDataTooBig:
        return error("The request body is larger than the server accepts.", 413, "too_big")
    try:
        status, payload = webhook_receive(headers=request.headers, raw_body=raw_body, secret=secret)
    except WebhookRefused as refusal:
        # Neither the secret nor the signature is logged: only why the delivery was refused.
        logger.warning("Prolific webhook refused (%s): %s", refusal.status, refusal.message)
        return error(refusal.message, refusal.status, refusal.error_code)
    return JsonResponse(payload, status=status)
