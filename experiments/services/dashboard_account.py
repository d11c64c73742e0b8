"""The experimenter's dashboard login, made from the experiment's configuration."""

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

DEFAULT_USER = "admin"


class DashboardAccountError(ValueError):
    """The configured dashboard user name cannot be a login name."""


def dashboard_account_ensure(*, config) -> tuple[str, str | None]:
    """Make the configuration's dashboard account able to log in to the dashboard.

    The user is `dashboard_user` (default admin), a staff superuser, created when missing.
    Its password is `dashboard_password`; when that is not set, a new random one, which is
    returned (show it once; it is never logged). Returns (user name, the generated password or
    None when the configuration sets it). `DashboardAccountError` for a user name that cannot
    be a login, with nothing changed.
    """
    user_model = get_user_model()
    username = config.get("dashboard_user", DEFAULT_USER)
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    try:
        username = field.clean(username, None)
    except ValidationError as error:
        # dashboard_user is a sensitive key: the message does not repeat it.
        raise DashboardAccountError(f"dashboard_user cannot be a login name: {' '.join(error.messages)}") from None
    configured = config.get("dashboard_password", None) or None
    password = configured or secrets.token_urlsafe(12)
    with transaction.atomic():
        user, _ = user_model.objects.select_for_update().get_or_create(**{user_model.USERNAME_FIELD: username})
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
    return username, None if configured else password
