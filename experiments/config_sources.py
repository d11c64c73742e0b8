"""Where configuration values come from: layers, INI files, `file:` values, text to typed values.

Split from `experiments.config` (which re-exports `ConfigurationError`) to keep each module short.
Nothing here may put a value into an error message: callers decide what is safe to show.
"""

import configparser
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "off", "0"})
TYPE_DESCRIPTIONS = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true or false (true/false, yes/no, on/off, 1/0)",
}


class ConfigurationError(ValueError):
    """A configuration key is unknown, or its value cannot be used; `key` names the key if known."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


@dataclass
class Layer:
    """One source: its entries as written (`raw`) and converted by canonical key (`values`)."""

    name: str
    raw: dict = field(default_factory=dict, repr=False)
    values: dict = field(default_factory=dict, repr=False)
    directory: Path | None = None  # where relative `file:` paths start; None: no `file:` values
    home: Path | None = None  # what `~` means in `file:` paths
    ignore_case: bool = False  # INI keys match whatever their case, as in Dallinger

    def find(self, alias: str) -> str | None:
        """The key under which `alias` is written here, or None."""
        if alias in self.raw:
            return alias
        if self.ignore_case:
            return next((key for key in self.raw if key.lower() == alias.lower()), None)
        return None

    def reads_files(self, raw: Any) -> bool:
        """Whether `raw` is a `file:` value this layer honours."""
        return self.directory is not None and isinstance(raw, str) and raw.strip().startswith("file:")

    def file_path(self, raw: str) -> Path:
        """The file a `file:` value names: `~` is the home directory, relative paths start at `directory`."""
        path = Path(raw.strip()[len("file:") :].strip())
        if path.parts[:1] == ("~",) and self.home is not None:
            return self.home.joinpath(*path.parts[1:])
        return path if path.is_absolute() else self.directory / path


def coerce(kind: type, raw: Any) -> Any:
    """`raw` as a `kind`; ValueError if it is not one and is not text meaning one."""
    if isinstance(raw, bool) and kind is not bool:
        raise ValueError("a boolean is not a number or text")
    if kind is str:
        if not isinstance(raw, str):
            raise ValueError("not text")
        return raw.strip()
    if kind is bool:
        word = raw.strip().lower() if isinstance(raw, str) else raw
        if word is True or word in TRUE_WORDS or (type(word) is int and word == 1):
            return True
        if word is False or word in FALSE_WORDS or (type(word) is int and word == 0):
            return False
        raise ValueError("not a truth value")
    if kind is int:
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, (int, str)):
            return int(raw)
        raise ValueError("not a whole number")
    if not isinstance(raw, (int, float, str)):
        raise ValueError("not a number")
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def read_ini(path: Path, home: Path) -> Layer:
    """The settings of an INI file, all sections together (later sections win); empty if absent."""
    layer = Layer(str(path), directory=path.parent, home=home, ignore_case=True)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return layer
    except OSError as error:
        raise ConfigurationError(f"{path} cannot be read: {error.strerror or error}.") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path} is not UTF-8 text.") from None
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep `EXPERIMENT_CLASS_NAME` as written
    # Parser messages quote whole lines, which may hold secrets: report line numbers only.
    try:
        parser.read_string(text, source=str(path))
    except configparser.MissingSectionHeaderError as error:
        message = f"line {error.lineno}: settings must follow a section header such as [Experiment]"
        raise ConfigurationError(f"{path}, {message}.") from None
    except configparser.DuplicateOptionError as error:
        message = f"line {error.lineno}: '{error.option}' appears twice in section [{error.section}]"
        raise ConfigurationError(f"{path}, {message}.", key=error.option) from None
    except configparser.DuplicateSectionError as error:
        raise ConfigurationError(f"{path}, line {error.lineno}: section [{error.section}] appears twice.") from None
    except configparser.ParsingError as error:
        lines = ", ".join(str(lineno) for lineno, _ in error.errors)
        raise ConfigurationError(f"{path}: line(s) {lines} are not 'key = value' settings.") from None
    except configparser.Error as error:
        raise ConfigurationError(f"{path} is not a valid configuration file ({type(error).__name__}).") from None
    layer.raw.update(parser.defaults())
    for section in parser.sections():
        layer.raw.update(parser.items(section))
    return layer
