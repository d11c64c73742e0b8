"""`Experiment.run()` and `Experiment.collect()`: running an experiment from a Python script.

As Dallinger documents them: `run` runs the experiment (here: `manage.py runexperiment` with
bots, in a process of its own, on the embedded default or on `DATABASE_URL`/`REDIS_URL` when
set) and returns its data; `collect` returns the data of an earlier run with that id if it is
in `data/`, and runs the experiment otherwise.
"""

import inspect
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings

#: How many bots a run recruits at most, unless `max_bots` says otherwise.
DEFAULT_MAX_BOTS = 100


class RunFailed(RuntimeError):
    """`runexperiment` exited with an error; the message ends with what it printed last."""


def data_path(app_id: str) -> Path:
    """Where the data of the run `app_id` is kept: `data/<app_id>-data.zip` in the current folder."""
    return Path.cwd() / "data" / f"{app_id}-data.zip"


def run(experiment, exp_config=None, app_id=None, bot=False, **kwargs):
    """Run `experiment`'s package with bots to the end and return its data (see `Experiment.run`)."""
    if not bot:
        raise ValueError(
            "Experiment.run() runs an experiment with bots here (bot=True); to run it with people, "
            "use `manage.py runexperiment` and `manage.py export`."
        )
    app_id = experiment.make_uuid(app_id)
    values = dict(exp_config or kwargs)
    max_bots = int(values.pop("max_bots", DEFAULT_MAX_BOTS))
    values["id"] = app_id
    destination = data_path(app_id)
    command = [
        sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "runexperiment", str(experiment_folder(experiment)),
        "--bots", str(max_bots), "--no-browser", "--port", str(_free_port()), "--export", str(destination),
    ]  # fmt: skip
    for key, value in values.items():
        command += ["--set", f"{key}={value}"]
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        output = (finished.stdout + finished.stderr).strip().splitlines()
        raise RunFailed(f"The run of {type(experiment).__name__} failed:\n" + "\n".join(output[-20:]))
    return load_data(destination)


def collect(experiment, app_id, exp_config=None, bot=False, **kwargs):
    """The data of the run `app_id` if it is in `data/`; otherwise run the experiment under that id."""
    existing = data_path(str(app_id))
    if existing.is_file():
        experiment.log(f"Data found for experiment {app_id}, retrieving.", "Retrieve:")
        return load_data(existing)
    if kwargs.get("mode") == "debug" or (exp_config or {}).get("mode") == "debug":
        raise RuntimeError(f"No local data found for id {app_id}")
    try:
        valid = uuid.UUID(str(app_id)).version == 4
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"Invalid UUID supplied {app_id}")
    experiment.log(f"{app_id} appears to be a new experiment id, running experiment.", "Retrieve:")
    return run(experiment, exp_config, app_id, bot, **kwargs)


def experiment_folder(experiment) -> Path:
    """The package folder of `experiment`'s class."""
    return Path(inspect.getfile(type(experiment))).resolve().parent


def load_data(path: Path):
    """The export at `path` as Dallinger's `Data` (its tables as pandas DataFrames)."""
    from experiments.data import Data

    return Data(str(path))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
