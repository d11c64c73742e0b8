"""Drawings: the info a drawing chain passes on, and the source of the first one."""

import base64
import json

from core.models import Info
from core.nodes import Source

#: The size of the drawing area, in pixels; strokes are lists of [x, y] points inside it.
SIZE = 300

#: The first drawing of every chain: a fish, as strokes.
FISH = [
    [[40, 150], [90, 100], [160, 90], [220, 120], [250, 150], [220, 180], [160, 210], [90, 200], [40, 150]],
    [[250, 150], [285, 110], [280, 150], [285, 190], [250, 150]],
    [[95, 135], [100, 140], [95, 145], [90, 140], [95, 135]],
    [[140, 95], [165, 60], [200, 105]],
]


def strokes_to_svg(strokes: list) -> str:
    """A drawing's strokes as an SVG image in a data URI, for an <img> to show."""
    paths = "".join(
        '<polyline fill="none" stroke="black" stroke-width="2" points="{}"/>'.format(
            " ".join(f"{x:g},{y:g}" for x, y in stroke)
        )
        for stroke in strokes
        if stroke
    )
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}">{paths}</svg>'
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


class Drawing(Info):
    """A drawing: JSON with `image` (a data URI of the picture) and `strokes` (how it was drawn)."""

    polymorphic_identity = "drawing"

    def _parsed(self) -> dict:
        try:
            parsed = json.loads(self.contents or "{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    @property
    def image(self) -> str:
        """The picture as a data URI ("" when there is none)."""
        image = self._parsed().get("image")
        return image if isinstance(image, str) and image.startswith("data:image/") else ""

    @property
    def strokes(self) -> list:
        """The strokes the drawing was made of ([] when unknown)."""
        strokes = self._parsed().get("strokes")
        return strokes if isinstance(strokes, list) else []


def drawing_contents(strokes: list, image: str | None = None) -> str:
    """The contents of a Drawing made of `strokes` (pictured by `image`, else rendered from them)."""
    return json.dumps({"image": image or strokes_to_svg(strokes), "strokes": strokes})


class DrawingSource(Source):
    """Sends the first drawing of the chain."""

    polymorphic_identity = "drawing_source"

    def _info_type(self):
        return Drawing

    def _contents(self):
        return drawing_contents(FISH)
