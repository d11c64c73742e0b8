"""Experiment configuration, layered as Dallinger's.

A value comes from the first of: `set()`, the environment, the experiment's `config.txt`,
`~/.dallingerconfig`, the built-in defaults. A key of `changeable_params` (`auto_recruit`)
may also be changed while the experiment runs, for every process at once: that shared value
(kept in the database, read through `shared_values`) comes before all of them. Text is converted to the key's registered type,
and `file:/path` in the environment or a file means "the contents of that file". `load()` is
where those sources are read, so an experiment's `extra_parameters()` must register its keys
first (`load(experiment=module)` calls it). Sensitive values never appear in `repr`,
`as_dict`, error messages or logs. Django settings carry the infrastructure; this carries
the experiment (recruiter, payments, HIT text, custom parameters). See docs/configuration.md.
"""

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from experiments.config_defaults import BUILT_IN_KEYS, DEFAULT_VALUES
from experiments.config_sources import TYPE_DESCRIPTIONS, ConfigurationError, Layer, coerce, read_ini

__all__ = ["REDACTED", "Configuration", "ConfigurationError", "Parameter", "get_config", "reset_config"]

logger = logging.getLogger(__name__)

REDACTED = "<redacted>"
ENVIRONMENT = "the environment"
DEFAULTS = "the built-in defaults"
OVERRIDES = "set()"
SHARED = "the dashboard (shared by every process)"
LOCAL_CONFIG = "config.txt"
GLOBAL_CONFIG = ".dallingerconfig"
# A key whose name contains one of these is sensitive even if registered without saying so.
SECRET_WORDS = ("password", "secret", "token", "access_key", "access_id")
#: Keys that may change while the experiment runs, for every process at once (Dallinger's).
CHANGEABLE_PARAMS = ("auto_recruit",)


@dataclass(frozen=True)
class Parameter:
    """A registered configuration key."""

    name: str
    type: type
    synonyms: tuple[str, ...] = ()
    sensitive: bool = False
    validators: tuple[Callable[[Any], None], ...] = ()

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


_MISSING = object()


