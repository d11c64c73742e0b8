"""`manage.py verify`: what it accepts, what it reports as a problem, and its exit status."""

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

from experiments.verification import directory_findings, python_version_findings, reserved_file_findings

ROOT = Path(__file__).resolve().parents[2]

GOOD_EXPERIMENT = """
    from experiments.experiment import Experiment


    class Good(Experiment):
        pass
"""


def write_package(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def verify(folder: Path, tmp_path: Path, **environ) -> subprocess.CompletedProcess:
    """Run the command as a user would, with a home of its own (no ~/.dallingerconfig)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "DALLINGER_EXPERIMENT": "", **environ}
    env.pop("EXPERIMENT_CLASS_NAME", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "verify", str(folder)],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
    )  # fmt: skip


def test_a_bundled_demo_passes(tmp_path):
    result = verify(ROOT / "experiments" / "demos" / "bartlett1932", tmp_path)

    assert result.returncode == 0, result.stderr
    assert "✓ experiment.py defines one experiment class (Bartlett1932)" in result.stdout
    assert "Everything looks good." in result.stdout


def test_missing_files_fail_with_each_named(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()

    result = verify(empty, tmp_path)

    assert result.returncode == 1
    assert "✗ config.txt is missing" in result.stdout
    assert "✗ experiment.py is missing" in result.stdout
    assert "2 problem(s) found." in result.stderr
    assert "Traceback" not in result.stderr


def test_a_renamed_hook_and_a_payment_in_fractions_of_a_cent_are_problems(tmp_path):
    package = write_package(tmp_path / "old", {
        "config.txt": "[Payment information]\nbase_payment = 1.005\n",
        "experiment.py": GOOD_EXPERIMENT + "\n        def on_assignment_submitted_to_recruiter(self, participant):\n            pass\n",
    })  # fmt: skip

    result = verify(package, tmp_path)

    assert result.returncode == 1
    assert "Good.on_assignment_submitted_to_recruiter has been renamed on_recruiter_submission_complete" in result.stdout
    assert "base_payment must be in whole cents" in result.stdout


def test_an_experiment_that_does_not_import_is_reported_not_raised(tmp_path):
    package = write_package(tmp_path / "broken", {"config.txt": "", "experiment.py": "import no_such_module_here\n"})

    result = verify(package, tmp_path)

    assert result.returncode == 1
    assert "No module named 'no_such_module_here'" in result.stdout
    assert "Traceback" not in result.stderr


def test_an_invalid_configuration_value_is_a_problem(tmp_path):
    package = write_package(tmp_path / "badconfig", {
        "config.txt": "[Payment information]\nbase_payment = -1\n",
        "experiment.py": GOOD_EXPERIMENT,
    })  # fmt: skip

    result = verify(package, tmp_path)

    assert result.returncode == 1
    assert "base_payment" in result.stdout


def test_the_size_limit_comes_from_the_environment_and_ignores_caches(tmp_path):
    package = write_package(tmp_path / "big", {"config.txt": "", "experiment.py": GOOD_EXPERIMENT})
    (package / "stimuli.bin").write_bytes(b"x" * 1_500_000)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "cached.pyc").write_bytes(b"x" * 5_000_000)

    within = directory_findings(package, {"EXP_MAX_SIZE_MB": "2"})
    over = directory_findings(package, {"EXP_MAX_SIZE_MB": "1"})

    assert all(finding.ok for finding in within)
    assert [finding.message for finding in over if not finding.ok] == [
        "size is 2 MB, more than 1 MB; set EXP_MAX_SIZE_MB to allow more"
    ]


def test_python_version_file_must_agree_unless_the_check_is_skipped(tmp_path):
    (tmp_path / ".python-version").write_text("2.7\n")
    running = ".".join(platform.python_version().split(".")[:2])

    assert [finding.ok for finding in python_version_findings(tmp_path, {})] == [False]
    assert python_version_findings(tmp_path, {"SKIP_PYTHON_VERSION_CHECK": "1"}) == []
    (tmp_path / ".python-version").write_text(running + "\n")
    assert [finding.ok for finding in python_version_findings(tmp_path, {})] == [True]


def test_files_named_like_the_platforms_own_are_warnings_not_problems(tmp_path):
    package = write_package(tmp_path / "shadow", {"static/scripts/dallinger2.js": "// old copy\n"})

    findings = reserved_file_findings(package)

    assert [(finding.ok, finding.warning) for finding in findings] == [(True, True)]
    assert "static/scripts/dallinger2.js" in findings[0].message
