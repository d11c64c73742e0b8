"""Transmissions: an info sent along a vector, pending until the destination receives it."""

from django.db import models
from django.utils import timezone

from core.models.shared import SharedMixin


class TransmissionStatus(models.TextChoices):
    """Sent but not yet received, or received."""

    PENDING = "pending"
    RECEIVED = "received"


class Transmission(SharedMixin):
    """One sending of an info along a vector (like an email: sent is not yet read)."""

    vector = models.ForeignKey(
        "core.Vector", on_delete=models.PROTECT, null=True, blank=True, related_name="all_transmissions"
    )
    info = models.ForeignKey(
        "core.Info", on_delete=models.PROTECT, null=True, blank=True, related_name="all_transmissions"
    )
    origin = models.ForeignKey(
        "core.Node", on_delete=models.PROTECT, null=True, blank=True, related_name="all_outgoing_transmissions"
    )
    destination = models.ForeignKey(
        "core.Node", on_delete=models.PROTECT, null=True, blank=True, related_name="all_incoming_transmissions"
    )
    network = models.ForeignKey(
        "core.Network", on_delete=models.PROTECT, null=True, blank=True, related_name="networks_transmissions"
    )
    receive_time = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=TransmissionStatus.choices, default=TransmissionStatus.PENDING, db_index=True
    )

    class Meta:
        db_table = "transmission"
        indexes = [
            models.Index(fields=["destination", "status", "failed"], name="transmission_inbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=TransmissionStatus.values), name="transmission_status_valid"
            )
        ]

    @staticmethod
    def check_transmittable(vector, info) -> None:
        """Raise the error Dallinger raises when `info` may not be sent along `vector`."""
        if vector.failed:
            raise ValueError(f"Cannot transmit along {vector!r} as it has failed.")
        if info.failed:
            raise ValueError(f"Cannot transmit {info!r} as it has failed.")
        if info.origin_id != vector.origin_id:
            raise ValueError(f"Cannot transmit {info!r} along {vector!r} as they do not have the same origin")

    @classmethod
    def build(cls, vector, info, **fields) -> "Transmission":
        """An unsaved, checked transmission of `info` along `vector` (for bulk creation)."""
        cls.check_transmittable(vector, info)
        return cls(
            vector=vector,
            info=info,
            origin_id=vector.origin_id,
            destination_id=vector.destination_id,
            network_id=vector.network_id,
            **fields,
        )

    def save(self, *args, **kwargs):
        """Check a new transmission and copy its ends and network from the vector."""
        if self._state.adding:
            self.check_transmittable(self.vector, self.info)
            self.origin_id = self.vector.origin_id
            self.destination_id = self.vector.destination_id
            self.network_id = self.vector.network_id
        super().save(*args, **kwargs)

    def __repr__(self):
        return f"Transmission-{self.pk}"

    def json_data(self) -> dict:
        return {
            "vector_id": self.vector_id,
            "origin_id": self.origin_id,
            "destination_id": self.destination_id,
            "info_id": self.info_id,
            "network_id": self.network_id,
            "receive_time": self.receive_time,
            "status": self.status,
            "object_type": "Transmission",
        }

    def mark_received(self) -> None:
        """Record that the destination has received this transmission, now."""
        self.receive_time = timezone.now()
        self.status = TransmissionStatus.RECEIVED
        if self.pk is not None:
            self.save(update_fields=["receive_time", "status"])
