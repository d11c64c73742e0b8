#!/usr/bin/env python
"""A short tour of the experimental record: a transmission chain of retold stories.

Builds a Chain network whose Source holds a story, adds three participants' agents one
after another, and lets each receive the previous version and pass on a shorter retelling
(the way participants in Bartlett's 1932 experiment did), then prints what happened.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dallinger_project.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from core.models import Info, Participant  # noqa: E402
from core.networks import Chain  # noqa: E402
from core.nodes import Agent, Source  # noqa: E402

STORY = (
    "One foggy evening two brothers went down to the river to hunt seals. "
    "They heard paddles in the mist and hid behind a log. Five canoes came by, "
    "and the men in them asked the brothers to come and fight. The elder went, "
    "the younger went home to tell their mother, and by morning the elder had "
    "learned that the warriors were ghosts."
)


class StorySource(Source):
    """Sends the story at the head of the chain."""

    polymorphic_identity = "story_source"

    def _contents(self):
        return STORY


def retell(text: str) -> str:
    """A retelling that, like most, loses the last sentence."""
    sentences = [sentence for sentence in text.split(". ") if sentence]
    return ". ".join(sentences[:-1]) + "." if len(sentences) > 1 else text


def main() -> None:
    with transaction.atomic():
        chain = Chain(max_size=4)
        chain.save()
        source = StorySource(network=chain)
        source.save()
        chain.add_node(source)
        print(f"Created {chain!r} (max_size {chain.max_size}) with {source!r}.")

        for number in range(1, 4):
            participant = Participant(
                recruiter_id="hotair",
                worker_id=f"demo-worker-{number}",
                assignment_id=f"demo-assignment-{chain.pk}-{number}",
                hit_id="demo",
                mode="debug",
            )
            participant.save()
            agent = Agent(network=chain, participant=participant)
            agent.save()
            chain.add_node(agent)

            parent = agent.neighbors(direction="from")[0]
            parent.transmit(to_whom=agent)
            received = agent.receive()
            story = received[0].info.contents
            info = Info(origin=agent, contents=retell(story))
            info.save()
            print(
                f"\n{agent!r} of participant {participant.pk} received {received[0].info!r} "
                f"from {parent!r} ({len(story.split())} words) and retold it in "
                f"{len(info.contents.split())} words:\n  {info.contents}"
            )

        chain.refresh_from_db()
        print(
            f"\nThe chain now has {chain.size()} nodes, {len(chain.vectors())} vectors, "
            f"{len(chain.infos())} infos and {len(chain.transmissions(status='received'))} "
            f"received transmissions; full: {chain.full}."
        )


if __name__ == "__main__":
    main()
