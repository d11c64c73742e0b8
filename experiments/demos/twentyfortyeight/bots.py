"""Bots for 2048: they play a game by the rules, recording every position as a player's page does."""

import json
import random

from bots.base import BotBase, HighPerformanceBotBase

from .game import add_tile, moves_that_change, new_board, slide

#: The order of moves a simple player prefers (keeping big tiles in a corner).
PREFERENCE = ("down", "left", "right", "up")


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: plays up to `max_moves` moves and records each position as a State."""

    max_moves = 40

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        rng = random.Random()
        board, score = new_board(rng), 0
        self.record(node["id"], {"move": None, "board": board, "score": score})
        for _ in range(self.max_moves):
            possible = moves_that_change(board)
            if not possible:
                break
            move = next(move for move in PREFERENCE if move in possible)
            board, points = slide(board, move)
            board, score = add_tile(board, rng), score + points
            self.record(node["id"], {"move": move, "board": board, "score": score})
        self.score = score
        return True

    def record(self, node_id: int, state: dict) -> None:
        """Send one position of the game, as the page does after each move."""
        self.request_json("POST", f"/info/{node_id}", data={"contents": json.dumps(state), "info_type": "State"})


class Bot(BotBase):
    """Takes part in a browser: presses arrow keys for a while, then ends the game."""

    key_presses = 30

    def participate(self) -> bool:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.keys import Keys

        try:
            finish = self.wait_for("finish")  # enabled once the game has started
            board = self.wait_for("board")
            for number in range(self.key_presses):
                board.send_keys((Keys.ARROW_DOWN, Keys.ARROW_LEFT, Keys.ARROW_RIGHT)[number % 3])
            finish.click()
            return True
        except WebDriverException as error:
            self.log(f"Could not take part: {error.msg or error}")
            return False
