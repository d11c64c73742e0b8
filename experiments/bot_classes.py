"""Finding an experiment's bot classes: an HTTP bot and a browser bot, in `bots.py` or `experiment.py`."""

import importlib
import inspect

from bots.base import BotBase, HighPerformanceBotBase
from experiments.compat import bots as dallinger_bots
from experiments.config import DEFAULTS

BOT_KINDS = {"http": HighPerformanceBotBase, "browser": BotBase}
#: Names tried first, as Dallinger's bot recruiter looks for a class named `Bot`.
PREFERRED_NAMES = ("Bot", "HighPerformanceBot", "BrowserBot")
#: The base classes experiments import (never an experiment's bot themselves).
BASES = (BotBase, HighPerformanceBotBase, dallinger_bots.BotBase, dallinger_bots.HighPerformanceBotBase)


class BotNotFound(Exception):
    """The experiment has no bot of the kind asked for."""


def _modules(module):
    package = module.__name__.rpartition(".")[0]
    yield module
    try:
        yield importlib.import_module(f"{package}.bots")
    except ModuleNotFoundError as error:
        if error.name != f"{package}.bots":
            raise


def bot_class(experiment_module, kind: str) -> type:
    """The experiment's bot class of `kind` (`http` or `browser`)."""
    if kind not in BOT_KINDS:
        raise BotNotFound(f"Unknown bot type {kind!r}: use http or browser.")
    base = BOT_KINDS[kind]
    found = {}
    for module in _modules(experiment_module):
        for name, member in inspect.getmembers(module, inspect.isclass):
            if issubclass(member, base) and member not in BASES:
                found.setdefault(name, member)
    for name in PREFERRED_NAMES:
        if name in found:
            return found[name]
    if len(found) == 1:
        return next(iter(found.values()))
    if not found:
        raise BotNotFound(f"The experiment defines no {kind} bot: add a subclass of {base.__name__} to its bots.py.")
    raise BotNotFound(f"Several {kind} bots ({', '.join(sorted(found))}); name the one to use Bot.")


def _has_bot(experiment_module, kind: str) -> bool:
    try:
        bot_class(experiment_module, kind)
    except BotNotFound:
        return False
    return True


def bot_kind(experiment_module, config) -> str:
    """The kind of bot to run: `bot_type` when it is configured; otherwise the experiment's HTTP
    bot if it has one, else its browser bot (Dallinger experiments often define only a browser
    `Bot`, and Dallinger runs whatever `Bot` is)."""
    if config.source_of("bot_type") != DEFAULTS:
        return config.get("bot_type")
    if not _has_bot(experiment_module, "http") and _has_bot(experiment_module, "browser"):
        return "browser"
    return "http"


def make_bot(bot_class_: type, url: str, config):
    """An instance of the bot class for the ad page `url`; a browser bot gets the configuration."""
    bot = bot_class_(url)
    if isinstance(bot, BotBase) and bot.config is None:
        bot.config = config
    return bot
