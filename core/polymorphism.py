"""Single-table polymorphism for the experimental record, built on proxy models.

Dallinger stores every Node (Agent, Source, an experiment's own WarOfTheGhostsSource...)
in one `node` table and tells them apart by the `type` column. Here the base model is a
concrete table and each subclass is a proxy model carrying a `polymorphic_identity`:

- subclasses become proxies automatically (no `Meta` needed), and a subclass defined in a
  module outside the installed apps (an experiment package) is registered under an app
  label of its own, so migrations never see it and no migration is needed;
- one registry maps each base class's identities to classes;
- rows loaded through any manager or relation come back as the registered subclass;
- querying a subclass returns rows of it and of its descendants.
"""

import functools
import logging
import re

from django.apps import apps
from django.db import models
from django.db.models.base import ModelBase

from core import pending

logger = logging.getLogger(__name__)


def snake_case(name: str) -> str:
    """Turn a class name into a Dallinger-style identity: `WarOfTheGhostsSource` → `war_of_the_ghosts_source`."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class TypeRegistry:
    """Maps each polymorphic base model's identities to their classes."""

    def __init__(self):
        self._classes = {}

    def register(self, cls) -> None:
        """Record `cls` under its base; a later class with the same identity replaces the earlier one."""
        by_identity = self._classes.setdefault(cls._polymorphic_base, {})
        identity = cls.polymorphic_identity
        previous = by_identity.get(identity)
        if previous is not None and previous is not cls and _qualified(previous) != _qualified(cls):
            logger.warning(
                "Polymorphic identity %r of %s now maps to %s instead of %s.",
                identity,
                cls._polymorphic_base.__name__,
                _qualified(cls),
                _qualified(previous),
            )
        by_identity[identity] = cls

    def resolve(self, base, identity):
        """The class registered for `identity` under `base`, or None."""
        return self._classes.get(base, {}).get(identity)

    def identities(self, cls) -> list[str]:
        """The identities of `cls` and of every registered descendant of it."""
        return sorted(
            identity
            for identity, candidate in self._classes.get(cls._polymorphic_base, {}).items()
            if issubclass(candidate, cls)
        )

    def classes(self, base) -> dict:
        """A copy of the identity → class map under `base`."""
        return dict(self._classes.get(base, {}))


registry = TypeRegistry()


