"""The dashboard's configuration pages."""
