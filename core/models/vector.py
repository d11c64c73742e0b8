"""Vectors: directed connections from one node to another in the same network."""

from django.db import models

from core.models.shared import SharedMixin
from core.validation import check_failed, failed_filter

TRANSMISSION_STATUSES = ("all", "pending", "received")


class Vector(SharedMixin):
    """A one-way link `origin → destination`; two vectors make a two-way link."""

    #: Dallinger's column naming the vector's class; vectors are not subclassed here.
    type = models.CharField(max_length=50, default="vector")

    origin = models.ForeignKey(
        "core.Node", on_delete=models.PROTECT, null=True, blank=True, related_name="all_outgoing_vectors"
    )
    destination = models.ForeignKey(
        "core.Node", on_delete=models.PROTECT, null=True, blank=True, related_name="all_incoming_vectors"
    )
    network = models.ForeignKey(
        "core.Network", on_delete=models.PROTECT, null=True, blank=True, related_name="all_vectors"
    )

    class Meta:
        db_table = "vector"
        indexes = [models.Index(fields=["origin", "destination", "failed"], name="vector_origin_dest_idx")]

    @staticmethod
    def check_connectable(origin, destination) -> None:
        """Raise the error Dallinger raises when `origin` may not connect to `destination`.

        Checked in this order: different networks, failed origin, failed destination,
        destination is a Source, self-connection.
        """
        from core.nodes import Source

        if origin.network_id != destination.network_id:
            raise ValueError(
                f"{origin!r}, in network {origin.network_id}, cannot connect with {destination!r} "
                f"as it is in network {destination.network_id}"
            )
        if origin.failed:
            raise ValueError(f"{origin!r} cannot connect to {destination!r} as {origin!r} has failed")
        if destination.failed:
            raise ValueError(f"{origin!r} cannot connect to {destination!r} as {destination!r} has failed")
        if isinstance(destination, Source):
            raise TypeError(f"Cannot connect to {destination!r} as it is a Source.")
        if origin.pk == destination.pk:
            raise ValueError(f"{origin!r} cannot connect to itself.")

    def save(self, *args, **kwargs):
        """Validate a new vector and take its network from the origin."""
        if self._state.adding:
            self.check_connectable(self.origin, self.destination)
            self.network_id = self.origin.network_id
        super().save(*args, **kwargs)

    def __repr__(self):
        return f"Vector-{self.origin_id}-{self.destination_id}"

    def json_data(self) -> dict:
        return {
            "origin_id": self.origin_id,
            "destination_id": self.destination_id,
            "network_id": self.network_id,
            "object_type": "Vector",
        }

    def transmissions(self, status="all", failed=False) -> list:
        """Transmissions sent along this vector; `status` is "all", "pending" or "received"."""
        if status not in TRANSMISSION_STATUSES:
            raise ValueError(
                f"You cannot get {status} transmissions.Status can only be pending, received or all"
            )
        check_failed(failed, f"{failed} is not a valid transmission failed")
        queryset = self.all_transmissions.filter(**failed_filter(failed))
        if status != "all":
            queryset = queryset.filter(status=status)
        return list(queryset.order_by("creation_time", "id"))

    @property
    def failure_cascade(self) -> list:
        return [lambda: self.transmissions()]
