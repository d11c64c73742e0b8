"""Finding and importing experiment packages.

An experiment package is a folder holding `experiment.py` (one Experiment subclass),
`config.txt`, and optionally `templates/`, `static/` and `bots.py`. It is found by:

- a path to the folder;
- the name of a bundled demo (a folder under `experiments/demos/`);
- the name of an entry point in the `dallinger.experiments` group of an installed
  distribution; it names the package (`pkg`), a module in it (`pkg.experiment`) or the
  Experiment class (`pkg.experiment:MyExperiment`), and the package's folder is the
  experiment.

The folder is imported as a package of its own (so `from . import models` works) under a
module name derived from the folder, and is also made available as `dallinger_experiment`,
the name Dallinger experiments use to refer to themselves. Before it is imported, `import
dallinger.X` (and `flask` where Flask is not installed) is made to give the project's own
classes (experiments.compat.alias).
"""

import hashlib
import importlib.machinery
import importlib.util
import inspect
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from experiments.compat import alias
from experiments.compat import orm as orm_compat
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

    def submodule(self, name: str):
        """A module of the package (`models`, `bots`), as the loader imported it."""
        return importlib.import_module(f"{self.module.__name__.rpartition('.')[0]}.{name}")

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
    return _locate(name_or_path)[0]


def _locate(name_or_path: str) -> tuple[Path, str | None]:
    """The experiment's folder, and the class name its entry point names (if it names one)."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "experiment.py").is_file():
            raise ExperimentLoadError(f"{path} is not an experiment package: it has no experiment.py.")
        return path.resolve(), None
    bundled = DEMOS_DIR / name_or_path
    if (bundled / "experiment.py").is_file():
        return bundled, None
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == name_or_path:
            return _entry_point_folder(entry_point), entry_point.attr
    installed = sorted(entry_point.name for entry_point in entry_points(group=ENTRY_POINT_GROUP))
    raise ExperimentLoadError(
        f"No experiment '{name_or_path}': not a folder, not a bundled demo "
        f"({', '.join(bundled_demos()) or 'none'}), not an installed experiment "
        f"({', '.join(installed) or 'none'})."
    )


def _entry_point_folder(entry_point) -> Path:
    """The folder of the package an entry point names: `pkg`, `pkg.experiment` or `pkg.experiment:Class`.

    Found without importing anything, so the package is imported once, by the loader.
    """
    top, *rest = entry_point.module.split(".")
    spec = importlib.util.find_spec(top)
    folder = None
    if spec is not None and spec.submodule_search_locations:
        location = Path(list(spec.submodule_search_locations)[0]).joinpath(*rest)
        if location.is_dir():
            folder = location
        elif location.with_suffix(".py").is_file():
            folder = location.parent
    if folder is None:
        raise ExperimentLoadError(
            f"The installed experiment '{entry_point.name}' points to {entry_point.value}, "
            "which is not a module of an importable package."
        )
    if not (folder / "experiment.py").is_file():
        raise ExperimentLoadError(
            f"The installed experiment '{entry_point.name}' points to {folder}, which has no experiment.py."
        )
    return folder.resolve()


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
    try:
        if package_spec.loader is not None:
            package_spec.loader.exec_module(package)
        return importlib.import_module(module_name)
    except Exception as error:
        # Forget the half-imported package, so that a corrected package can be loaded.
        for name in [name for name in sys.modules if name == package_name or name.startswith(package_name + ".")]:
            del sys.modules[name]
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


def _register_extra_parameters(module) -> None:
    """Register the experiment's own configuration keys: `extra_parameters()` as a function of
    the module, or (Dallinger 12) as a classmethod of its Experiment classes.

    Every class's is called, because which class is used (EXPERIMENT_CLASS_NAME) is read from
    the configuration, which needs the keys registered first.
    """
    extra_parameters = getattr(module, "extra_parameters", None)
    if callable(extra_parameters):
        extra_parameters()
    for _, member in inspect.getmembers(module, inspect.isclass):
        if issubclass(member, Experiment) and member is not Experiment:
            own = getattr(member.extra_parameters, "__func__", member.extra_parameters)
            if own is not Experiment.extra_parameters.__func__:
                member.extra_parameters()


def load_experiment(name_or_path: str, environ=None, home=None) -> LoadedExperiment:
    """Import an experiment package, register its parameters and load its configuration."""
    from experiments import config as config_module

    directory, entry_point_class = _locate(name_or_path)
    orm_compat.install()
    config = config_module.reset_config()
    alias.install()
    module = _import_package(directory)
    _alias_package(module.__name__.rpartition(".")[0])
    _register_extra_parameters(module)
    config.load(experiment_dir=directory, environ=environ, home=home)
    class_name = config.get("EXPERIMENT_CLASS_NAME") or entry_point_class
    experiment_class = find_experiment_class(module, class_name)
    return LoadedExperiment(directory.name, directory, module, experiment_class, config)


def _alias_package(package_name: str) -> None:
    """Make the package, and every module of it imported so far, available as `dallinger_experiment[.x]`.

    Aliasing the modules too means `from dallinger_experiment.models import X` gives the
    classes the experiment itself uses, not a second copy; the previous experiment's
    aliases are dropped first.
    """
    _drop_alias()
    prefix = package_name + "."
    for name, module in list(sys.modules.items()):
        if name == package_name or name.startswith(prefix):
            sys.modules[ALIAS + name[len(package_name) :]] = module


def _drop_alias() -> None:
    for name in [name for name in sys.modules if name == ALIAS or name.startswith(ALIAS + ".")]:
        del sys.modules[name]


def load_default(environ=None, home=None) -> LoadedExperiment:
    """The base Experiment with the default configuration, for a server with no experiment set."""
    from experiments import config as config_module

    _drop_alias()
    config = config_module.reset_config()
    config.load(environ=environ, home=home)
    return LoadedExperiment("default", None, sys.modules[Experiment.__module__], Experiment, config)
