"""Prepare a Dallinger experiment folder as `dallinger debug` does, and empty its database.

Runs with Dallinger's own Python (the virtualenv that benchmarks/dallinger/install.py made), from
benchmarks/dallinger/run.py:

    <venv>/bin/python benchmarks/dallinger/prepare.py <experiment folder> [KEY=VALUE ...]

In the experiment folder it calls `dallinger.utils.setup_experiment` with `mode = debug` and
the given configuration (what `dallinger debug` does before `heroku local`): a new folder with
the experiment's files merged with Dallinger's templates and static files, its Procfile and
the configuration written out. Then, from that folder, `dallinger.db.init_db(drop_all=True)`
creates the tables in `DATABASE_URL`. The last line printed is the folder and the settings in
effect, as JSON.
It imports nothing from this project.
"""

import json
import os
import sys

#: The settings that shape how Dallinger serves the load, recorded with the results.
REPORTED = (
    "mode", "recruiter", "debug_recruiter", "num_participants", "threads", "worker_multiplier", "loglevel",
    "logfile", "lock_table_when_creating_participant", "auto_recruit", "clock_on", "num_dynos_web",
    "num_dynos_worker",
)  # fmt: skip


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    experiment_dir, *items = argv
    config_values = {"mode": "debug"}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator:
            print(f"expected KEY=VALUE, not {item!r}", file=sys.stderr)
            return 2
        config_values[key.strip()] = value

    os.chdir(experiment_dir)
    from dallinger import db
    from dallinger.config import get_config
    from dallinger.utils import setup_experiment

    def log(message, *args, **kwargs):
        print(message, file=sys.stderr, flush=True)

    config = get_config(load=True)
    # Typed as Dallinger declares each key (num_participants an int, ...); an unknown key is an error.
    config.extend(config_values, cast_types=True, strict=True)
    _, folder = setup_experiment(log, debug=True)
    os.chdir(folder)
    db.init_db(drop_all=True)
    effective = {key: config.get(key, None) for key in REPORTED}
    print(json.dumps({"folder": folder, "config": effective}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
