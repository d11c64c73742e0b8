"""A study's record built in bulk for the Monitoring tests and benchmark: chains of participants'
agents, each agent with an info sent on to the next, a source at the head of each chain."""

import itertools
from dataclasses import dataclass, field

from core.models import Info, Node, Participant, Transmission, Vector
from core.networks import Chain
from core.nodes import Agent, Source

_numbers = itertools.count(1)


@dataclass
class Study:
    """What `build_study` made, by network."""

    networks: list = field(default_factory=list)
    nodes: dict = field(default_factory=dict)  # network id -> its nodes, source first
    participants: list = field(default_factory=list)


def build_study(*, networks: int = 1, agents: int = 5, role: str = "experiment", failed_every: int = 0,
                status: str = "working") -> Study:  # fmt: skip
    """`networks` chains of `agents` participants' agents each (plus a source), in a few bulk
    inserts; every `failed_every`th agent (and its participant's info) failed."""
    study = Study()
    for _ in range(networks):
        chain = Chain(role=role, max_size=agents + 10)
        chain.save()
        study.networks.append(chain)
        run = next(_numbers)
        participants = Participant.objects.bulk_create(
            Participant(worker_id=f"s{run}w{n}", assignment_id=f"s{run}a{n}", unique_id=f"s{run}w{n}:s{run}a{n}",
                        hit_id="h", mode="debug", recruiter_id="hotair", status=status)
            for n in range(agents)
        )  # fmt: skip
        study.participants.extend(participants)
        source = Node(network=chain, type=Source.polymorphic_identity)
        source.save()

        def failed(n):
            return bool(failed_every) and n % failed_every == failed_every - 1

        agents_made = Node.objects.bulk_create(
            Node(network=chain, participant=participant, type=Agent.polymorphic_identity, failed=failed(n))
            for n, participant in enumerate(participants)
        )
        nodes = [source, *agents_made]
        study.nodes[chain.pk] = nodes
        vectors = Vector.objects.bulk_create(
            Vector(origin=origin, destination=destination, network=chain)
            for origin, destination in zip(nodes, nodes[1:])
        )
        infos = Info.objects.bulk_create(
            Info(origin=node, network=chain, contents=f"story {node.pk}", type="info", failed=node.failed)
            for node in nodes
        )
        Transmission.objects.bulk_create(
            Transmission(vector=vector, info=info, origin=vector.origin, destination=vector.destination, network=chain,
                         status="received")
            for vector, info in zip(vectors, infos)
        )  # fmt: skip
    return study


def network_ids(study: Study) -> list[int]:
    """The ids of the study's networks, oldest first."""
    return [network.pk for network in study.networks]
