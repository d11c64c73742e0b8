"""Prolific completion codes: made from the experiment id, so every process makes the same ones.

Each code type (DEFAULT, plus those `prolific_completion_config` names) has one 8-character
code of capital letters and digits, chosen by a random generator seeded with the experiment
id (DEFAULT) or the code type followed by the experiment id (the others), as Dallinger does:
the same experiment always gets the same codes, and a study found again after a crash has the
codes this process would make.

Approval. Dallinger's DEFAULT code asks Prolific to approve automatically the moment a
participant comes back with it, before the experiment has seen their submission. Here the
DEFAULT code asks for manual review instead: the submission waits in AWAITING REVIEW and the
platform approves it through the API once it has run its own checks (data, attention), with
the approval written on the payment ledger first and counted against the budget caps.
An experiment that wants Dallinger's behaviour back names DEFAULT in
`prolific_completion_config` with the actions it wants; the code itself stays the same.
"""

import json
import logging
import random
import string

logger = logging.getLogger(__name__)

DEFAULT_CODE_TYPE = "DEFAULT"
CODE_LENGTH = 8
ALPHABET = string.ascii_uppercase + string.digits
COMPLETION_URL = "https://app.prolific.com/submissions/complete"
#: What the DEFAULT code asks of Prolific (see the module's docstring for why not automatic).
DEFAULT_ACTIONS = ({"action": "MANUALLY_REVIEW"},)


def code_for(experiment_id: str, code_type: str = DEFAULT_CODE_TYPE) -> str:
    """The completion code of `code_type` for this experiment (always the same one)."""
    seed = experiment_id if code_type == DEFAULT_CODE_TYPE else code_type + experiment_id
    generator = random.Random(seed)
    return "".join(generator.choice(ALPHABET) for _ in range(CODE_LENGTH))


def completion_config(config) -> dict:
    """The extra code types of `prolific_completion_config`: code type → definition."""
    raw = config.get("prolific_completion_config") or "{}"
    parsed = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(parsed, dict) or not all(isinstance(value, dict) for value in parsed.values()):
        raise ValueError("prolific_completion_config must be a JSON object of code type → {actions, actor}.")
    return parsed


def completion_codes(config) -> list[dict]:
    """The `completion_codes` of the study request: DEFAULT first, then the configured types."""
    experiment_id = config.get("id") or ""
    extra = completion_config(config)
    default = {"code_type": DEFAULT_CODE_TYPE, "actor": "participant", "actions": [dict(a) for a in DEFAULT_ACTIONS]}
    default.update(extra.pop(DEFAULT_CODE_TYPE, {}))
    codes = [{**default, "code": code_for(experiment_id), "code_type": DEFAULT_CODE_TYPE}]
    for code_type, definition in extra.items():
        codes.append({"actor": "participant", **definition, "code": code_for(experiment_id, code_type), "code_type": code_type})
    return codes


def code_map(codes: list[dict]) -> dict[str, str]:
    """Code type → code, from a list of code objects."""
    return {item["code_type"]: item["code"] for item in codes if item.get("code_type") and item.get("code")}


def completion_url(codes_by_type: dict[str, str], code_type: str | None) -> str:
    """Where a participant goes to submit on Prolific with the code of `code_type`; an unknown
    type falls back to DEFAULT (and is logged as an error: the experiment asked for a code the
    study does not have)."""
    code_type = code_type or DEFAULT_CODE_TYPE
    code = codes_by_type.get(code_type)
    if code is None:
        logger.error("No Prolific completion code of type %r; using the %s code.", code_type, DEFAULT_CODE_TYPE)
        code = codes_by_type.get(DEFAULT_CODE_TYPE, "")
    return f"{COMPLETION_URL}?cc={code}"
