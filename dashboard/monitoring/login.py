"""Whether the staff login that opened a dashboard socket still holds, read again from the database."""

from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib import auth


def staff_login_holds(*, session_key: str | None, user_pk) -> bool:
    """Whether session `session_key` still belongs to the active staff user `user_pk`: False once
    it was logged out (or expired, or ended by a password change) or the user lost staff status."""
    if not session_key:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    # Django's own check, on a fresh read of the session: the user id, its backend and the
    # password hash the login was made with.
    user = auth.get_user(SimpleNamespace(session=session))
    return bool(user.is_authenticated and user.pk == user_pk and user.is_active and user.is_staff)
