"""The rules of the snake game, in one place: the server replays recorded games with them, bots play by them.

The board is WIDTH × HEIGHT cells; food appears in a free cell chosen by a seeded
Park–Miller generator, so a game is fully given by its seed, its turns and its length.
"""

WIDTH = HEIGHT = 20
DIRECTIONS = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}
OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}
MODULUS = 2_147_483_647
MULTIPLIER = 48_271


class InvalidGame(ValueError):
    """A recorded game that the rules could not have produced."""


class Snake:
    """One game in progress: the snake (head first), its heading, the food and the score."""

    def __init__(self, seed: int):
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 < seed < MODULUS:
            raise InvalidGame(f"The seed must be a whole number from 1 to {MODULUS - 1}.")
        self.random_state = seed
        self.body = [(WIDTH // 2 - offset, HEIGHT // 2) for offset in range(3)]
        self.direction = "right"
        self.score = 0
        self.ticks = 0
        self.crashed = False
        self.food = self._place_food()

    def _place_food(self) -> tuple[int, int]:
        self.random_state = self.random_state * MULTIPLIER % MODULUS
        occupied = set(self.body)
        free = [(x, y) for y in range(HEIGHT) for x in range(WIDTH) if (x, y) not in occupied]
        return free[self.random_state % len(free)]

    def next_head(self, direction: str) -> tuple[int, int]:
        """Where the head goes on the next tick if heading `direction`."""
        step_x, step_y = DIRECTIONS[direction]
        return self.body[0][0] + step_x, self.body[0][1] + step_y

    def would_crash(self, direction: str) -> bool:
        """Whether heading `direction` on the next tick ends the game."""
        head = self.next_head(direction)
        staying = self.body if head == self.food else self.body[:-1]  # the tail moves on unless the snake grows
        return not (0 <= head[0] < WIDTH and 0 <= head[1] < HEIGHT) or head in staying

    def turn(self, direction: str) -> None:
        """Head another way from the next tick on; turning back on itself is not a move."""
        if direction not in DIRECTIONS or direction == OPPOSITE[self.direction] or direction == self.direction:
            raise InvalidGame(f"{direction!r} is not a turn the snake heading {self.direction} can make.")
        self.direction = direction

    def tick(self) -> None:
        """Move one cell: eat and grow, or crash."""
        if self.crashed:
            raise InvalidGame("The game went on after the snake crashed.")
        self.ticks += 1
        if self.would_crash(self.direction):
            self.crashed = True
            return
        head = self.next_head(self.direction)
        if head == self.food:
            self.body.insert(0, head)
            self.score += 1
            self.food = self._place_food()
        else:
            self.body = [head] + self.body[:-1]


def replay(record: dict) -> int:
    """The score of a recorded game {seed, turns: [[tick, direction]...], ticks, ended}, checked by replaying it."""
    snake = Snake(record.get("seed"))
    turns, ticks, ended = record.get("turns"), record.get("ticks"), record.get("ended")
    if not isinstance(turns, list) or not isinstance(ticks, int) or ended not in ("crash", "stopped"):
        raise InvalidGame("A game is a seed, a list of turns, a number of ticks and how it ended.")
    planned = {}
    for turn in turns:
        if not (isinstance(turn, list) and len(turn) == 2 and isinstance(turn[0], int)) or turn[0] in planned:
            raise InvalidGame(f"{turn!r} is not a [tick, direction] turn of its own tick.")
        planned[turn[0]] = turn[1]
    if any(not 1 <= tick <= ticks for tick in planned):
        raise InvalidGame("A turn falls outside the game.")
    for tick in range(1, ticks + 1):
        if tick in planned:
            snake.turn(planned[tick])
        snake.tick()
    if snake.crashed != (ended == "crash"):
        raise InvalidGame(f"The game did not end as recorded ({ended}).")
    if record.get("score") != snake.score:
        raise InvalidGame(f"The recorded score is {record.get('score')!r}; the game scores {snake.score}.")
    return snake.score