def _qualified(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _external_app_label(module: str) -> str:
    # One label per module keeps same-named classes of two experiments apart.
    return "ext_" + re.sub(r"\W", "_", module)


class PolymorphicModelBase(ModelBase):
    """Metaclass that turns subclasses of a polymorphic base into registered proxy models."""

    def __new__(mcs, name, bases, attrs, **kwargs):
        base = next((b._polymorphic_base for b in bases if getattr(b, "_polymorphic_base", None)), None)
        if base is not None:
            attrs = _proxy_attrs(name, attrs)
        cls = super().__new__(mcs, name, bases, attrs, **kwargs)
        if cls._meta.abstract:
            return cls
        if base is None:
            cls._polymorphic_base = cls
        elif "polymorphic_identity" not in attrs:
            cls.polymorphic_identity = _declared_identity(cls) or snake_case(name)
        if not attrs.get("__abstract__"):
            # A Dallinger `__abstract__` class only shares code with its subclasses: it
            # names no rows, so it takes no identity in the registry.
            registry.register(cls)
        return cls


def _declared_identity(cls) -> str | None:
    """The identity a `__mapper_args__` gives `cls`: its own dict, or one computed for each
    class (`@declared_attr def __mapper_args__(cls)`), possibly inherited. An inherited
    dict names the parent's identity, not this class's, so it is ignored."""
    for klass in cls.__mro__:
        if "__mapper_args__" in vars(klass):
            declared = vars(klass)["__mapper_args__"]
            break
    else:
        return None
    if isinstance(declared, dict):
        return declared.get("polymorphic_identity") if klass is cls else None
    if hasattr(declared, "__get__"):
        computed = declared.__get__(None, cls)
        if isinstance(computed, dict):
            return computed.get("polymorphic_identity")
    return None


def _proxy_attrs(name: str, attrs: dict) -> dict:
    """Class attributes for a subclass: proxy Meta, app label, identity, wrapped `__init__`."""
    attrs = dict(attrs)
    module = attrs["__module__"]
    meta = attrs.pop("Meta", None)
    options = {key: value for key, value in vars(meta).items() if not key.startswith("__")} if meta else {}
    options["proxy"] = True
    if "app_label" not in options and apps.get_containing_app_config(module) is None:
        options["app_label"] = _external_app_label(module)
    attrs["Meta"] = type("Meta", (), options)

    if "__init__" in attrs:
        attrs["__init__"] = _initialising(attrs["__init__"])
    return attrs


def _initialising(custom_init):
    """Let a Dallinger-style custom `__init__` work without calling Django's first.

    Dallinger experiments write `def __init__(self, generations, ...)` on network
    subclasses and set properties there; Django needs its own initialisation to have run.
    """

    @functools.wraps(custom_init)
    def __init__(self, *args, **kwargs):
        if "_state" not in self.__dict__:
            models.Model.__init__(self)
            self._apply_identity()
        custom_init(self, *args, **kwargs)
        pending.track_new(self)

    return __init__


@functools.lru_cache(maxsize=256)
def _warn_unknown_identity(base_name: str, identity: str) -> None:
    logger.warning(
        "%s row has type %r, which no loaded class declares; it is loaded as %s.",
        base_name,
        identity,
        base_name,
    )


class PolymorphicManager(models.Manager):
    """Restricts a subclass's queries to its own identity and its descendants'."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.model is not self.model._polymorphic_base:
            queryset = queryset.filter(type__in=registry.identities(self.model))
        return queryset


class PolymorphicModel(models.Model, metaclass=PolymorphicModelBase):
    """Abstract base for tables with a `type` discriminator."""

    polymorphic_identity = ""

    type = models.CharField(max_length=50, blank=True, db_index=False)

    objects = PolymorphicManager()

    class Meta:
        abstract = True

    #: The positional arguments of Dallinger's constructor for this table (`Info(origin,
    #: contents)`), accepted when a subclass's own `__init__` calls its base's.
    constructor_arguments: tuple = ()

    def __init__(self, *args, **kwargs):
        if "_state" in self.__dict__:
            # A Dallinger-style subclass `__init__` calling its base's after Django's
            # initialisation ran (see `_initialising`): set what it passes, keep the rest.
            self._set_constructor_arguments(args, kwargs)
            return
        if args and isinstance(args[0], models.Model):
            # Dallinger's positional form, `Info(node, "contents")`: Django's loading passes
            # column values, never a model instance, first.
            super().__init__()
            self._apply_identity()
            self._set_constructor_arguments(args, kwargs)
            pending.track_new(self)
            return
        super().__init__(*args, **kwargs)
        self._apply_identity()

    def _set_constructor_arguments(self, args, kwargs) -> None:
        names = type(self).constructor_arguments
        if len(args) > len(names):
            raise TypeError(
                f"{type(self).__name__}() takes at most {len(names)} positional arguments "
                f"({', '.join(names) or 'none'}), {len(args)} given"
            )
        for name, value in [*zip(names, args), *kwargs.items()]:
            setattr(self, name, value)

    def _apply_identity(self) -> None:
        # Read __dict__ directly: on a row loaded with `type` deferred, attribute
        # access would query the database.
        if "type" in self.__dict__ and not self.__dict__["type"]:
            self.type = type(self).polymorphic_identity

    @classmethod
    def from_db(cls, db, field_names, values):
        """Load through the base class, then give the row the class its `type` names."""
        base = cls._polymorphic_base
        instance = super(PolymorphicModel, base).from_db(db, field_names, values)
        identity = instance.__dict__.get("type")
        if identity is None:
            target = cls
        else:
            target = registry.resolve(base, identity)
            if target is None:
                _warn_unknown_identity(base.__name__, identity)
                target = base
        if target is not type(instance):
            instance.__class__ = target
        return instance
