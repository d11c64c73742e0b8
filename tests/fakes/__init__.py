"""Local stand-ins for outside services, served over real HTTP for tests."""
