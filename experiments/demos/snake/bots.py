"""Bots for the snake game: they steer towards the food by the rules and record the game as the page does."""

import json
import random

from bots.base import BotBase, HighPerformanceBotBase

from .game import DIRECTIONS, MODULUS, OPPOSITE, Snake


def choose_direction(snake: Snake) -> str:
    """A simple player: a heading that does not crash, the one that brings the head nearest the food."""

    def distance(direction):
        x, y = snake.next_head(direction)
        return abs(x - snake.food[0]) + abs(y - snake.food[1])

    safe = [d for d in DIRECTIONS if d != OPPOSITE[snake.direction] and not snake.would_crash(d)]
    return min(safe, key=lambda d: (distance(d), d != snake.direction)) if safe else snake.direction


def play(seed: int, max_ticks: int) -> dict:
    """A whole game, to a crash or `max_ticks`, as the record the page sends."""
    snake, turns = Snake(seed), []
    while not snake.crashed and snake.ticks < max_ticks:
        direction = choose_direction(snake)
        if direction != snake.direction:
            snake.turn(direction)
            turns.append([snake.ticks + 1, direction])
        snake.tick()
    ended = "crash" if snake.crashed else "stopped"
    return {"seed": seed, "turns": turns, "ticks": snake.ticks, "ended": ended, "score": snake.score}


class HighPerformanceBot(HighPerformanceBotBase):
    """Takes part over HTTP: plays a game of up to `max_ticks` ticks and records it."""

    max_ticks = 300

    def participate(self) -> bool:
        node = self.create_node()
        if node is None:
            return True
        self.game = play(random.randrange(1, MODULUS), self.max_ticks)
        self.request_json("POST", f"/info/{node['id']}", data={"contents": json.dumps(self.game), "info_type": "Info"})
        return True


class Bot(BotBase):
    """Takes part in a browser: turns now and then, and stops the game if it is still going."""

    def participate(self) -> bool:
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.keys import Keys

        try:
            stop = self.wait_for("stop")  # enabled once the game has started
            board = self.wait_for("board")
            for key in (Keys.ARROW_DOWN, Keys.ARROW_LEFT, Keys.ARROW_UP):
                board.send_keys(key)
            if stop.is_enabled():
                stop.click()
            self.wait_for("finish", seconds=30).click()
            return True
        except WebDriverException as error:
            self.log(f"Could not take part: {error.msg or error}")
            return False
