"""Infos: the pieces of information nodes create, send and transform."""

from django.db import models

from core.models.shared import SharedMixin
from core.polymorphism import PolymorphicModel
from core.validation import is_subclass, type_filter

TRANSMISSION_STATUSES = ("all", "pending", "received")
RELATIONSHIPS = ("all", "parent", "child")


class Info(PolymorphicModel, SharedMixin):
    """A piece of information created by a node; its `contents` can be written only once."""

    polymorphic_identity = "info"
    constructor_arguments = ("origin", "contents", "details", "failed")

    origin = models.ForeignKey(
        "core.Node", on_delete=models.PROTECT, null=True, blank=True, related_name="all_infos"
    )
    network = models.ForeignKey(
        "core.Network", on_delete=models.PROTECT, null=True, blank=True, related_name="all_infos"
    )
    contents = models.TextField(null=True, blank=True)
    #: Dallinger's flag: true once the info has contents (kept by `save`).
    complete = models.BooleanField(default=False)

    class Meta:
        db_table = "info"

    def __setattr__(self, name, value):
        # Dallinger's contents are write-once: they may be set while still None,
        # and setting the same value again (as a reload does) is harmless.
        if name == "contents":
            current = self.__dict__.get("contents")
            if current is not None and value != current:
                raise ValueError("The contents of an info is write-once.")
        super().__setattr__(name, value)

    def save(self, *args, **kwargs):
        """Take the network from the origin; refuse live infos on a failed node; mark it
        complete once it has contents."""
        if self._state.adding and self.origin is not None:
            if self.origin.failed and not self.failed:
                raise ValueError(f"Only failed Infos can be added to {self.origin!r}, as it has failed")
            self.network_id = self.origin.network_id
        if self.contents is not None and not self.complete:
            self.complete = True
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "complete"]
        super().save(*args, **kwargs)

    def __repr__(self):
        return f"Info-{self.pk}-{self.type}"

    def json_data(self) -> dict:
        return {
            "type": self.type,
            "origin_id": self.origin_id,
            "network_id": self.network_id,
            "contents": self.contents,
            "object_type": "Info",
        }

    def transmissions(self, status="all") -> list:
        """Non-failed transmissions of this info; `status` is "all", "pending" or "received"."""
        if status not in TRANSMISSION_STATUSES:
            raise ValueError(
                f"You cannot get transmission of status {status}."
                "Status can only be pending, received or all"
            )
        queryset = self.all_transmissions.filter(failed=False)
        if status != "all":
            queryset = queryset.filter(status=status)
        return list(queryset.order_by("creation_time", "id"))

    def transformations(self, relationship="all", type=None) -> list:
        """Non-failed transformations this info took part in.

        `relationship` is "parent" (this info was transformed), "child" (this info is
        the result) or "all".
        """
        if relationship not in RELATIONSHIPS:
            raise ValueError(
                f"You cannot get transformations of relationship {relationship}. "
                "Relationship can only be parent, child or all."
            )
        transformation_class = self.transformation_applied_to.model
        type = type or transformation_class
        if not is_subclass(type, transformation_class):
            raise TypeError(f"{type} is not a valid transformation type.")
        side = {
            "parent": models.Q(info_in=self),
            "child": models.Q(info_out=self),
            "all": models.Q(info_in=self) | models.Q(info_out=self),
        }[relationship]
        return list(
            transformation_class.objects.filter(side, failed=False, **type_filter(type)).order_by(
                "creation_time", "id"
            )
        )

    def _mutated_contents(self):
        """The contents of a mutated copy; subclasses that can mutate must define it."""
        raise NotImplementedError(f"_mutated_contents needs to be overwritten in class {type(self)}")

    @property
    def failure_cascade(self) -> list:
        return [lambda: self.transmissions(), lambda: self.transformations()]
