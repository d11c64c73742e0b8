"""The function source at the head of a function-learning chain."""

import json
import math
import random

from core.nodes import Source

#: The smallest and largest bar length, in the units the page draws.
LOWEST, HIGHEST = 1, 100
#: How many (x, y) pairs the source sends for training.
TRAINING_PAIRS = 20

#: The functions a chain can start from: x in LOWEST..HIGHEST → y in about the same range.
FUNCTIONS = {
    "linear": lambda x: x,
    "negative_linear": lambda x: HIGHEST - x,
    "sinusoidal": lambda x: 50.5 + 49.5 * math.sin(math.pi / 2 + x / (5 * math.pi)),
    "step": lambda x: 75 if x >= 50 else 25,
    "exponential": lambda x: 100 * math.exp(-0.05 * x),
}


def function_pairs(function_name: str, count: int = TRAINING_PAIRS) -> dict:
    """`count` distinct x values, drawn at random, and the named function's y for each."""
    function = FUNCTIONS[function_name]
    xs = random.sample(range(LOWEST, HIGHEST), count)
    return {"x": xs, "y": [round(function(x), 2) for x in xs]}


class FunctionSource(Source):
    """Sends (x, y) pairs of the function named in `property1` (sinusoidal when unset)."""

    polymorphic_identity = "function_source"

    @property
    def function_name(self) -> str:
        """Which of FUNCTIONS this source draws from."""
        return self.property1 or "sinusoidal"

    @function_name.setter
    def function_name(self, name: str) -> None:
        if name not in FUNCTIONS:
            raise ValueError(f"Unknown function {name!r}; choose one of {', '.join(sorted(FUNCTIONS))}.")
        self.property1 = name

    def _contents(self):
        return json.dumps(function_pairs(self.function_name))
