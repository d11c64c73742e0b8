"""Budget caps on what a study spends: per participant and per experiment (placeholder: no caps yet)."""


def budget_allow_recruitment(*, config, recruiter_nickname: str, n: int, price) -> int:
    """How many of `n` more places, each costing `price`, the budget allows."""
    return n


def budget_refusal(payment) -> str | None:
    """Why paying `payment` would break a cap, or None."""
    return None
