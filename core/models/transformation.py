"""Transformations: the record that one info was made from another at a node."""

from django.db import models

from core.models.shared import SharedMixin
from core.polymorphism import PolymorphicModel


class Transformation(PolymorphicModel, SharedMixin):
    """`info_out` was made from `info_in` at `info_out`'s origin node."""

    polymorphic_identity = "transformation"
    constructor_arguments = ("info_in", "info_out")

    info_in = models.ForeignKey(
        "core.Info", on_delete=models.PROTECT, null=True, blank=True, related_name="transformation_applied_to"
    )
    info_out = models.ForeignKey(
        "core.Info", on_delete=models.PROTECT, null=True, blank=True, related_name="transformation_whence"
    )
    node = models.ForeignKey(
        "core.Node", on_delete=models.PROTECT, null=True, blank=True, related_name="transformations_here"
    )
    network = models.ForeignKey(
        "core.Network", on_delete=models.PROTECT, null=True, blank=True, related_name="networks_transformations"
    )

    class Meta:
        db_table = "transformation"

    def save(self, *args, **kwargs):
        """Check a new transformation and place it at `info_out`'s node and network."""
        if self._state.adding:
            self._check_new()
            self.node_id = self.info_out.origin_id
            self.network_id = self.info_out.network_id
        super().save(*args, **kwargs)

    def _check_new(self) -> None:
        info_in, info_out = self.info_in, self.info_out
        if info_in.origin_id != info_out.origin_id:
            received_here = info_in.all_transmissions.filter(
                destination_id=info_out.origin_id, status="received", failed=False
            ).exists()
            if not received_here:
                raise ValueError(
                    f"Cannot transform {info_in!r} into {info_out!r} as they are not at the same node."
                )
        for info in (info_in, info_out):
            if info.failed:
                raise ValueError(f"Cannot transform {info!r} as it has failed")

    def __repr__(self):
        return f"Transformation-{self.pk}"

    def json_data(self) -> dict:
        return {
            "info_in_id": self.info_in_id,
            "info_out_id": self.info_out_id,
            "node_id": self.node_id,
            "network_id": self.network_id,
            "object_type": "Transformation",
        }
