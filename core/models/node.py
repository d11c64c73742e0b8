"""Nodes: the points of a network (participants' agents, sources, environments)."""

import logging

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from core import pending
from core.fetch import rows_where, update_returning
from core.models.participant import ParticipantStatus
from core.models.shared import SharedMixin
from core.polymorphism import PolymorphicModel, registry
from core.savepoints import step
from core.validation import check_failed, failed_filter, is_subclass, type_filter

logger = logging.getLogger(__name__)

VECTOR_DIRECTIONS = ("all", "incoming", "outgoing")
NEIGHBOR_DIRECTIONS = ("to", "from", "either", "both")
CONNECT_DIRECTIONS = ("to", "from", "both")
TRANSMISSION_STATUSES = ("all", "pending", "received")


def flatten(items) -> list:
    """Flatten arbitrarily nested lists (and tuples) into one list."""
    if not isinstance(items, (list, tuple)):
        return [items]
    flat = []
    for item in items:
        flat.extend(flatten(item))
    return flat


def _rows_of_type(base, type, conditions, params, using) -> list:
    """Rows of `base`'s table of class `type` (or a subclass) matching every SQL condition,
    oldest first."""
    if type is not base._polymorphic_base:
        identities = registry.identities(type)
        if not identities:
            return []
        conditions = [*conditions, f"type IN ({', '.join(['%s'] * len(identities))})"]
        params = [*params, *identities]
    return rows_where(base, " AND ".join(conditions), params, using=using)


class _OutgoingVectors:
    """A node's live outgoing vectors for one `transmit`, each read at most once: all of them
    with their destinations (when a node class names the targets), or those to given nodes."""

    def __init__(self, node):
        self.node = node
        self.by_destination = None

    def destinations(self) -> list:
        """The nodes this node has a live vector to, oldest first (as `neighbors`)."""
        if self.by_destination is None:
            vectors = self.node.all_outgoing_vectors.filter(failed=False).select_related("destination")
            self.by_destination = {vector.destination_id: vector for vector in vectors}
        nodes = [vector.destination for vector in self.by_destination.values()]
        return sorted(nodes, key=lambda node: (node.creation_time, node.pk))

    def to(self, targets) -> dict:
        """The live vectors to `targets`, by destination id."""
        if self.by_destination is not None:
            return self.by_destination
        return {
            vector.destination_id: vector
            for vector in self.node.all_outgoing_vectors.filter(
                failed=False, destination_id__in=[target.pk for target in targets]
            )
        }


def unique(items) -> list:
    """`items` without repeats (compared by identity of the row), first occurrence first."""
    seen, result = set(), []
    for item in items:
        key = (type(item)._meta.concrete_model, item.pk) if item.pk is not None else id(item)
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


