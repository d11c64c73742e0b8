"""The dashboard's database pages."""
