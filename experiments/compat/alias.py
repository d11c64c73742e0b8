"""`import dallinger.X` (and `import flask`) inside experiment packages written for Dallinger.

`install()` (called by the experiment loader) adds a finder at the end of `sys.meta_path` that
answers those names with modules built from the project's own classes: each alias module holds the
public names of a project module, and naming anything else raises ImportError saying what is
supported. Being last, the finder never hides a real package: an installed Dallinger (or Flask)
is imported as itself, with a warning for Dallinger, whose classes do not work with this server.
"""

import importlib
import importlib.abc
import importlib.machinery
import logging
import sys
import types
import warnings

logger = logging.getLogger(__name__)

DOCS = "see 'Running a Dallinger experiment as it is' in docs/experiments.md"

#: Alias -> the project module its names come from (None: a package holding other aliases).
DALLINGER_MODULES = {
    "dallinger": None,
    "dallinger.bots": "experiments.compat.bots",
    "dallinger.config": "experiments.config",
    "dallinger.db": "experiments.compat.db",
    "dallinger.experiment": "experiments.compat.experiment",
    "dallinger.experiment_server": None,
    "dallinger.experiment_server.utils": "experiments.compat.responses",
    "dallinger.experiments": "experiments.compat.installed",
    "dallinger.information": "core.infos",
    "dallinger.models": "core.models",
    "dallinger.networks": "core.networks",
    "dallinger.nodes": "core.nodes",
    "dallinger.recruiters": "recruitment.recruiters",
    "dallinger.transformations": "core.transformations",
    "dallinger.utils": "experiments.compat.utils",
}
#: The Flask names routes written for Flask use (`experiments.compat.flask`).
FLASK_NAMES = ("Blueprint", "Response", "abort", "jsonify", "request")


class DallingerFoundWarning(UserWarning):
    """A real `dallinger` package is installed, so experiments import it instead of the project's classes."""


class _AliasLoader(importlib.abc.Loader):
    """Builds an alias module from the public names of its project module."""

    def __init__(self, source: str | None, names: tuple[str, ...] | None, family: str):
        self.source = source
        self.names = names
        self.family = family

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module) -> None:
        module.__doc__ = (
            f"{module.__name__} for experiments written for Dallinger, from {self.source or 'the project'}."
        )
        fallback = None
        if self.source is not None:
            source = importlib.import_module(self.source)
            for name in self.names or public_names(source):
                setattr(module, name, getattr(source, name))
            fallback = vars(source).get("__getattr__")
        module.__getattr__ = _missing_name(module.__name__, self.family, fallback)


def public_names(module) -> list[str]:
    """The names a module offers: its `__all__`, else its public names other than modules it imported."""
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return list(declared)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    ]


def _missing_name(module_name: str, family: str, fallback=None):
    """A module `__getattr__`: the source module's own (names it makes on demand), else ImportError."""

    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        if fallback is not None:
            try:
                return fallback(name)
            except AttributeError:
                pass
        module = sys.modules.get(module_name)
        if module is not None and module_name.partition(".")[0] == "dallinger" and hasattr(module, "__path__"):
            # A package: the names are its supported modules.
            offered = sorted(
                alias.rpartition(".")[2] for alias in DALLINGER_MODULES if alias.rpartition(".")[0] == module_name
            )
            if name in offered:
                # Not imported yet: `from dallinger import db` imports it once this says it is absent.
                raise AttributeError(name)
        else:
            offered = sorted(key for key in vars(module) if not key.startswith("_")) if module is not None else []
        raise ImportError(
            f"{module_name}.{name} is not supported here; {module_name} has {', '.join(offered) or 'no names'}. {family}",
            name=f"{module_name}.{name}",
        )

    return __getattr__


def _supported_modules() -> str:
    return ", ".join(name for name, source in DALLINGER_MODULES.items() if source is not None)


class AliasFinder(importlib.abc.MetaPathFinder):
    """Finds `dallinger` and its supported submodules (and `flask` when asked to)."""

    def __init__(self, dallinger: bool = True, flask: bool = True):
        self.dallinger = dallinger
        self.flask = flask

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top == "dallinger" and self.dallinger:
            if fullname not in DALLINGER_MODULES:
                raise ModuleNotFoundError(
                    f"No module named '{fullname}': experiments here can import {_supported_modules()} ({DOCS}).",
                    name=fullname,
                )
            source = DALLINGER_MODULES[fullname]
            family = f"The dallinger modules here are the project's ({DOCS})."
            return self._spec(fullname, source, None, family)
        if top == "flask" and self.flask:
            if fullname != "flask":
                raise ModuleNotFoundError(
                    f"No module named '{fullname}': Flask is not installed, and experiment routes can use only "
                    f"flask's {', '.join(FLASK_NAMES)} ({DOCS}).",
                    name=fullname,
                )
            family = f"Flask is not installed here ({DOCS})."
            # A package, so that `flask.views` reaches this finder and gets this message.
            return self._spec(fullname, "experiments.compat.flask", FLASK_NAMES, family, package=True)
        return None

    def _spec(self, fullname, source, names, family, package=False):
        loader = _AliasLoader(source, names, family)
        package = package or source is None
        spec = importlib.machinery.ModuleSpec(fullname, loader, is_package=package)
        if package:
            spec.submodule_search_locations = []
        return spec


def _found_elsewhere(name: str) -> bool:
    """Whether a finder other than ours finds the top-level package `name`."""
    module = sys.modules.get(name)
    if module is not None:
        return not isinstance(getattr(module, "__loader__", None), _AliasLoader)
    for finder in sys.meta_path:
        if isinstance(finder, AliasFinder) or not hasattr(finder, "find_spec"):
            continue
        if finder.find_spec(name, None) is not None:
            return True
    return False


def installed() -> AliasFinder | None:
    """The finder `install()` added, if any."""
    return next((finder for finder in sys.meta_path if isinstance(finder, AliasFinder)), None)


def install() -> AliasFinder:
    """Add the finder (once per process); a real Dallinger or Flask, if installed, keeps its name."""
    finder = installed()
    if finder is None:
        finder = AliasFinder()
        sys.meta_path.append(finder)
    finder.dallinger = not _found_elsewhere("dallinger")
    finder.flask = not _found_elsewhere("flask")
    if not finder.dallinger:
        message = (
            "A dallinger package is installed, so the experiment imports it instead of this project's classes; "
            "uninstall it (pip uninstall dallinger) to run the experiment here."
        )
        logger.warning(message)
        warnings.warn(message, DallingerFoundWarning, stacklevel=2)
    return finder


def uninstall() -> None:
    """Remove the finder and the alias modules it made (for tests)."""
    finder = installed()
    if finder is not None:
        sys.meta_path.remove(finder)
    for name, module in list(sys.modules.items()):
        if isinstance(getattr(module, "__loader__", None), _AliasLoader):
            del sys.modules[name]
