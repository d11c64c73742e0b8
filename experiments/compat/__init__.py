"""Running experiment packages written for Dallinger unchanged: `dallinger.*`, `flask` and `sqlalchemy` names."""
