"""Mechanical Turk (legacy): the recruiter, its client and its commands' services."""
