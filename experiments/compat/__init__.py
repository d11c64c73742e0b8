"""Running experiment packages written for Dallinger unchanged: `dallinger.*` and `flask` names."""
