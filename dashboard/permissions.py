"""What a dashboard user needs beyond the staff login to move money."""

#: Approving, rejecting, paying a bonus and sending owed payouts need this (superusers have it;
#: the configured experimenter account is one). Other staff can be given it in the Users table.
PAY_PERMISSION = "core.pay_participants"
#: What a staff user without it is told.
PAY_REFUSAL = (
    "Only users allowed to pay participants (permission “Can approve, reject and pay participants”) "
    "may do this; nothing was done."
)


def may_pay(user) -> bool:
    """Whether `user` may approve, reject and pay participants."""
    return bool(user.is_active and user.is_staff and user.has_perm(PAY_PERMISSION))
