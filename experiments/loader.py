"""Finding and importing experiment packages.

An experiment package is a folder holding `experiment.py` (one Experiment subclass),
`config.txt`, and optionally `templates/`, `static/` and `bots.py`. It is found by:

- a path to the folder;
- the name of a bundled demo (a folder under `experiments/demos/`);
- the name of an installed package registered in the `dallinger.experiments` entry-point
  group (the entry point names the package's module, whose folder is the experiment).

The folder is imported as a package of its own (so `from . import models` works) under a
module name derived from the folder, and is also made available as `dallinger_experiment`,
the name Dallinger experiments use to refer to themselves.
"""

import hashlib
import importlib.machinery
import importlib.util
import inspect
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from experiments.config import Configuration
from experiments.experiment import Experiment

DEMOS_DIR = Path(__file__).resolve().parent / "demos"
ENTRY_POINT_GROUP = "dallinger.experiments"
ALIAS = "dallinger_experiment"


class ExperimentLoadError(Exception):
    """An experiment package cannot be found or imported."""


@dataclass
class LoadedExperiment:
    """An imported experiment package: its folder, module, Experiment class and configuration."""

    name: str
    directory: Path | None
    module: object
    experiment_class: type
    config: Configuration

    @property
    def templates_dir(self) -> Path | None:
        """The package's `templates/` folder, if it has one."""
        return _existing_dir(self.directory, "templates")

    @property
    def static_dir(self) -> Path | None:
        """The package's `static/` folder, if it has one."""
        return _existing_dir(self.directory, "static")


def _existing_dir(parent: Path | None, name: str) -> Path | None:
    if parent is None:
        return None
    candidate = parent / name
    return candidate if candidate.is_dir() else None


def bundled_demos() -> list[str]:
    """Names of the experiments shipped under `experiments/demos/`."""
    return sorted(path.parent.name for path in DEMOS_DIR.glob("*/experiment.py"))


def find_experiment(name_or_path: str) -> Path:
    """The folder of the experiment named or pointed to by `name_or_path`."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "experiment.py").is_file():
            raise ExperimentLoadError(f"{path} is not an experiment package: it has no experiment.py.")
        return path.resolve()
    bundled = DEMOS_DIR / name_or_path
    if (bundled / "experiment.py").is_file():
        return bundled
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == name_or_path:
            spec = importlib.util.find_spec(entry_point.value)
            if spec is None or not spec.submodule_search_locations:
                raise ExperimentLoadError(
                    f"The installed experiment '{name_or_path}' points to {entry_point.value}, "
                    "which is not an importable package."
                )
            return Path(list(spec.submodule_search_locations)[0]).resolve()
    installed = sorted(entry_point.name for entry_point in entry_points(group=ENTRY_POINT_GROUP))
    raise ExperimentLoadError(
        f"No experiment '{name_or_path}': not a folder, not a bundled demo "
        f"({', '.join(bundled_demos()) or 'none'}), not an installed experiment "
        f"({', '.join(installed) or 'none'})."
    )


def _package_name(directory: Path) -> str:
    digest = hashlib.sha1(str(directory).encode()).hexdigest()[:8]
    slug = "".join(char if char.isalnum() else "_" for char in directory.name)
    return f"dallinger_experiment_{slug}_{digest}"


def _import_package(directory: Path):
    """Import `<directory>/experiment.py` as the `experiment` module of a package for the folder."""
    package_name = _package_name(directory)
    module_name = f"{package_name}.experiment"
    if module_name in sys.modules:
        return sys.modules[module_name]
    init_file = directory / "__init__.py"
    if init_file.exists():
        package_spec = importlib.util.spec_from_file_location(
            package_name, init_file, submodule_search_locations=[str(directory)]
        )
    else:
        package_spec = importlib.machinery.ModuleSpec(package_name, None, is_package=True)
        package_spec.submodule_search_locations = [str(directory)]
    package = importlib.util.module_from_spec(package_spec)
    sys.modules[package_name] = package
    if package_spec.loader is not None:
        package_spec.loader.exec_module(package)
    try:
        return importlib.import_module(module_name)
    except Exception as error:
        sys.modules.pop(module_name, None)
        sys.modules.pop(package_name, None)
        raise ExperimentLoadError(f"Could not import {directory / 'experiment.py'}: {error}") from error


def find_experiment_class(module, class_name: str | None = None) -> type:
    """The Experiment subclass of `module`, or the one named `class_name` (EXPERIMENT_CLASS_NAME).

    When the module holds several, the one defined in the module itself is chosen; if that
    is still ambiguous the error lists them.
    """
    candidates = {
        name: member
        for name, member in inspect.getmembers(module, inspect.isclass)
        if issubclass(member, Experiment) and member is not Experiment
    }
    if class_name:
        if class_name not in candidates:
            raise ExperimentLoadError(
                f"No experiment class named {class_name} in {module.__name__} "
                f"(found: {', '.join(sorted(candidates)) or 'none'})."
            )
        return candidates[class_name]
    if not candidates:
        raise ExperimentLoadError(f"No Experiment subclass found in {module.__file__}.")
    if len(candidates) == 1:
        return next(iter(candidates.values()))
    own = [member for member in candidates.values() if member.__module__ == module.__name__]
    if len(own) == 1:
        return own[0]
    raise ExperimentLoadError(
        f"Several experiment classes in {module.__file__}: {', '.join(sorted(candidates))}. "
        "Set EXPERIMENT_CLASS_NAME to choose one."
    )


def load_experiment(name_or_path: str, environ=None, home=None) -> LoadedExperiment:
    """Import an experiment package, register its parameters and load its configuration."""
    from experiments import config as config_module

    directory = find_experiment(name_or_path)
    config = config_module.reset_config()
    module = _import_package(directory)
    sys.modules[ALIAS] = sys.modules[module.__name__.rpartition(".")[0]]
    extra_parameters = getattr(module, "extra_parameters", None)
    if callable(extra_parameters):
        extra_parameters()
    config.load(experiment_dir=directory, environ=environ, home=home)
    experiment_class = find_experiment_class(module, config.get("EXPERIMENT_CLASS_NAME"))
    return LoadedExperiment(directory.name, directory, module, experiment_class, config)


def load_default(environ=None, home=None) -> LoadedExperiment:
    """The base Experiment with the default configuration, for a server with no experiment set."""
    from experiments import config as config_module

    config = config_module.reset_config()
    config.load(environ=environ, home=home)
    return LoadedExperiment("default", None, sys.modules[Experiment.__module__], Experiment, config)
