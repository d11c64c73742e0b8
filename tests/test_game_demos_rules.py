"""The rules the game and estimation demos check recorded data with, and the checks wired into a submission.

The unit tests pin each demo's own logic (2048's slide, the snake replay, the memory game's
turns, the answer sheets, the drawings); the HTTP tests show a participant whose record
breaks those rules is not approved, while one who plays by them is.
"""

import json
import random

import pytest
from django.test import Client

from experiments.demos.concentration import game as concentration
from experiments.demos.sheep_market import drawing
from experiments.demos.snake import game as snake
from experiments.demos.twentyfortyeight import game as twentyfortyeight
from experiments.demos.vox_populi import estimates

# 2048 ------------------------------------------------------------------------------------


def test_a_2048_slide_merges_each_tile_once_and_scores_the_merged_values():
    board = [[2, 2, 2, 2], [4, 4, 8, 8], [2, 0, 2, 4], [0, 0, 0, 2]]
    assert twentyfortyeight.slide(board, "left") == ([[4, 4, 0, 0], [8, 16, 0, 0], [4, 4, 0, 0], [2, 0, 0, 0]], 36)
    assert twentyfortyeight.slide(board, "right")[0][0] == [0, 0, 4, 4]
    assert twentyfortyeight.slide(board, "down") == ([[0, 0, 0, 2], [2, 0, 2, 8], [4, 2, 8, 4], [2, 4, 2, 2]], 0)
    assert twentyfortyeight.slide([[2, 0, 0, 0], [2, 0, 0, 0], [4, 0, 0, 0], [4, 0, 0, 0]], "up")[1] == 12


def played_2048(moves: int = 30) -> list[dict]:
    """A game played by the rules, as the page records it."""
    rng = random.Random(7)
    board, score = twentyfortyeight.new_board(rng), 0
    states = [{"move": None, "board": board, "score": 0}]
    for _ in range(moves):
        move = twentyfortyeight.moves_that_change(board)[0]
        board, points = twentyfortyeight.slide(board, move)
        board, score = twentyfortyeight.add_tile(board, rng), score + points
        states.append({"move": move, "board": board, "score": score})
    return states


def test_a_2048_game_played_by_the_rules_passes_with_its_final_score():
    states = played_2048()
    assert twentyfortyeight.check_game(states) == states[-1]["score"] > 0


@pytest.mark.parametrize(
    "tamper, reason",
    [
        (lambda states: states[5].update(score=states[5]["score"] + 4), "score"),
        (lambda states: states[3]["board"][0].__setitem__(0, 1024), "new 2 or 4"),
        (lambda states: states[4].update(move="sideways"), "not a move"),
        (lambda states: states[0].update(score=8), "open with two tiles"),
    ],
)
def test_a_2048_game_the_rules_could_not_produce_is_refused(tamper, reason):
    states = played_2048()
    tamper(states)
    with pytest.raises(twentyfortyeight.InvalidGame, match=reason):
        twentyfortyeight.check_game(states)


