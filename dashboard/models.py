"""The dashboard keeps no tables of its own (its change counter is made by dashboard/apps.py)."""
