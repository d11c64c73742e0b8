"""The experimental record in the dashboard: one admin per table, with filters, readable JSON,
links between related rows, and actions on a selection (registered by importing the modules)."""

from dashboard.admin import ledger, mturk, notices, participants, realtime, record  # noqa: F401
