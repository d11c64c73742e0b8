"""`dallinger.experiment_server.utils`: Dallinger's JSON success and error envelopes, for custom routes."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from experiments.compat.flask import Response, current_django_request
from experiments.error_page import error_page_html

__all__ = ["error_response", "success_response"]


def success_response(**data) -> Response:
    """`{"status": "success", **data}` with status 200."""
    return Response(json.dumps({"status": "success", **data}, cls=DjangoJSONEncoder), mimetype="application/json")


def error_response(
    error_type="Internal server error",
    error_text="",
    status=400,
    participant=None,
    simple=False,
    request_data="",
    error_code=None,
) -> Response:
    """`{"status": "error", ...}`: with `message` when `simple`, else with the error page's `html`."""
    body = {"status": "error"}
    if error_code is not None:
        body["error_code"] = error_code
    if simple:
        body["message"] = error_text
    else:
        body["html"] = error_page_html(
            current_django_request(),
            message=error_text,
            error_type=error_type,
            participant=participant,
            request_data=request_data,
        )
    return Response(json.dumps(body, cls=DjangoJSONEncoder), status=status, mimetype="application/json")
