"""`manage.py startexperiment`: a new package that passes `verify` and whose own test runs it with bots."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.runs import embedded_environment

ROOT = Path(__file__).resolve().parents[2]


def environment(folder: Path) -> dict:
    """The embedded default, its files in `folder`/.run (the suite's PostgreSQL and Redis stay out)."""
    run_tmp = folder / ".run"
    run_tmp.mkdir(exist_ok=True)
    env = embedded_environment(run_tmp, run_tmp, HOME=str(run_tmp))
    env.pop("EXPERIMENT_CLASS_NAME", None)
    return env


def manage(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = environment(cwd)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], capture_output=True, text=True, env=env, timeout=300, cwd=cwd
    )


def test_the_new_package_passes_verify_and_its_own_test_runs_two_bots_to_approval(tmp_path):
    # Run from a folder of the user's, not the project's: the package and its run must not
    # depend on where the command started.
    created = manage("startexperiment", "memory_chain", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    package = tmp_path / "memory_chain"
    assert "class MemoryChain(Experiment):" in (package / "experiment.py").read_text()
    assert manage("verify", "memory_chain", cwd=tmp_path).returncode == 0

    own_test = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:django", str(package / "test_experiment.py")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=environment(tmp_path),
    )  # fmt: skip

    assert own_test.returncode == 0, own_test.stdout[-3000:]
    assert "1 passed" in own_test.stdout


@pytest.mark.parametrize("name", ["Memory", "2chains", "class", "memory-chain", "../escape"])
def test_a_name_that_cannot_be_a_package_is_refused_and_nothing_is_written(tmp_path, name):
    result = manage("startexperiment", name, cwd=tmp_path)

    assert result.returncode == 1
    assert "cannot be an experiment's name" in result.stderr
    assert "Traceback" not in result.stderr
    assert [path.name for path in tmp_path.iterdir()] == [".run"]


def test_an_existing_folder_is_never_overwritten(tmp_path):
    (tmp_path / "memory_chain").mkdir()
    (tmp_path / "memory_chain" / "notes.txt").write_text("mine")

    result = manage("startexperiment", "memory_chain", cwd=tmp_path)

    assert result.returncode == 1
    assert "already exists" in result.stderr
    assert [path.name for path in (tmp_path / "memory_chain").iterdir()] == ["notes.txt"]
