"""Networks: the groups of nodes that information passes between."""

from django.db import DEFAULT_DB_ALIAS, connections, models

from core import pending
from core.models.shared import SharedMixin
from core.polymorphism import PolymorphicModel
from core.validation import check_failed, failed_filter, is_subclass, type_filter

DEFAULT_MAX_SIZE = 1_000_000

TRANSMISSION_STATUSES = ("all", "pending", "received")
COUNT_KEYS = ("n_pending_infos", "n_completed_infos", "n_failed_infos", "n_alive_nodes", "n_failed_nodes")


class Network(PolymorphicModel, SharedMixin):
    """A network of nodes; subclasses decide how a new node is connected in `add_node`."""

    polymorphic_identity = "network"

    max_size = models.IntegerField(default=DEFAULT_MAX_SIZE)
    full = models.BooleanField(default=False, db_index=True)
    role = models.CharField(max_length=26, default="default", db_index=True)

    class Meta:
        db_table = "network"

    def __repr__(self):
        return f"Network-{self.pk}-{self.type}"

    def json_data(self) -> dict:
        return {
            "type": self.type,
            "max_size": self.max_size,
            "full": self.full,
            "role": self.role,
            **self.counts(),
            "object_type": "Network",
        }

    @classmethod
    def count_annotations(cls) -> dict:
        """`counts()`'s numbers as annotations of a network queryset, each a subquery, so that
        any number of networks is counted in one statement (None where there is nothing)."""

        def count(relation, **filters):
            rows = cls._meta.get_field(relation).related_model.objects.filter(network=models.OuterRef("pk"), **filters)
            return models.Subquery(
                rows.order_by().values("network").annotate(total=models.Count("pk")).values("total"),
                output_field=models.IntegerField(),
            )

        return {
            "n_alive_nodes": count("all_nodes", failed=False),
            "n_failed_nodes": count("all_nodes", failed=True),
            "n_completed_infos": count("all_infos", failed=False),
            "n_failed_infos": count("all_infos", failed=True),
            "n_pending_infos": count("networks_transmissions", failed=False, status="pending"),
        }

    def counts(self) -> dict:
        """Live and failed nodes and infos, and infos sent but not yet received (one query).

        Keys: `n_alive_nodes`, `n_failed_nodes`, `n_completed_infos` (live infos),
        `n_failed_infos`, `n_pending_infos` (live transmissions still pending).
        """
        if self.pk is None:
            return dict.fromkeys(COUNT_KEYS, 0)
        row = type(self).objects.filter(pk=self.pk).annotate(**self.count_annotations()).values(*COUNT_KEYS).first()
        return {key: (row or {}).get(key) or 0 for key in COUNT_KEYS}

    # Queries -----------------------------------------------------------------

    def nodes(self, type=None, failed=False, participant_id=None) -> list:
        """Nodes in this network, oldest first, optionally of one class or one participant."""
        node_class = self.all_nodes.model
        type = type or node_class
        if not is_subclass(type, node_class):
            raise TypeError(f"{type} is not a valid node type.")
        check_failed(failed, f"{failed} is not a valid node failed")
        queryset = node_class.objects.filter(network=self, **failed_filter(failed), **type_filter(type))
        if participant_id is not None:
            queryset = queryset.filter(participant_id=participant_id)
        return list(queryset.order_by("creation_time", "id"))

    def size(self, type=None, failed=False) -> int:
        """How many nodes `nodes(type, failed)` would return, counted in the database."""
        node_class = self.all_nodes.model
        type = type or node_class
        if not is_subclass(type, node_class):
            raise TypeError(f"{type} is not a valid node type.")
        check_failed(failed, f"{failed} is not a valid node failed")
        return node_class.objects.filter(network=self, **failed_filter(failed), **type_filter(type)).count()

    def infos(self, type=None, failed=False) -> list:
        """Infos created in this network, oldest first."""
        info_class = self.all_infos.model
        type = type or info_class
        if not is_subclass(type, info_class):
            raise TypeError(f"Cannot get infos of type {type} as it is not a valid type.")
        check_failed(failed, f"{failed} is not a valid failed")
        return list(
            info_class.objects.filter(network=self, **failed_filter(failed), **type_filter(type)).order_by(
                "creation_time", "id"
            )
        )

    def transmissions(self, status="all", failed=False) -> list:
        """Transmissions in this network; `status` is "all", "pending" or "received"."""
        if status not in TRANSMISSION_STATUSES:
            raise ValueError(
                f"You cannot get transmission of status {status}."
                "Status can only be pending, received or all"
            )
        check_failed(failed, f"{failed} is not a valid failed")
        queryset = self.networks_transmissions.filter(**failed_filter(failed))
        if status != "all":
            queryset = queryset.filter(status=status)
        return list(queryset.order_by("creation_time", "id"))

    def transformations(self, type=None, failed=False) -> list:
        """Transformations in this network, optionally of one class."""
        transformation_class = self.networks_transformations.model
        type = type or transformation_class
        if not is_subclass(type, transformation_class):
            raise TypeError(f"{type} is not a valid transformation type.")
        check_failed(failed, f"{failed} is not a valid failed")
        return list(
            transformation_class.objects.filter(
                network=self, **failed_filter(failed), **type_filter(type)
            ).order_by("creation_time", "id")
        )

    def vectors(self, failed=False) -> list:
        """Vectors in this network."""
        check_failed(failed, f"{failed} is not a valid vector failed")
        return list(self.all_vectors.filter(**failed_filter(failed)).order_by("creation_time", "id"))

    def latest_transmission_recipient(self):
        """The node that most recently received a (non-failed) transmission here, or None."""
        latest = (
            self.networks_transmissions.filter(status="received", failed=False)
            .select_related("destination")
            .order_by("-receive_time", "-id")
            .first()
        )
        return latest.destination if latest else None

    # Structure -----------------------------------------------------------------

    def add_node(self, node) -> None:
        """Connect a newly created `node` to the network; each network type defines how."""
        raise NotImplementedError

    def calculate_full(self) -> None:
        """Recompute and store `full`: at least `max_size` live nodes (a max_size of 0 is always full)."""
        if self.pk is not None and type(self).size is Network.size:
            # Counted and compared in one statement (this runs for every new node); the row
            # is written only when `full` changes, so joins do not leave a dead row version
            # behind each time for every later read of the network table to step over.
            self.full, stored = self._count_full()
            if self.full != stored:
                type(self).objects.filter(pk=self.pk).update(full=self.full)
            pending.mark_saved(self, ["full"])
            return
        self.full = self.size() >= (self.max_size or 0)
        if self.pk is not None:
            type(self).objects.filter(pk=self.pk).update(full=self.full)
            pending.mark_saved(self, ["full"])

    def _count_full(self) -> tuple[bool, bool]:
        """Whether the network has `max_size` live nodes, and the `full` stored in its row."""
        connection = connections[self._state.db or DEFAULT_DB_ALIAS]
        quote = connection.ops.quote_name
        node_meta = self.all_nodes.model._meta
        sql = (
            f"SELECT (SELECT COUNT(*) FROM {quote(node_meta.db_table)}"
            f" WHERE {quote(node_meta.get_field('network').column)} = %s AND NOT {quote('failed')}) >= %s,"
            f" {quote('full')} FROM {quote(self._meta.db_table)} WHERE {quote('id')} = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.pk, self.max_size or 0, self.pk])
            row = cursor.fetchone()
        if row is None:  # the row is gone: nothing to store
            full = self.size() >= (self.max_size or 0)
            return full, full
        return bool(row[0]), bool(row[1])

    @property
    def failure_cascade(self) -> list:
        return [lambda: self.nodes()]

    def print_verbose(self) -> None:
        """Print every node, vector, info, transmission and transformation, failed ones too."""
        print(f"Nodes: {self.nodes(failed='all')}")
        print(f"Vectors: {self.vectors(failed='all')}")
        print(f"Infos: {self.infos(failed='all')}")
        print(f"Transmissions: {self.transmissions(failed='all')}")
        print(f"Transformations: {self.transformations(failed='all')}")
