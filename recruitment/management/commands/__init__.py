"""`manage.py` commands for recruiters, payouts and the Prolific study."""
