"""The embedded default's database backend: Django's SQLite backend with this project's rules."""
