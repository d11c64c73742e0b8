"""The dashboard's lifecycle pages."""