def test_a_2048_move_that_moves_no_tile_is_refused():
    opening = [[2, 0, 0, 0], [4, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    after = [[2, 0, 0, 0], [4, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 2]]  # a new tile, but nothing slid
    states = [{"move": None, "board": opening, "score": 0}, {"move": "left", "board": after, "score": 0}]
    with pytest.raises(twentyfortyeight.InvalidGame, match="moves no tile"):
        twentyfortyeight.check_game(states)


# Snake -----------------------------------------------------------------------------------


def test_a_snake_game_replays_to_its_score_and_a_changed_record_does_not():
    # Given a game: right for 3 ticks, then down until the wall
    record = {"seed": 42, "turns": [[4, "down"]], "ticks": 13, "ended": "crash"}
    game = snake.Snake(42)
    for tick in range(1, 14):
        if tick == 4:
            game.turn("down")
        game.tick()
    assert game.crashed and game.ticks == 13  # the head starts at row 10 of 20: 3 ticks right, 10 down, out
    record["score"] = game.score
    assert snake.replay(record) == game.score

    # A crash recorded as a stop, a game that goes on after a crash, a turn back on itself: refused
    with pytest.raises(snake.InvalidGame, match="did not end as recorded"):
        snake.replay(dict(record, ended="stopped"))
    with pytest.raises(snake.InvalidGame, match="after the snake crashed"):
        snake.replay(dict(record, ticks=14))
    with pytest.raises(snake.InvalidGame, match="not a turn"):
        snake.replay(dict(record, turns=[[4, "left"]]))
    with pytest.raises(snake.InvalidGame, match="recorded score"):
        snake.replay(dict(record, score=record["score"] + 1))


def test_eating_grows_the_snake_and_the_food_moves_to_a_free_cell():
    game = snake.Snake(1)
    game.food = game.next_head("right")  # food straight ahead
    game.tick()
    assert (game.score, len(game.body)) == (1, 4)
    assert game.food not in game.body


# Concentration -----------------------------------------------------------------------------


def whole_memory_game(seed: int = 3) -> list[dict]:
    """The turns of a game played to the end by the bots' player."""
    rng = random.Random(seed)
    deck, player, turns = concentration.deal(rng), concentration.Player(rng), []
    while not player.done:
        first = player.first_card()
        player.saw(first, deck[first])
        second = player.second_card(first)
        player.saw(second, deck[second])
        player.finished_turn([first, second])
        turns.append({"turn": len(turns) + 1, "cards": [first, second], "faces": [deck[first], deck[second]]})
    return turns


def test_a_whole_memory_game_scores_its_number_of_turns():
    turns = whole_memory_game()
    # At least one turn per pair; a player who remembers everything never needs more than 2 per pair.
    assert concentration.CARDS // 2 <= concentration.check_turns(turns) == len(turns) <= concentration.CARDS


@pytest.mark.parametrize(
    "tamper, reason",
    [
        (lambda turns: turns.pop(), "still face down"),
        (lambda turns: turns[0].update(cards=[5, 5]), "two different cards"),
        (lambda turns: turns.append(dict(turns[-1], turn=len(turns) + 1)), "still face down"),
        (lambda turns: turns[1].update(turn=7), "out of order"),
    ],
)
def test_a_memory_game_the_rules_could_not_produce_is_refused(tamper, reason):
    turns = whole_memory_game()
    tamper(turns)
    with pytest.raises(concentration.InvalidGame, match=reason):
        concentration.check_turns(turns)


def test_a_card_cannot_change_its_face_between_turns():
    turns = [
        {"turn": 1, "cards": [0, 1], "faces": ["sun", "moon"]},
        {"turn": 2, "cards": [0, 2], "faces": ["star", "star"]},
    ]
    with pytest.raises(concentration.InvalidGame, match="Card 0 cannot show 'star'"):
        concentration.check_turns(turns)


# Vox populi --------------------------------------------------------------------------------


def test_the_crowd_estimate_is_the_median_of_the_valid_sheets():
    sheets = [dict.fromkeys(estimates.KEYS, value) for value in (10, 40, 90)]
    sheets.append({"water_surface": 100})  # incomplete: left out
    sheets.append(None)  # not a sheet at all: left out
    assert estimates.crowd_estimates(sheets) == dict.fromkeys(estimates.KEYS, 40)
    assert estimates.crowd_estimates([]) == dict.fromkeys(estimates.KEYS)


@pytest.mark.parametrize("value", [-1, 101, "50", True, None])
def test_an_answer_that_is_not_a_percentage_is_refused(value):
    sheet = dict.fromkeys(estimates.KEYS, 50)
    sheet[estimates.KEYS[0]] = value
    with pytest.raises(estimates.InvalidAnswers):
        estimates.checked_answers(sheet)


# Sheep market ------------------------------------------------------------------------------


def test_a_drawing_is_accepted_only_as_a_png_of_the_canvas():
    image = drawing.render([[(10, 10), (200, 150)]])
    assert drawing.checked_image(image) == image
    for not_a_drawing in (
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",  # a page, not an image
        "data:image/png;base64,not base64!",
        drawing.PNG_PREFIX + "iVBORw0KGgo=",  # a PNG signature and nothing else
        "javascript:alert(1)",
        None,
    ):
        with pytest.raises(drawing.InvalidDrawing):
            drawing.checked_image(not_a_drawing)


# The checks at submission, over HTTP ---------------------------------------------------------


def ok(response) -> dict:
    """The JSON of a success envelope (fails the test on anything else)."""
    assert response.status_code == 200, (response.status_code, response.content[:2000])
    return response.json()


def join(number: int) -> tuple[Client, dict, dict]:
    """A new participant (a browser of their own) and the node they get."""
    client = Client()
    created = client.post(f"/participant/w{number}/h/a{number}/debug", {"recruiter": "hotair"})
    participant = ok(created)["participant"]
    return client, participant, ok(client.post(f"/node/{participant['id']}"))["node"]


def snake_record() -> dict:
    """A short game (right, then down into the bottom wall) with the score it makes."""
    game = snake.Snake(42)
    for tick in range(1, 14):
        if tick == 4:
            game.turn("down")
        game.tick()
    return {"seed": 42, "turns": [[4, "down"]], "ticks": 13, "ended": "crash", "score": game.score}


def sheet(value) -> dict:
    """An answer sheet with `value` for the first question and 50 for the others."""
    return dict(dict.fromkeys(estimates.KEYS, 50), **{estimates.KEYS[0]: value})


def broken_2048() -> list[dict]:
    states = played_2048()
    states[-1]["score"] += 2
    return states


#: demo → (info type, the infos of a game played by the rules, the infos of one that breaks them)
RECORDS = {
    "twentyfortyeight": ("State", played_2048, broken_2048),
    "snake": ("Info", lambda: [snake_record()], lambda: [dict(snake_record(), score=snake_record()["score"] + 1)]),
    "concentration": ("Info", whole_memory_game, lambda: whole_memory_game()[:-1]),
    "vox_populi": ("Info", lambda: [sheet(71)], lambda: [sheet(171)]),
    "sheep_market": (
        "Info",
        lambda: [{"image": drawing.render([[(50, 50), (250, 250)]]), "strokes": [[[50, 50], [250, 250]]]}],
        lambda: [{"image": "data:text/html;base64,PGI+YmFhPC9iPg==", "strokes": []}],
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("demo", sorted(RECORDS))
def test_a_participant_is_approved_only_if_their_record_keeps_the_rules(demo, use_experiment):
    # Given the demo, launched, and two participants: one who keeps the rules, one whose record breaks them
    use_experiment(demo)
    info_type, kept, broken = RECORDS[demo]
    ok(Client().post("/launch"))
    statuses = []
    for number, record in enumerate((kept(), broken()), start=1):
        client, participant, node = join(number)
        for contents in record:
            ok(client.post(f"/info/{node['id']}", {"contents": json.dumps(contents), "info_type": info_type}))

        # When each submits
        ok(client.post("/worker_complete", {"participant_id": participant["id"]}))
        statuses.append(ok(client.get(f"/participant/{participant['id']}"))["participant"]["status"])

    # Then the data check approves the first and turns the second away as bad data
    assert statuses == ["approved", "bad_data"]


def take_part(demo_contents: list, number: int) -> None:
    """A participant who sends these infos (JSON-encoded) from their node."""
    client, _, node = join(number)
    for contents in demo_contents:
        ok(client.post(f"/info/{node['id']}", {"contents": json.dumps(contents), "info_type": "Info"}))


@pytest.mark.django_db(transaction=True)
def test_vox_populi_serves_the_questions_without_their_answers_and_the_crowds_median(use_experiment):
    use_experiment("vox_populi", num_participants=3)
    ok(Client().post("/launch"))
    questions = ok(Client().get("/vox_populi/questions"))["questions"]
    assert [question["key"] for question in questions] == list(estimates.KEYS)
    assert all(set(question) == {"key", "text"} for question in questions)

    for number, value in enumerate((20, 30, 100), start=1):
        take_part([sheet(value)], number)
    crowd = ok(Client().get("/vox_populi/crowd"))["estimates"]
    assert crowd == dict(dict.fromkeys(estimates.KEYS, 50), **{estimates.KEYS[0]: 30})


@pytest.mark.django_db(transaction=True)
def test_the_sheep_gallery_shows_only_drawings_that_are_png_images(use_experiment):
    use_experiment("sheep_market", num_participants=2)
    ok(Client().post("/launch"))
    sheep = drawing.render([[(20, 20), (120, 80)]])
    take_part([{"image": sheep}], 1)
    take_part([{"image": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="}], 2)

    assert ok(Client().get("/sheep_market/drawings"))["drawings"] == [sheep]
    page = Client().get("/gallery")
    assert page.status_code == 200 and b"/static/scripts/gallery.js" in page.content


@pytest.mark.django_db
@pytest.mark.parametrize("demo", sorted(RECORDS))
def test_the_task_page_renders_with_its_scripts(demo, use_experiment):
    use_experiment(demo)
    page = Client().get("/exp", {"participant_id": "1"})
    assert page.status_code == 200
    assert b"/static/scripts/experiment.js" in page.content and b"dallinger2.js" in page.content
