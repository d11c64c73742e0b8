"""Throttling of dashboard logins (django-axes): who is refused, and the page they are shown.

After `AXES_FAILURE_LIMIT` failed logins for one user name from one address, that pair is
locked out for `AXES_COOLOFF_TIME`: the login form answers with the lockout page (429) even
when the password is right. Other user names, and the same name from other addresses, can
still log in. The settings are in dallinger_project/settings.py.
"""

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.contrib import admin
from django.template.response import TemplateResponse

LOCKOUT_STATUS = 429


class ThrottledLoginBackend(AxesStandaloneBackend):
    """Refuses a login that is locked out, before any password is checked.

    Only logins made over the web are counted (they come with a request): a command or a
    test that authenticates in its own process is not someone guessing passwords.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """The page shown instead of the login form while the login is locked out (django-axes'
    `AXES_LOCKOUT_CALLABLE`): a readable page, status 429, saying when to try again."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed logins",
        "cool_off_minutes": minutes,
    }
    response = TemplateResponse(request, "dashboard/login/locked_out.html", context, status=LOCKOUT_STATUS)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    # The middleware that asked for this page runs after the view: render it now.
    return response.render()
