"""Side-by-side load runs against Dallinger itself, installed outside the repository."""
