"""The dashboard's Logger tab: the platform's recent log records, kept by a logging handler."""
