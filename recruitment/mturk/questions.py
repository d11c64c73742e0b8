"""What a HIT is made of: its question (the experiment's page, or the compensation form) and its
qualification requirements, built from the configuration as Dallinger builds them."""

import json
from xml.sax.saxutils import escape

from recruitment.base import RecruiterError

#: MTurk's system qualification: the percentage of a worker's assignments approved.
PERCENT_APPROVED = "000000000000000000L0"
#: MTurk's system qualification: the worker's country.
LOCALE = "00000000000000000071"
FRAME_HEIGHT = 600
EXTERNAL_QUESTION_SCHEMA = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"
)
HTML_QUESTION_SCHEMA = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"


def external_question(url: str) -> str:
    """An ExternalQuestion showing `url` in MTurk's frame."""
    return (
        f'<ExternalQuestion xmlns="{EXTERNAL_QUESTION_SCHEMA}">'
        f"<ExternalURL>{escape(url)}</ExternalURL>"
        f"<FrameHeight>{FRAME_HEIGHT}</FrameHeight></ExternalQuestion>"
    )


def compensation_question(*, title: str, submit_url: str) -> str:
    """An HTMLQuestion whose only content is a button that submits the assignment, so the
    worker it is meant for is paid its reward."""
    page = (
        "<!DOCTYPE html><html><head>"
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"/>'
        "</head><body>"
        f'<form name="mturk_form" method="post" id="mturk_form" action="{escape(submit_url)}">'
        '<input type="hidden" value="" name="assignmentId" id="assignmentId"/>'
        f"<h1>{escape(title)}</h1>"
        "<p>We are sorry for the difficulties you met in our experiment. Submit this HIT and you "
        "will be paid at once.</p>"
        '<input type="hidden" name="compensation" value="1"/>'
        '<input type="submit" id="submitButton" value="Submit"/></form>'
        "<script>"
        # MTurk passes the assignment in the page's address; the form must send it back.
        'document.getElementById("assignmentId").value = '
        'new URLSearchParams(window.location.search).get("assignmentId") || "";'
        "</script>"
        "</body></html>"
    )
    return (
        f'<HTMLQuestion xmlns="{HTML_QUESTION_SCHEMA}">'
        f"<HTMLContent><![CDATA[{page}]]></HTMLContent>"
        f"<FrameHeight>{FRAME_HEIGHT}</FrameHeight></HTMLQuestion>"
    )


def must_have(qualification_id: str) -> dict:
    """A requirement: the worker holds the qualification."""
    return {"QualificationTypeId": qualification_id, "Comparator": "Exists", "RequiredToPreview": True}


def must_not_have(qualification_id: str) -> dict:
    """A requirement: the worker does not hold the qualification."""
    return {"QualificationTypeId": qualification_id, "Comparator": "DoesNotExist", "RequiredToPreview": True}


def names_listed(value) -> list[str]:
    """A comma-separated configuration value as a list of names (empty parts dropped)."""
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(item).strip() for item in value if str(item).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def qualification_requirements(config, *, qualification_named) -> list[dict]:
    """The HIT's QualificationRequirements: `approve_requirement`, `us_only`, a DoesNotExist
    for each qualification named in `mturk_qualification_blocklist` (found with
    `qualification_named(name)`; one that does not exist blocks nobody and is skipped), then the
    raw JSON list `mturk_qualification_requirements`."""
    requirements = []
    approval = config.get("approve_requirement", None)
    if approval is not None:
        requirements.append(
            {
                "QualificationTypeId": PERCENT_APPROVED,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [int(approval)],
                "RequiredToPreview": True,
            }
        )
    if config.get("us_only", False):
        requirements.append(
            {
                "QualificationTypeId": LOCALE,
                "Comparator": "EqualTo",
                "LocaleValues": [{"Country": "US"}],
                "RequiredToPreview": True,
            }
        )
    for name in names_listed(config.get("mturk_qualification_blocklist", None)):
        found = qualification_named(name)
        if found is not None:
            requirements.append(must_not_have(found["id"]))
    raw = config.get("mturk_qualification_requirements", None)
    if raw:
        try:
            extra = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError as error:
            raise RecruiterError(f"mturk_qualification_requirements is not JSON: {error}") from None
        if not isinstance(extra, list):
            raise RecruiterError("mturk_qualification_requirements must be a JSON list.")
        requirements.extend(extra)
    return requirements