class Configuration:
    """Registered keys and their values from each source; see the module docstring."""

    _versions = 0
    changeable_params = CHANGEABLE_PARAMS
    #: Changes whenever a key is registered, loaded or set: what was read from the
    #: configuration before (an experiment's `configure()`) may be out of date.
    version: int

    def __init__(self):
        self._bump_version()
        self._parameters: dict[str, Parameter] = {}
        self._aliases: dict[str, str] = {}
        self._overrides = Layer(OVERRIDES)
        self._layers: list[Layer] = []
        self._defaults = Layer(DEFAULTS, raw=dict(DEFAULT_VALUES))
        #: Whether `load()` has read the environment and files (before it: `set()` and defaults only).
        self.ready = False
        #: Reads the shared value of a changeable key as text (None: none is set); installed on
        #: the process's configuration by the experiments app, which keeps them in the database.
        self.shared_values: Callable[[str], str | None] | None = None
        for key in BUILT_IN_KEYS:
            self.register(key.name, key.type, key.synonyms, key.sensitive, key.validators)

    def _bump_version(self) -> None:
        # Class-level counter, so a reset in place (`__init__` again) never reuses a number.
        Configuration._versions += 1
        self.version = Configuration._versions

    # Registration ---------------------------------------------------------------------

    def register(self, name, type, synonyms=None, sensitive=False, validators=None) -> None:
        """Declare a key: its type (str, int, float or bool), other names for it, whether its value is
        secret, and callables that raise ValueError for an unacceptable value.

        Registering a key again with the same type replaces its definition (so calling
        `extra_parameters()` twice is harmless); a different type is an error.
        """
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"A configuration key needs a name, not {name!r}.")
        if type not in TYPE_DESCRIPTIONS:
            raise ConfigurationError(
                f"Configuration key '{name}' has unsupported type {type!r}: use str, int, float or bool.", key=name
            )
        synonyms = (synonyms,) if isinstance(synonyms, str) else tuple(synonyms or ())
        validators = tuple(validators or ())
        if not all(callable(validator) for validator in validators):
            raise ConfigurationError(f"Validators of configuration key '{name}' must be callables.", key=name)
        previous = self._parameters.get(name)
        if previous is not None and previous.type is not type:
            raise ConfigurationError(
                f"Configuration key '{name}' is already registered as {previous.type.__name__}, "
                f"so it cannot be registered as {type.__name__}.",
                key=name,
            )
        for alias in (name, *synonyms):
            owner = self._aliases.get(alias, name)
            if owner != name:
                raise ConfigurationError(f"'{alias}' already names configuration key '{owner}'.", key=name)
        secret = bool(sensitive) or any(word in name.lower() for word in SECRET_WORDS)
        parameter = Parameter(name, type, synonyms, secret, validators)
        # Convert what the sources already hold before changing anything, so a bad value leaves no trace.
        layers = (self._overrides, *self._layers, self._defaults)
        found = [self._value_in(layer, parameter) for layer in layers]
        for alias in previous.aliases if previous else ():
            del self._aliases[alias]
        self._parameters[name] = parameter
        self._aliases.update(dict.fromkeys(parameter.aliases, name))
        for layer, value in zip(layers, found):
            layer.values.pop(name, None)
            if value is not _MISSING:
                layer.values[name] = value
        self._bump_version()

    def register_extra_parameters(self, experiment) -> bool:
        """Call `experiment.extra_parameters()` (an experiment module or class) if it has one."""
        extra_parameters = getattr(experiment, "extra_parameters", None)
        if extra_parameters is None:
            return False
        extra_parameters()
        return True

    def canonical(self, key: str) -> str:
        """The registered name for `key` or one of its synonyms; ConfigurationError if unknown."""
        try:
            return self._aliases[key]
        except (KeyError, TypeError):
            raise ConfigurationError(
                f"Unknown configuration key '{key}'. An experiment's own keys must be registered "
                "in extra_parameters() in experiment.py.",
                key=key,
            ) from None

    def keys(self) -> list[str]:
        """Every registered key's canonical name, sorted."""
        return sorted(self._parameters)

    def is_sensitive(self, key: str) -> bool:
        """Whether the key's value must never be shown."""
        return self._parameters[self.canonical(key)].sensitive

    def type_of(self, key: str) -> type:
        """The type the key's values are converted to (str, int, float or bool)."""
        return self._parameters[self.canonical(key)].type

    # Loading --------------------------------------------------------------------------

    def load(self, experiment_dir=None, *, environ=None, home=None, experiment=None) -> None:
        """Read the environment (`environ`, default `os.environ`), `<experiment_dir>/config.txt` and
        `<home>/.dallingerconfig` (default: the user's home).

        `experiment`'s `extra_parameters()` runs first when given. Unknown keys in config.txt
        are an error; `.dallingerconfig` may hold other experiments' keys and they are ignored
        (kept, should a later `register` claim them). Loading again replaces what was read;
        `set()` values stay. On error nothing changes.
        """
        if experiment is not None:
            self.register_extra_parameters(experiment)
        home = Path.home() if home is None else Path(home)
        environment = dict(os.environ if environ is None else environ)
        layers = [Layer(ENVIRONMENT, raw=environment, directory=Path.cwd(), home=home)]
        if experiment_dir is not None:
            local = read_ini(Path(experiment_dir) / LOCAL_CONFIG, home)
            if unknown := self._unknown_keys(local):
                raise ConfigurationError(
                    f"Unknown configuration key(s) in {local.name}: {', '.join(unknown)}. "
                    "Register an experiment's own keys in extra_parameters() in experiment.py.",
                    key=unknown[0],
                )
            layers.append(local)
        layers.append(read_ini(home / GLOBAL_CONFIG, home))
        for layer in layers:
            for parameter in self._parameters.values():
                value = self._value_in(layer, parameter)
                if value is not _MISSING:
                    layer.values[parameter.name] = value
        if ignored := self._unknown_keys(layers[-1]):
            logger.debug("Keys in %s not registered by this experiment: %s", layers[-1].name, ", ".join(ignored))
        self._layers = layers
        self.ready = True
        self._bump_version()
        logger.debug("Configuration loaded from %s", ", ".join(layer.name for layer in layers))

    def _unknown_keys(self, layer: Layer) -> list[str]:
        known = {alias.lower() for alias in self._aliases}
        return sorted(key for key in layer.raw if key.lower() not in known)

    def _value_in(self, layer: Layer, parameter: Parameter) -> Any:
        """The parameter's converted value in `layer` (first alias found wins), or _MISSING."""
        for alias in parameter.aliases:
            written_as = layer.find(alias)
            if written_as is not None:
                return self._convert(parameter, layer.raw[written_as], layer, written_as)
        return _MISSING

    def _convert(self, parameter: Parameter, raw: Any, layer: Layer, written_as: str) -> Any:
        """`raw` read (if `file:`), converted and validated; ConfigurationError naming key and source."""
        name = parameter.name
        source = f"environment variable {written_as}" if layer.name == ENVIRONMENT else layer.name
        if written_as != name and layer.name != ENVIRONMENT:
            source += f", written as '{written_as}'"
        prefix = f"Configuration key '{name}' (from {source})"
        if layer.reads_files(raw):
            path = layer.file_path(raw)
            try:
                raw = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                problem = (error.strerror or "error") if isinstance(error, OSError) else "it is not UTF-8 text"
                message = f"{prefix} names the file {path}, which cannot be read: {problem}."
                raise ConfigurationError(message, key=name) from None
        try:
            value = coerce(parameter.type, raw)
        except (TypeError, ValueError):
            shown = REDACTED if parameter.sensitive else repr(raw)
            message = f"{prefix} must be {TYPE_DESCRIPTIONS[parameter.type]}, not {shown}."
            raise ConfigurationError(message, key=name) from None
        for validator in parameter.validators:
            try:
                validator(value)
            except ValueError as error:
                # A validator's message may quote the value: keep it back for secrets.
                reason = "the reason is not shown because the value is secret" if parameter.sensitive else error
                raise ConfigurationError(f"{prefix} is not valid: {reason}.", key=name) from None
        return value

    # Reading and writing --------------------------------------------------------------

    def _first_with(self, name: str) -> Layer | None:
        shared = self._shared_layer(name)
        if shared is not None:
            return shared
        return next((layer for layer in self._lookup_order() if name in layer.values), None)

    def _shared_layer(self, name: str) -> Layer | None:
        """The shared value of a changeable key, read afresh each time (another process may
        have just changed it), as a layer of its own; None when it has none."""
        if name not in self.changeable_params or self.shared_values is None:
            return None
        raw = self.shared_values(name)
        if raw is None:
            return None
        layer = Layer(SHARED, raw={name: raw})
        layer.values[name] = self._convert(self._parameters[name], raw, layer, name)
        return layer

    def _lookup_order(self) -> tuple[Layer, ...]:
        return (self._overrides, *self._layers, self._defaults)

    def get(self, key, default=_MISSING):
        """The value of `key` (or a synonym) from the first source that has one, else `default`
        (None if no default is given).

        An unregistered key returns an explicit `default`, as Dallinger's does (experiments
        write `config.get("payment_per_hour", 5.0)`); without one it is a ConfigurationError,
        so a misspelt key is noticed.
        """
        if key not in self._aliases and default is not _MISSING:
            return default
        name = self.canonical(key)
        layer = self._first_with(name)
        if layer is None:
            return None if default is _MISSING else default
        return layer.values[name]

    def __getitem__(self, key):
        layer = self._first_with(self.canonical(key))
        if layer is None:
            raise KeyError(f"Configuration key '{key}' has no value: set it in config.txt or ~/.dallingerconfig.")
        return layer.values[self.canonical(key)]

    def __contains__(self, key) -> bool:
        return key in self._aliases and self._first_with(self.canonical(key)) is not None

    def set(self, key, value) -> None:
        """Give `key` a value in this process, above every source. Converted and validated like text
        from a file, but `file:` is not read (set() may carry user input)."""
        name = self.canonical(key)
        self._overrides.values[name] = self._convert(self._parameters[name], value, self._overrides, name)
        self._overrides.raw[name] = value  # so that registering the key again re-checks it
        self._bump_version()

    def checked(self, key, value) -> Any:
        """`value` converted to `key`'s type and validated, as `set()` would store it (nothing is
        stored); ConfigurationError if it is not acceptable."""
        name = self.canonical(key)
        return self._convert(self._parameters[name], value, self._overrides, name)

    def source_of(self, key) -> str | None:
        """Where the current value of `key` comes from: the dashboard's shared value (`SHARED`),
        `set()`, `the environment`, a file's path, `the built-in defaults`; None if it has no value."""
        layer = self._first_with(self.canonical(key))
        return None if layer is None else layer.name

    def as_dict(self, redact: bool = True) -> dict:
        """Every key that has a value, by canonical name; sensitive values are `REDACTED` unless
        `redact` is False (only for writing a deployment's own config file, never for display)."""
        result = {}
        for name, parameter in sorted(self._parameters.items()):
            value = self.get(name, default=_MISSING)
            if value is not _MISSING:
                result[name] = REDACTED if (redact and parameter.sensitive) else value
        return result

    def __repr__(self):
        state = "loaded" if self.ready else "not loaded"
        return f"<Configuration ({state}) {self.as_dict(redact=True)!r}>"


_CONFIGURATION = Configuration()


def get_config(load: bool = False) -> Configuration:
    """The process's configuration, shared by everything in it (Dallinger's `get_config`).

    Experiments call it at import time and register their keys in `extra_parameters()`;
    the experiment loader then calls `load()`. `load=True` (Dallinger 12's
    `get_config(load=True)`) is accepted and needs no action: the loader has read the
    configuration before any hook of the experiment runs (at import time it is not read yet,
    as in Dallinger, where the experiment's keys are not registered then either).
    """
    return _CONFIGURATION


def reset_config() -> Configuration:
    """Return the process's shared configuration to its fresh state (built-in keys only).

    For the experiment loader and tests. The object is reset in place, because experiment
    modules keep `config = get_config()` from their import. The reader of shared values
    stays: it belongs to the process, not to an experiment.
    """
    shared_values = _CONFIGURATION.shared_values
    _CONFIGURATION.__init__()
    _CONFIGURATION.shared_values = shared_values
    return _CONFIGURATION
