"""Gunicorn settings for the web processes (`gunicorn --config deploy/gunicorn.conf.py ...`).

Values come from the environment so the Procfile, compose.yaml and scripts/production share
this file; command-line options override them. See docs/deployment.md for the sizing rules.
"""

import os

# Where to listen: PORT as Heroku-style platforms set it.
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")

# One process per core. Each process has `threads` request threads; each thread keeps one
# persistent PostgreSQL connection (CONN_MAX_AGE), so PostgreSQL's max_connections must exceed
# workers x threads, summed over every web host, plus the Celery worker's threads.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("WEB_THREADS", "4"))

# Idle connections stay open this long. Behind nginx it must exceed nginx's upstream
# keepalive_timeout (30 s in deploy/nginx/dallinger.conf.template), so that nginx, not
# gunicorn, closes an idle connection: otherwise a request nginx sends on a connection gunicorn
# is closing at that moment fails, and a POST cannot be retried (a 502). Connections waiting
# here hold no request thread.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# A request that takes longer than this is stuck: the worker is restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20

# Import Django once in the master, so workers share its memory; no database connection is
# opened at import time, so nothing is shared across the fork that must not be.
preload_app = True

# Access logs cost a write per request; a proxy in front usually keeps them.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
