"""Checks that a folder is an experiment package this platform can run (`manage.py verify`).

The same checks as Dallinger's `dallinger verify`, each giving a line a person can act on:
the required files, the package's size, the Python version it asks for, its one Experiment
class (and hooks renamed since it was written), its configuration, and files that the
platform's own would hide or be hidden by.
"""

import os
import platform
from dataclasses import dataclass
from pathlib import Path

REQUIRED_FILES = ("config.txt", "experiment.py")
#: Folders never counted in a package's size (they are not part of what runs).
SKIPPED_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv", "data", "snapshots"}
DEFAULT_MAX_SIZE_MB = 256
#: Hooks renamed since Dallinger experiments were written: old name -> new name.
RENAMED_HOOKS = {"on_assignment_submitted_to_recruiter": "on_recruiter_submission_complete"}
#: Files of the platform an experiment should not ship its own copy of.
RESERVED_FILES = (
    "templates/error.html",
    "templates/error-complete.html",
    "templates/exit_recruiter_mturk.html",
    "templates/launch.html",
    "static/css/dallinger.css",
    "static/scripts/dallinger2.js",
    "static/scripts/reqwest.min.js",
    "static/scripts/store+json2.min.js",
    "static/scripts/tracker.js",
    "static/robots.txt",
)


@dataclass(frozen=True)
class Finding:
    """One line of the report: `ok` False is a problem, `warning` True a remark that is not one."""

    ok: bool
    message: str
    warning: bool = False


def verify_package(folder: Path, environ=None) -> list[Finding]:
    """Every finding for the experiment package in `folder`, in the order they are checked."""
    environ = os.environ if environ is None else environ
    findings = directory_findings(folder, environ)
    findings += python_version_findings(folder, environ)
    if (folder / "experiment.py").is_file():
        findings += experiment_findings(folder, environ)
    findings += reserved_file_findings(folder)
    return findings


def directory_findings(folder: Path, environ) -> list[Finding]:
    """The required files are there and the package is not too big to deploy."""
    findings = [
        Finding(True, f"{name} is present") if (folder / name).is_file() else Finding(False, f"{name} is missing")
        for name in REQUIRED_FILES
    ]
    try:
        limit_mb = int(environ.get("EXP_MAX_SIZE_MB", DEFAULT_MAX_SIZE_MB))
    except ValueError:
        return findings + [Finding(False, f"EXP_MAX_SIZE_MB must be a whole number of megabytes, not {environ['EXP_MAX_SIZE_MB']!r}")]
    size = package_size(folder)
    size_mb = round(size / 1_000_000)
    if size <= limit_mb * 1_000_000:
        findings.append(Finding(True, f"size is {size_mb} MB (at most {limit_mb} MB)"))
    else:
        findings.append(Finding(False, f"size is {size_mb} MB, more than {limit_mb} MB; set EXP_MAX_SIZE_MB to allow more"))
    return findings


def package_size(folder: Path) -> int:
    """Bytes in the package's files, leaving out version-control, cache and data folders."""
    total = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if name not in SKIPPED_DIRS]
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def python_version_findings(folder: Path, environ) -> list[Finding]:
    """The package's `.python-version`, if it has one, agrees with the Python running it."""
    wanted_file = folder / ".python-version"
    if not wanted_file.is_file() or environ.get("SKIP_PYTHON_VERSION_CHECK"):
        return []
    wanted = wanted_file.read_text().strip()
    running = platform.python_version()
    if _versions_agree(wanted, running):
        return [Finding(True, f"Python {running} agrees with .python-version ({wanted})")]
    return [Finding(False, f"Python {running} is running but .python-version asks for {wanted}")]


def _versions_agree(wanted: str, running: str) -> bool:
    """Whether every part `wanted` gives (3, 3.11, 3.11.4) is the running version's."""
    try:
        return all(int(a) == int(b) for a, b in zip(wanted.split("."), running.split(".")))
    except ValueError:
        return False


def experiment_findings(folder: Path, environ) -> list[Finding]:
    """The package imports, has one Experiment class with current hook names, and its configuration loads."""
    from experiments.config_sources import ConfigurationError
    from experiments.loader import ExperimentLoadError, load_experiment

    try:
        loaded = load_experiment(str(folder), environ=dict(environ))
    except ExperimentLoadError as error:
        return [Finding(False, str(error))]
    except ConfigurationError as error:
        return [Finding(True, "experiment.py defines one experiment class"), Finding(False, f"configuration: {error}")]
    findings = [Finding(True, f"experiment.py defines one experiment class ({loaded.experiment_class.__name__})")]
    for old, new in RENAMED_HOOKS.items():
        if hasattr(loaded.experiment_class, old):
            findings.append(Finding(False, f"{loaded.experiment_class.__name__}.{old} has been renamed {new}: rename the method"))
    findings.append(Finding(True, "configuration loads"))
    findings += payment_findings(loaded.config)
    return findings


def payment_findings(config) -> list[Finding]:
    """`base_payment` is set, not negative, and in whole cents."""
    from experiments.config_sources import ConfigurationError

    try:
        base_payment = config.get("base_payment", None)
    except ConfigurationError as error:
        return [Finding(False, f"base_payment: {error}")]
    if base_payment is None:
        return [Finding(False, "base_payment has no value")]
    if base_payment < 0:
        return [Finding(False, "base_payment must be zero or more")]
    if round(base_payment, 2) != base_payment:
        return [Finding(False, f"base_payment must be in whole cents: {base_payment} would be paid as {base_payment:.2f}")]
    return [Finding(True, f"base_payment is {base_payment:.2f}")]


def reserved_file_findings(folder: Path) -> list[Finding]:
    """Warnings for files the platform provides itself (not problems: the package still runs)."""
    found = [name for name in RESERVED_FILES if (folder / name).exists()]
    if not found:
        return [Finding(True, "no file hides one of the platform's own")]
    return [
        Finding(True, f"{name} has the name of a file the platform provides; the platform's is used", warning=True)
        for name in found
    ]
