"""Names and modules that let experiments written for Dallinger run here unchanged."""
