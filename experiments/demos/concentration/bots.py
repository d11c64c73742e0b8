"""Bots for Concentration: a player with a good memory, over HTTP or clicking cards in a browser."""

import json
import random

from bots.base import BotBase, HighPerformanceBotBase

from .game import Player, deal


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: deals a deck as the page does, plays it, and records every turn."""

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        rng = random.Random()
        deck, player, number = deal(rng), Player(rng), 0
        while not player.done:
            first = player.first_card()
            player.saw(first, deck[first])
            second = player.second_card(first)
            player.saw(second, deck[second])
            player.finished_turn([first, second])
            number += 1
            turn = {"turn": number, "cards": [first, second], "faces": [deck[first], deck[second]]}
            self.request_json("POST", f"/info/{node['id']}", data={"contents": json.dumps(turn), "info_type": "Info"})
        self.turns = number
        return True


class Bot(BotBase):
    """Takes part in a browser: turns cards over by clicking them, reading and remembering their faces."""

    def participate(self) -> bool:
        from selenium.common.exceptions import WebDriverException

        player = Player(random.Random())
        try:
            while not player.done:
                first = player.first_card()
                player.saw(first, self.turn_over(first))
                second = player.second_card(first)
                player.saw(second, self.turn_over(second))
                player.finished_turn([first, second])
            self.wait_for("finish", seconds=30).click()
            return True
        except WebDriverException as error:
            self.log(f"Could not take part: {error.msg or error}")
            return False

    def turn_over(self, card: int) -> str:
        """Click a card (once it can be clicked) and read the face it shows."""
        button = self.wait_for(f"card-{card}")
        button.click()
        return button.get_attribute("data-face")
