"""Money: the payment ledger, budget caps and their notices, payouts made by commands."""
