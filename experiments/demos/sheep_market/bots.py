"""Bots for the sheep market: they draw a sheep of pen strokes and send it as the page does."""

import json
import math
import random

from bots.base import HighPerformanceBotBase

from .drawing import render


def sheep(rng: random.Random) -> list[list[tuple[int, int]]]:
    """Pen strokes of a sheep (a woolly body, a head, four legs), a little different each time."""
    centre_x, centre_y = 150 + rng.randint(-20, 20), 140 + rng.randint(-20, 20)

    def loop(x, y, radius_x, radius_y, wobble):
        return [
            (round(x + (radius_x + wobble * math.sin(7 * angle)) * math.cos(angle)),
             round(y + (radius_y + wobble * math.sin(7 * angle)) * math.sin(angle)))
            for angle in (2 * math.pi * step / 48 for step in range(49))
        ]  # fmt: skip

    body = loop(centre_x, centre_y, 70, 45, 6)
    head = loop(centre_x + 85, centre_y - 25, 20, 15, 0)
    legs = [[(centre_x + dx, centre_y + 40), (centre_x + dx, centre_y + 85)] for dx in (-45, -20, 20, 45)]
    return [body, head, *legs]


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: draws a sheep and sends the image with its strokes."""

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        strokes = sheep(random.Random())
        contents = json.dumps({"image": render(strokes), "strokes": strokes})
        self.request_json("POST", f"/info/{node['id']}", data={"contents": contents, "info_type": "Info"})
        return True
