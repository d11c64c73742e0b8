"""A load benchmark: simulated participants through the Bartlett1932 HTTP flow."""
