"""The Dallinger-compatible HTTP API: one view per route, parsing input and calling a service."""