class Node(PolymorphicModel, SharedMixin):
    """A point in a network, optionally belonging to a participant."""

    polymorphic_identity = "node"
    constructor_arguments = ("network", "participant")

    network = models.ForeignKey(
        "core.Network", on_delete=models.PROTECT, null=True, blank=True, related_name="all_nodes"
    )
    participant = models.ForeignKey(
        "core.Participant", on_delete=models.PROTECT, null=True, blank=True, related_name="all_nodes"
    )

    class Meta:
        db_table = "node"
        indexes = [models.Index(fields=["network", "failed"], name="node_network_failed_idx")]

    # Creation --------------------------------------------------------------------

    def save(self, *args, **kwargs):
        """Check a new node, save it, then recompute whether its network is full."""
        adding = self._state.adding
        if adding:
            self._check_new()
        with step():
            super().save(*args, **kwargs)
            if adding:
                self.network.calculate_full()

    def _check_new(self) -> None:
        network, participant = self.network, self.participant
        if network is None:
            raise ValueError("A node must be created in a network.")
        if network.failed:
            raise ValueError(f"Cannot create node in {network!r} as it has failed")
        if participant is not None:
            if participant.failed:
                raise ValueError(f"{participant!r} cannot create a node as it has failed")
            if participant.status != ParticipantStatus.WORKING:
                raise ValueError(f"{participant!r} cannot create a node as they are not working")

    def fail(self, reason=None) -> None:
        """Fail this node and what depends on it, then recompute whether its network is full.

        As in Dallinger, a failed node no longer counts towards `max_size`.
        """
        with transaction.atomic():
            super().fail(reason=reason)
            if self.network_id is not None:
                self.network.calculate_full()

    def __repr__(self):
        return f"Node-{self.pk}-{self.type}"

    def json_data(self) -> dict:
        return {
            "type": self.type,
            "network_id": self.network_id,
            "participant_id": self.participant_id,
            "object_type": "Node",
        }

    # Queries -----------------------------------------------------------------------

    def vectors(self, direction="all", failed=False) -> list:
        """Vectors into ("incoming"), out of ("outgoing") or both ways ("all") of this node."""
        if direction not in VECTOR_DIRECTIONS:
            raise ValueError(f"{direction} is not a valid vector direction. Must be all, incoming or outgoing.")
        check_failed(failed, f"{failed} is not a valid vector failed")
        vector_class = self.all_outgoing_vectors.model
        ends = {
            "incoming": models.Q(destination=self),
            "outgoing": models.Q(origin=self),
            "all": models.Q(destination=self) | models.Q(origin=self),
        }[direction]
        return list(vector_class.objects.filter(ends, **failed_filter(failed)).order_by("creation_time", "id"))

    def neighbors(self, type=None, direction="to", failed=None) -> list:
        """Nodes linked to this one by a live vector, oldest first.

        `direction` is "to" (this node → them), "from" (them → this node), "either" or
        "both". Only live vectors count, so `failed` cannot be chosen.
        """
        type = type or Node
        if not is_subclass(type, Node):
            raise ValueError(f"{type} is not a valid neighbor type, needs to be a subclass of Node.")
        if direction not in NEIGHBOR_DIRECTIONS:
            raise ValueError(f"{direction} not a valid neighbor connection. Should be both, either, to or from.")
        if failed is not None:
            raise ValueError(
                "You should not pass a failed argument to neighbors(). Neighbors only follows "
                "vectors that have not failed; to find nodes linked by failed vectors, use vectors()."
            )
        vectors = self.all_outgoing_vectors.model._meta.db_table
        to_them = f"id IN (SELECT destination_id FROM {vectors} WHERE origin_id = %s AND NOT failed)"
        from_them = f"id IN (SELECT origin_id FROM {vectors} WHERE destination_id = %s AND NOT failed)"
        condition, count = {
            "to": (to_them, 1),
            "from": (from_them, 1),
            "either": (f"({to_them} OR {from_them})", 2),
            "both": (f"{to_them} AND {from_them}", 2),
        }[direction]
        return _rows_of_type(Node, type, [condition], [self.pk] * count, self._state.db)

    def is_connected(self, whom, direction="to", failed=None):
        """Whether a live vector links this node and `whom` (a node, or a list giving a list of booleans).

        A node is never connected to itself (vectors to oneself cannot exist).
        """
        if failed is not None:
            raise ValueError(
                "You should not pass a failed argument to is_connected. "
                "is_connected only considers vectors that have not failed."
            )
        if direction not in NEIGHBOR_DIRECTIONS:
            raise ValueError(f"{direction} is not a valid direction for is_connected")
        nodes = whom if isinstance(whom, list) else [whom]
        for node in nodes:
            if not isinstance(node, Node):
                raise TypeError(f"is_connected cannot parse objects of type {type(node)}.")
        to_ids, from_ids = self._live_links([node.pk for node in nodes])
        if direction == "to":
            connected = to_ids
        elif direction == "from":
            connected = from_ids
        elif direction == "either":
            connected = to_ids | from_ids
        else:
            connected = to_ids & from_ids
        answers = [node.pk in connected for node in nodes]
        return answers if isinstance(whom, list) else answers[0]

    def _live_links(self, ids) -> tuple[set, set]:
        """Of the nodes `ids`, those this node has a live vector to, and those with one to it (one query)."""
        ids = [pk for pk in ids if pk is not None]
        if not ids:
            return set(), set()
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"SELECT origin_id, destination_id FROM {self.all_outgoing_vectors.model._meta.db_table}"
            f" WHERE NOT failed AND ((origin_id = %s AND destination_id IN ({marks}))"
            f" OR (destination_id = %s AND origin_id IN ({marks})))"
        )
        with connections[self._state.db or DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(sql, [self.pk, *ids, self.pk, *ids])
            links = cursor.fetchall()
        to_ids, from_ids = set(), set()
        for origin_id, destination_id in links:
            if origin_id == self.pk:
                to_ids.add(destination_id)
            if destination_id == self.pk:
                from_ids.add(origin_id)
        return to_ids, from_ids

    def infos(self, type=None, failed=False) -> list:
        """Infos this node created, oldest first."""
        info_class = self.all_infos.model
        type = type or info_class
        if not is_subclass(type, info_class):
            raise TypeError(f"Cannot get infos of type {type} as it is not a valid type.")
        check_failed(failed, f"{failed} is not a valid infos failed")
        conditions, params = ["origin_id = %s"], [self.pk]
        if failed != "all":
            conditions.append("failed = %s")
            params.append(bool(failed))
        return _rows_of_type(info_class, type, conditions, params, self._state.db)

    def received_infos(self, type=None, failed=None) -> list:
        """Infos this node has received through live transmissions, oldest first."""
        if failed is not None:
            raise ValueError(
                "You should not pass a failed argument to received_infos. "
                "received_infos only follows transmissions that have not failed."
            )
        info_class = self.all_infos.model
        type = type or info_class
        if not is_subclass(type, info_class):
            raise TypeError(f"Cannot get infos of type {type} as it is not a valid type.")
        transmissions = self.all_incoming_transmissions.model._meta.db_table
        received = (
            f"id IN (SELECT info_id FROM {transmissions}"
            " WHERE destination_id = %s AND status = %s AND NOT failed)"
        )
        return _rows_of_type(info_class, type, [received], [self.pk, "received"], self._state.db)

    def transmissions(self, direction="outgoing", status="all", failed=False) -> list:
        """Transmissions sent ("outgoing"), received ("incoming") or both ("all"), oldest first."""
        if direction not in VECTOR_DIRECTIONS:
            raise ValueError(
                f"You cannot get transmissions of direction {direction}."
                "Type can only be incoming, outgoing or all."
            )
        if status not in TRANSMISSION_STATUSES:
            raise ValueError(
                f"You cannot get transmission of status {status}.Status can only be pending, received or all"
            )
        check_failed(failed, f"{failed} is not a valid transmission failed")
        transmission_class = self.all_outgoing_transmissions.model
        ends = {
            "incoming": models.Q(destination=self),
            "outgoing": models.Q(origin=self),
            "all": models.Q(destination=self) | models.Q(origin=self),
        }[direction]
        queryset = transmission_class.objects.filter(ends, **failed_filter(failed))
        if status != "all":
            queryset = queryset.filter(status=status)
        return list(queryset.order_by("creation_time", "id"))

    def transformations(self, type=None, failed=False) -> list:
        """Transformations that happened at this node, oldest first."""
        transformation_class = self.transformations_here.model
        type = type or transformation_class
        if not is_subclass(type, transformation_class):
            raise TypeError(f"{type} is not a valid transformation type.")
        check_failed(failed, f"{failed} is not a valid transformation failed")
        return list(
            transformation_class.objects.filter(node=self, **failed_filter(failed), **type_filter(type)).order_by(
                "creation_time", "id"
            )
        )

    @property
    def failure_cascade(self) -> list:
        return [
            lambda: self.vectors(direction="all"),
            lambda: self.infos(),
            lambda: self.transmissions(direction="all"),
            lambda: self.transformations(),
        ]

    # Actions ------------------------------------------------------------------------

    def connect(self, whom, direction="to") -> list:
        """Create vectors between this node and `whom` (a node or nested list of nodes).

        `direction` is "to" (this node → them), "from" or "both". Existing live
        connections are kept and logged, a node listed twice is connected once, and if
        any connection is not allowed nothing is created. Returns the new vectors.
        """
        if direction not in CONNECT_DIRECTIONS:
            raise ValueError(f"{direction} is not a valid direction for connect()")
        targets = flatten(whom)
        for target in targets:
            if not isinstance(target, Node):
                raise TypeError(f"{target!r} cannot be connected to as it is not a Node.")
        targets = unique(targets)
        vector_class = self.all_outgoing_vectors.model
        connected_to, connected_from = self._live_links([target.pk for target in targets])

        pairs = []
        for target in targets:
            if direction in ("to", "both"):
                if target.pk in connected_to:
                    logger.warning("%r is already connected to %r; not connecting again.", self, target)
                else:
                    pairs.append((self, target))
            if direction in ("from", "both"):
                if target.pk in connected_from:
                    logger.warning("%r is already connected from %r; not connecting again.", self, target)
                else:
                    pairs.append((target, self))
        for origin, destination in pairs:
            vector_class.check_connectable(origin, destination)
        new_vectors = [
            vector_class(origin=origin, destination=destination, network_id=origin.network_id)
            for origin, destination in pairs
        ]
        return vector_class.objects.bulk_create(new_vectors) if new_vectors else []

    def transmit(self, what=None, to_whom=None) -> list:
        """Send infos to connected nodes and return the new transmissions.

        `what`: None (this node's `_what()`), an Info, an Info class (all this node's
        live infos of it) or a list of these. `to_whom`: None (`_to_whom()`), a Node, a
        Node class (this node's "to" neighbours of it) or a list of these. Every target
        must have a live vector from this node; otherwise nothing is sent (nor
        created: a Source's new info is rolled back too).
        """
        with transaction.atomic():
            return self._transmit(what, to_whom)

    def _transmit(self, what, to_whom) -> list:
        infos = unique(self._resolve_infos(what))
        # A Dallinger source's `create_information()` may return its new info unsaved,
        # relying on the session to write it before the transmission refers to it.
        pending.flush()
        for info in infos:
            if info.pk is None:
                info.save()
        outgoing = _OutgoingVectors(self)
        targets = unique(self._resolve_targets(to_whom, outgoing))
        if not infos or not targets:
            return []
        transmission_class = self.all_outgoing_transmissions.model
        vectors = outgoing.to(targets)
        new_transmissions = []
        for info in infos:
            for target in targets:
                vector = vectors.get(target.pk)
                if vector is None:
                    raise ValueError(
                        f"{self!r} cannot transmit to {target!r} as it does not have a connection to them"
                    )
                new_transmissions.append(transmission_class.build(vector, info))
        return transmission_class.objects.bulk_create(new_transmissions)

    def _resolve_infos(self, what) -> list:
        info_class = self.all_infos.model
        resolved = []
        for item in flatten(what):
            if item is None:
                default = self._what()
                if default is None:
                    raise ValueError(f"{self!r}._what() returned None; it must name what to transmit.")
                resolved.extend(self._resolve_infos(default))
            elif is_subclass(item, info_class):
                resolved.extend(self.infos(type=item))
            elif isinstance(item, info_class):
                resolved.append(item)
            else:
                raise ValueError(f"{self!r} cannot transmit {item!r}: it is neither an Info nor an Info class.")
        return resolved

    def _resolve_targets(self, to_whom, outgoing) -> list:
        resolved = []
        for item in flatten(to_whom):
            if item is None:
                default = self._to_whom()
                if default is None:
                    raise ValueError(f"{self!r}._to_whom() returned None; it must name whom to transmit to.")
                resolved.extend(self._resolve_targets(default, outgoing))
            elif is_subclass(item, Node):
                # neighbors(direction="to", type=item), read with the vectors they need.
                resolved.extend(node for node in outgoing.destinations() if isinstance(node, item))
            elif isinstance(item, Node):
                resolved.append(item)
            else:
                raise ValueError(f"{self!r} cannot transmit to {item!r}: it is neither a Node nor a Node class.")
        return resolved

    def _what(self):
        """What `transmit()` sends by default: every live info of this node."""
        return self.all_infos.model

    def _to_whom(self):
        """Whom `transmit()` sends to by default: every node this node is connected to."""
        return Node

    def receive(self, what=None) -> list:
        """Mark pending transmissions to this node received, then pass their infos to `update()`.

        `what` is None (every pending incoming transmission) or one pending incoming
        transmission. Each transmission is received once, even by concurrent callers.
        Returns the transmissions received.
        """
        if self.failed:
            raise ValueError(f"{self!r} cannot receive as it has failed.")
        transmission_class = self.all_incoming_transmissions.model
        if what is not None and not isinstance(what, transmission_class):
            raise ValueError(f"Nodes cannot receive {what!r}")
        returning = connections[self._state.db or DEFAULT_DB_ALIAS].features.can_return_columns_from_insert
        if what is None and type(self).update is Node.update and returning:
            # Nothing to do with the infos: one statement marks and returns the pending ones.
            return self._mark_pending_received(transmission_class)
        with transaction.atomic():
            waiting = transmission_class.objects.select_for_update(of=("self",)).filter(
                destination=self, status="pending", failed=False
            )
            if what is not None:
                waiting = waiting.filter(pk=what.pk)
            received = list(waiting.select_related("info").order_by("creation_time", "id"))
            if what is not None and not received:
                raise ValueError(f"{self!r} cannot receive {what!r} as it is not in its pending_transmissions")
            now = timezone.now()
            transmission_class.objects.filter(pk__in=[t.pk for t in received]).update(
                status="received", receive_time=now
            )
            for transmission in received:
                transmission.status, transmission.receive_time = "received", now
                pending.mark_saved(transmission, ["status", "receive_time"])
            if what is not None:
                what.status, what.receive_time = "received", now
                pending.mark_saved(what, ["status", "receive_time"])
            self.update([transmission.info for transmission in received])
            # What `update()` made or changed without saving (Dallinger's session would
            # write it at the request's commit) is saved with the receipt.
            pending.flush()
        return received

    def _mark_pending_received(self, transmission_class) -> list:
        """Mark every pending live transmission to this node received, in one
        `UPDATE ... RETURNING`: a concurrent caller waits for the rows and then finds them
        no longer pending, so each is received once. Oldest first."""
        received = update_returning(
            transmission_class,
            {"status": "received", "receive_time": timezone.now()},
            "destination_id = %s AND status = %s AND NOT failed",
            [self.pk, "pending"],
            using=self._state.db,
        )
        return sorted(received, key=lambda transmission: (transmission.creation_time, transmission.pk))

    def update(self, infos) -> None:
        """Hook: react to newly received infos. Does nothing by default."""
        if self.failed:
            raise ValueError(f"{self!r} cannot update as it has failed.")

    def replicate(self, info_in):
        """Copy `info_in` into a new info of the same class made here, recording a Replication.

        Returns the new info.
        """
        from core.transformations import Replication

        if self.failed:
            raise ValueError(f"{self!r} cannot replicate as it has failed.")
        with transaction.atomic():
            info_out = type(info_in)(origin=self, contents=info_in.contents)
            info_out.save()
            Replication(info_in=info_in, info_out=info_out).save()
        return info_out

    def mutate(self, info_in):
        """Make a mutated copy of `info_in` here (its `_mutated_contents()`), recording a Mutation.

        Returns the new info.
        """
        from core.transformations import Mutation

        if self.failed:
            raise ValueError(f"{self!r} cannot mutate as it has failed.")
        with transaction.atomic():
            info_out = type(info_in)(origin=self, contents=info_in._mutated_contents())
            info_out.save()
            Mutation(info_in=info_in, info_out=info_out).save()
        return info_out
