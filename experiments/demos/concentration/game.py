"""The rules of the memory game, in one place: the server checks recorded games with them, bots play by them."""

import random

#: The pictures on the cards: each is on exactly two cards.
FACES = ("sun", "moon", "star", "tree", "fish", "bird", "boat", "key")
CARDS = 2 * len(FACES)


class InvalidGame(ValueError):
    """A recorded game that the rules could not have produced."""


def deal(rng: random.Random) -> list[str]:
    """A shuffled deck: every face twice."""
    deck = list(FACES) * 2
    rng.shuffle(deck)
    return deck


def check_turns(turns: list[dict]) -> int:
    """The number of turns a recorded game took, after checking it is one whole game by the rules.

    A turn is {"turn": n, "cards": [i, j], "faces": [a, b]}: two face-down cards turned over.
    """
    seen: dict[int, str] = {}
    matched: set[int] = set()
    for number, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict) or turn.get("turn") != number:
            raise InvalidGame(f"Turn {number} is missing or out of order.")
        cards, faces = turn.get("cards"), turn.get("faces")
        if not (isinstance(cards, list) and isinstance(faces, list) and len(cards) == len(faces) == 2):
            raise InvalidGame(f"Turn {number} must turn over two cards and show their faces.")
        if cards[0] == cards[1] or any(card not in range(CARDS) or card in matched for card in cards):
            raise InvalidGame(f"Turn {number} turns over {cards}: two different cards still face down are needed.")
        for card, face in zip(cards, faces):
            if face not in FACES or seen.setdefault(card, face) != face:
                raise InvalidGame(f"Card {card} cannot show {face!r} on turn {number}.")
        if any(sum(1 for shown in seen.values() if shown == face) > 2 for face in faces):
            raise InvalidGame(f"Turn {number} shows a face on a third card.")
        if faces[0] == faces[1]:
            matched.update(cards)
    if len(matched) != CARDS:
        raise InvalidGame(f"The game stopped with {CARDS - len(matched)} cards still face down.")
    return len(turns)


class Player:
    """A player who remembers every card seen: a known pair is taken, else an unknown card is tried."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.known: dict[int, str] = {}
        self.matched: set[int] = set()

    def _unseen(self, exclude=()) -> int:
        hidden = [card for card in range(CARDS) if card not in self.known and card not in exclude]
        return self.rng.choice(hidden)

    def _partner_of(self, card: int):
        return next((other for other, face in self.known.items()
                     if other != card and other not in self.matched and face == self.known[card]), None)  # fmt: skip

    def first_card(self) -> int:
        """A card of a pair already seen, or else one never turned over."""
        pairs = [card for card in self.known if card not in self.matched and self._partner_of(card) is not None]
        return pairs[0] if pairs else self._unseen()

    def second_card(self, first: int) -> int:
        """The first card's partner if it has been seen, or else another card never turned over."""
        partner = self._partner_of(first)
        return partner if partner is not None else self._unseen(exclude=(first,))

    def saw(self, card: int, face: str) -> None:
        """Remember a card's face."""
        self.known[card] = face

    def finished_turn(self, cards: list[int]) -> None:
        """Set a matched pair aside."""
        if self.known[cards[0]] == self.known[cards[1]]:
            self.matched.update(cards)

    @property
    def done(self) -> bool:
        """Whether every pair has been found."""
        return len(self.matched) == CARDS
