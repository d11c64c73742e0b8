"""Transformation types that ship with the platform."""

from core.models import Transformation


class Compression(Transformation):
    """`info_out` is a compressed form of `info_in`."""

    polymorphic_identity = "compression"


class Expansion(Transformation):
    """`info_out` is an expanded form of `info_in`."""

    polymorphic_identity = "expansion"


class Mutation(Transformation):
    """`info_out` is a mutated copy of `info_in` (see `Node.mutate`)."""

    polymorphic_identity = "mutation"


class Replication(Transformation):
    """`info_out` is an exact copy of `info_in` (see `Node.replicate`)."""

    polymorphic_identity = "replication"


class Response(Transformation):
    """`info_out` was made in response to `info_in`."""

    polymorphic_identity = "response"
