"""Management commands of recruitment."""
