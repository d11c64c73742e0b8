"""Bots for function learning: learn from the pairs received, then answer by interpolation."""

import json
import random

from bots.base import HighPerformanceBotBase


def interpolate(pairs: dict, x: float) -> float:
    """y at `x` on the straight lines between the known pairs (flat beyond the ends)."""
    known = sorted(zip(pairs["x"], pairs["y"]))
    if x <= known[0][0]:
        return known[0][1]
    for (left_x, left_y), (right_x, right_y) in zip(known, known[1:]):
        if x <= right_x:
            return left_y + (right_y - left_y) * (x - left_x) / (right_x - left_x)
    return known[-1][1]


def test_answers(pairs: dict, noise: float = 2.0) -> dict:
    """Answers for a test like the page's: half the x values seen, half new; each y a little off."""
    seen = list(pairs["x"])
    unseen = [x for x in range(1, 100) if x not in seen]
    half = len(seen) // 2
    xs = random.sample(seen, half) + random.sample(unseen, len(seen) - half)
    ys = [min(100, max(1, round(interpolate(pairs, x) + random.gauss(0, noise)))) for x in xs]
    return {"x": xs, "y": ys}


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: reads the pairs its node received, sends its test answers."""

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        infos = self.request_json("GET", f"/node/{node['id']}/received_infos")["infos"]
        if not infos:
            self.log("No pairs were received.")
            return False
        answers = test_answers(json.loads(infos[0]["contents"]))
        self.request_json("POST", f"/info/{node['id']}", data={"contents": json.dumps(answers), "info_type": "Info"})
        return True
