"""The rules of 2048, in one place: the server checks recorded games with them, bots play by them."""

import random

SIZE = 4
MOVES = ("up", "down", "left", "right")


class InvalidGame(ValueError):
    """A recorded game that the rules could not have produced."""


def _merge_towards_start(line: list[int]) -> tuple[list[int], int]:
    """Slide one line towards its start, merging equal neighbours once; the points are the merged values."""
    tiles = [value for value in line if value]
    merged, points, index = [], 0, 0
    while index < len(tiles):
        if index + 1 < len(tiles) and tiles[index] == tiles[index + 1]:
            merged.append(tiles[index] * 2)
            points += tiles[index] * 2
            index += 2
        else:
            merged.append(tiles[index])
            index += 1
    return merged + [0] * (len(line) - len(merged)), points


def _cells_of_lines(move: str) -> list[list[tuple[int, int]]]:
    """For each line the move slides, its cells in the order from where tiles gather."""
    span = range(SIZE)
    if move == "left":
        return [[(row, column) for column in span] for row in span]
    if move == "right":
        return [[(row, column) for column in reversed(span)] for row in span]
    if move == "up":
        return [[(row, column) for row in span] for column in span]
    if move == "down":
        return [[(row, column) for row in reversed(span)] for column in span]
    raise InvalidGame(f"{move!r} is not a move (one of {', '.join(MOVES)}).")


def slide(board: list[list[int]], move: str) -> tuple[list[list[int]], int]:
    """The board after a move (before a new tile appears) and the points it scores."""
    result = [list(row) for row in board]
    total = 0
    for cells in _cells_of_lines(move):
        line, points = _merge_towards_start([board[row][column] for row, column in cells])
        total += points
        for (row, column), value in zip(cells, line):
            result[row][column] = value
    return result, total


def empty_cells(board) -> list[tuple[int, int]]:
    """The cells without a tile."""
    return [(row, column) for row in range(SIZE) for column in range(SIZE) if not board[row][column]]


def add_tile(board, rng: random.Random) -> list[list[int]]:
    """The board with a new tile (a 2, or one time in ten a 4) in a random empty cell."""
    result = [list(row) for row in board]
    row, column = rng.choice(empty_cells(board))
    result[row][column] = 4 if rng.random() < 0.1 else 2
    return result


def new_board(rng: random.Random) -> list[list[int]]:
    """The opening position: two tiles on an empty board."""
    return add_tile(add_tile([[0] * SIZE for _ in range(SIZE)], rng), rng)


def moves_that_change(board) -> list[str]:
    """The moves that would move or merge at least one tile."""
    return [move for move in MOVES if slide(board, move)[0] != board]


def _check_board(board) -> None:
    if not (
        isinstance(board, list)
        and len(board) == SIZE
        and all(isinstance(row, list) and len(row) == SIZE for row in board)
    ):
        raise InvalidGame(f"A board is {SIZE} rows of {SIZE} numbers.")
    for value in (value for row in board for value in row):
        if not isinstance(value, int) or isinstance(value, bool) or (value and (value < 2 or value & (value - 1))):
            raise InvalidGame(f"{value!r} is not a tile (0 for an empty cell, else a power of two).")


def check_game(states: list[dict]) -> int:
    """The final score of a recorded game, after checking that each state follows from the one before."""
    if not states:
        raise InvalidGame("No state of the game was recorded.")
    first = states[0]
    _check_board(first.get("board"))
    tiles = sorted(value for row in first["board"] for value in row if value)
    if first.get("move") is not None or first.get("score") != 0 or len(tiles) != 2 or not set(tiles) <= {2, 4}:
        raise InvalidGame("The game must open with two tiles of 2 or 4, no move and a score of 0.")
    for number, (before, after) in enumerate(zip(states, states[1:]), start=1):
        _check_board(after.get("board"))
        slid, points = slide(before["board"], after.get("move"))
        if slid == before["board"]:
            raise InvalidGame(f"Move {number} ({after['move']}) moves no tile.")
        new_tiles = [
            (row, column)
            for row in range(SIZE)
            for column in range(SIZE)
            if slid[row][column] != after["board"][row][column]
        ]
        if (
            len(new_tiles) != 1
            or slid[new_tiles[0][0]][new_tiles[0][1]]
            or after["board"][new_tiles[0][0]][new_tiles[0][1]] not in (2, 4)
        ):
            raise InvalidGame(f"After move {number} the board is not the slid board plus one new 2 or 4.")
        if after.get("score") != before["score"] + points:
            raise InvalidGame(f"After move {number} the score should be {before['score'] + points}.")
    return states[-1]["score"]
