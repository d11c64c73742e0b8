"""Bots for iterated drawing: they redraw the strokes they saw, a little off, as memory does."""

import json
import random

from bots.base import BotBase, HighPerformanceBotBase

from .models import SIZE, drawing_contents


def nearby(value: float, wobble: float) -> int:
    """`value` moved a little at random, kept inside the drawing area."""
    return min(SIZE, max(0, round(value + random.gauss(0, wobble))))


def redraw(strokes: list, wobble: float = 3.0) -> list:
    """The strokes drawn again: each point moved a little; a stroke of many points loses one."""
    redrawn = []
    for stroke in strokes:
        points = list(stroke)
        if len(points) > 3:
            points.pop(random.randrange(1, len(points) - 1))
        redrawn.append([[nearby(x, wobble), nearby(y, wobble)] for x, y in points])
    return redrawn


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: reads the drawing its node received, sends it redrawn."""

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        infos = self.request_json("GET", f"/node/{node['id']}/received_infos")["infos"]
        if not infos:
            self.log("No drawing was received.")
            return False
        seen = json.loads(infos[0]["contents"]).get("strokes") or [[[50, 50], [250, 250]]]
        contents = drawing_contents(redraw(seen))
        self.request_json("POST", f"/info/{node['id']}", data={"contents": contents, "info_type": "Drawing"})
        return True


class Bot(BotBase):
    """Takes part in a browser: looks at the drawing, then draws two lines on the canvas."""

    def participate(self) -> bool:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.action_chains import ActionChains

        try:
            self.wait_for("finish-looking").click()
            canvas = self.wait_for("canvas")
            for (start_x, start_y), (end_x, end_y) in (((-100, -50), (100, 50)), ((-50, 80), (60, -90))):
                stroke = ActionChains(self.driver).move_to_element_with_offset(canvas, start_x, start_y)
                stroke.click_and_hold().move_by_offset(end_x - start_x, end_y - start_y).release().perform()
            self.wait_for("submit-drawing").click()
            return True
        except WebDriverException as error:
            self.log(f"Could not take part: {error.msg or error}")
            return False
