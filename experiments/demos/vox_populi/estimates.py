"""The questions of the estimation task, what makes an answer sheet valid, and the crowd's estimate."""

from statistics import median

#: (key, question, the true value as near as published figures allow), every answer a percentage.
QUESTIONS = (
    ("water_surface", "What percentage of the Earth's surface is covered by water?", 71),
    ("oxygen", "What percentage of the air we breathe, by volume, is oxygen?", 21),
    ("body_water", "What percentage of an adult's body weight is water?", 60),
    ("city_dwellers", "What percentage of the world's people live in towns and cities?", 57),
    ("forest", "What percentage of the Earth's land is covered by forest?", 31),
    ("fresh_water", "What percentage of all the water on Earth is fresh water?", 3),
    ("antarctica", "What percentage of the Earth's land area is Antarctica?", 9),
    ("hand_foot_bones", "What percentage of the bones of an adult's skeleton are in the hands and feet?", 52),
)
KEYS = tuple(key for key, _, _ in QUESTIONS)


class InvalidAnswers(ValueError):
    """An answer sheet that does not answer every question with a percentage."""


def checked_answers(sheet) -> dict[str, float]:
    """The answers of one sheet {key: percentage}, each question answered once with 0 to 100."""
    if not isinstance(sheet, dict) or set(sheet) != set(KEYS):
        raise InvalidAnswers(f"An answer sheet answers exactly these questions: {', '.join(KEYS)}.")
    answers = {}
    for key in KEYS:
        value = sheet[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
            raise InvalidAnswers(f"The answer to {key} must be a number from 0 to 100, not {value!r}.")
        answers[key] = value
    return answers


def crowd_estimates(sheets) -> dict[str, float | None]:
    """The crowd's estimate of each question: the median of the valid sheets' answers (None without any)."""
    valid = []
    for sheet in sheets:
        try:
            valid.append(checked_answers(sheet))
        except InvalidAnswers:
            continue
    return {key: (median(answers[key] for answers in valid) if valid else None) for key in KEYS}
