"""Turns every error raised while answering an API request into Dallinger's error envelope."""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError, IntegrityError
from rest_framework import exceptions as drf_exceptions

from core.networks import NetworkRuleError
from experiments.api.responses import error
from experiments.errors import ExperimentError
from recruitment.base import RecruiterNotInstalled

logger = logging.getLogger(__name__)

TOO_BIG = "The request body is larger than the server accepts."
UNREADABLE = "The request could not be read: too many fields, nested too deeply, or malformed."
NOT_STORABLE = "The data sent could not be stored: check that every value is well-formed and within its limits."


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: a JSON envelope for every error, never a traceback."""
    request = context.get("request")
    if isinstance(exc, ExperimentError):
        return error(
            request,
            message=exc.message,
            status=exc.status_code,
            error_code=exc.error_code,
            participant=exc.participant,
            error_type=type(exc).__name__,
        )
    if isinstance(exc, RecruiterNotInstalled):
        # The request is well formed; the record names a recruiter this server lacks.
        return error(
            request,
            message=str(exc),
            status=409,
            error_code="recruiter_not_installed",
            error_type="RecruiterNotInstalled",
        )
    if isinstance(exc, drf_exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        status = 400 if isinstance(exc, drf_exceptions.ParseError) else exc.status_code
        return error(request, message=detail, status=status, error_type=type(exc).__name__)
    if isinstance(exc, RequestDataTooBig):
        return error(request, message=TOO_BIG, status=413, error_type="RequestDataTooBig")
    if isinstance(exc, (SuspiciousOperation, RecursionError)):
        # Too many form fields or files, a malformed multipart body, JSON nested past the parser.
        logger.warning("Request to %s refused: %s", getattr(request, "path", "?"), exc)
        return error(request, message=UNREADABLE, status=400, error_type=type(exc).__name__)
    if isinstance(exc, (DataError, IntegrityError)):
        # The database's own wording names tables, constraints and SQL: kept for the log only.
        logger.warning("Request to %s could not be stored: %s", getattr(request, "path", "?"), exc)
        return error(request, message=NOT_STORABLE, status=400, error_type="DataError")
    if isinstance(exc, (ValueError, TypeError, NetworkRuleError)):
        # The model API reports broken rules (connect to a Source, transmit without a
        # connection...) with ValueError/TypeError, as Dallinger's does.
        logger.warning("Request to %s refused: %s", getattr(request, "path", "?"), exc, exc_info=True)
        return error(request, message=str(exc), status=400, error_type=type(exc).__name__)
    logger.exception("Unexpected error answering %s", getattr(request, "path", "?"))
    return error(request, message="The server could not complete this request.", status=500, error_type="ServerError")
