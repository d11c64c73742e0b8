"""The Prolific recruiter's connection to Prolific's REST API."""
