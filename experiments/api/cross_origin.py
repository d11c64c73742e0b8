"""Cross-origin access for the routes Dallinger opens to pages on any origin."""

#: How long a browser may reuse a preflight answer, in seconds (Dallinger's value).
PREFLIGHT_MAX_AGE = 21600


class AnyOriginMixin:
    """Lets a page on any origin read every answer of the view, errors and preflights included.

    Dallinger marks `/info` POST, `/tracking_event`, `/notifications` and its recruiters'
    listeners this way, so front ends served from elsewhere (an MTurk iframe, a Prolific page)
    can call them. No credentials are allowed: the participant's binding cookie is not sent
    with such cross-site requests, so a foreign page still cannot act for a participant.
    """

    def options(self, request, *args, **kwargs):
        """A preflight: the headers below say what may follow; requested headers are allowed
        too, since this API also reads JSON bodies (which need `Content-Type` approved)."""
        response = super().options(request, *args, **kwargs)
        requested = request.META.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        if requested:
            response["Access-Control-Allow-Headers"] = requested
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        """Add the cross-origin headers to whatever the view answered."""
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = ", ".join(sorted(self.allowed_methods))
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response
