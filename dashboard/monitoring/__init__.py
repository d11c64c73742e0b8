"""The dashboard's monitoring pages."""
