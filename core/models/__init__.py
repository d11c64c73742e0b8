"""The experimental record: one table per Dallinger model, subclasses as proxy models."""

from core.models.info import Info
from core.models.network import Network
from core.models.node import Node
from core.models.participant import Participant, ParticipantStatus, Question
from core.models.records import Notification, Recruitment
from core.models.shared import SharedMixin
from core.models.transformation import Transformation
from core.models.transmission import Transmission, TransmissionStatus
from core.models.vector import Vector

__all__ = [
    "Info",
    "Network",
    "Node",
    "Notification",
    "Participant",
    "ParticipantStatus",
    "Question",
    "Recruitment",
    "SharedMixin",
    "Transformation",
    "Transmission",
    "TransmissionStatus",
    "Vector",
]
