"""Info types that ship with the platform."""

from core.models import Info


class Gene(Info):
    """A heritable piece of information."""

    polymorphic_identity = "gene"


class Meme(Info):
    """A culturally transmitted piece of information."""

    polymorphic_identity = "meme"


class State(Info):
    """The state of an Environment at the time it was created."""

    polymorphic_identity = "state"


class TrackingEvent(Info):
    """A front-end event (a click, a page view) recorded for a node; its data is in `details`."""

    polymorphic_identity = "tracking_event"
