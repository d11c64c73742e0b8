"""What each email to the experimenter says, plain or whimsical (the `whimsical` key).

The subjects of the kinds Dallinger also sends are Dallinger's, so an experimenter's mail
filters keep working; the bodies are this project's own. Every body is plain text filled in
from facts the caller gives (`message_for`); a fact missing from them reads "unknown".
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One kind of email: its subject and body in each flavour."""

    subject: str
    body: str
    whimsical_subject: str
    whimsical_body: str


_SIGNATURE = "\n-- \nSent by the experiment server of {app_id}. Replies to this address are not read.\n"

ERROR_REPORT = Message(
    subject="Error during HIT.",
    body="""Hello,

A participant of experiment {app_id} reached the error page and sent the report form.

Assignment: {assignment_id}
Participant: {participant_id}
Error type: {error_type}
Report: notification {report_id} (event type ExperimentError)

The participant's own words are stored with the report, in the notification's details; the
dashboard shows them. {completion}
""",
    whimsical_subject="A participant has sent word",
    whimsical_body="""Dear experimenter,

Someone taking part in {app_id} stumbled upon the error page and, kindly, filled in the little
form there before leaving us. I have filed their account away as notification {report_id}
(assignment {assignment_id}, participant {participant_id}, said to be of the "{error_type}"
sort). As to their assignment: {completion}

Do read what they wrote when you have a quiet moment; the dashboard has it.

Yours, from deep inside the server room
""",
)

RESUBMITTED = Message(
    subject="Dallinger automated email - minor error.",
    body="""Hello,

Assignment {assignment_id} (participant {participant_id}) of experiment {app_id} had been
running for {active_minutes} minutes at {when}, {excess_minutes} minutes longer than the
{allowed_minutes} the duration allows, so the recruiter ({recruiter}) was asked about it.

It reported that the participant had in fact submitted: the notice of the submission never
reached the server. The submission has now been processed as if the notice had arrived. No
action is needed, but you may want to check this participant's data.
""",
    whimsical_subject="A matter of minor concern.",
    whimsical_body="""Dear experimenter,

While making my rounds at {when} I found assignment {assignment_id} still marked as working
after {active_minutes} minutes, though you allow only {allowed_minutes}. Worried, I sent a
runner to {recruiter}, who came back with good news: participant {participant_id} finished long
ago, and only the message saying so went astray somewhere between there and here.

I have put things right and processed the submission myself. Nothing is on fire. Should you
wish to look over the participant's data all the same, you will find it where it always is.

Yours, ever watchful
""",
)

CANCELLED = Message(
    subject="Dallinger automated email - major error.",
    body="""Hello,

Assignment {assignment_id} (participant {participant_id}) of experiment {app_id} had been
running for {active_minutes} minutes at {when}, {excess_minutes} minutes longer than the
{allowed_minutes} the duration allows. The recruiter ({recruiter}) reported that the
participant did not submit, and the notice that should have said so never arrived.
{unsubmitted} participant(s) were found in this state.

Because disable_when_duration_exceeded is on, recruitment has been stopped: auto_recruit is
now off for every process and the recruiter was told to close recruitment. Participants who
are taking part now can still finish. Check the data of the participants named above before
you turn auto_recruit back on (on the dashboard's Lifecycle page); many of these emails
usually mean the experiment itself has a problem.
""",
    whimsical_subject="Most troubling news.",
    whimsical_body="""Dear experimenter,

I bring unwelcome tidings. At {when} assignment {assignment_id} had been under way for
{active_minutes} minutes, well beyond the {allowed_minutes} you allow. When I enquired with
{recruiter}, I learnt that participant {participant_id} had walked away without submitting,
and that word of it had never reached us ({unsubmitted} such case(s) in all).

Not knowing what else such a silence may have upset, I have stopped taking anyone new:
auto_recruit is off and recruitment is closed. Those already at work may finish in peace.
Please look over the data before setting things going again.

Yours, somewhat shaken
""",
)

IDLE = Message(
    subject="Idle Experiment.",
    body="""Hello,

Experiment {app_id} has {places_wanted} place(s) requested from its recruiters and not yet
taken, but nobody has joined for {idle_minutes} minutes (the last arrival or request for participants was at
{last_activity}). The study may be invisible or unattractive on the recruiting platform, or
the platform may have stopped sending people.

Check the study on the platform and the dashboard's Lifecycle page. You will not hear about
this again until someone joins and the experiment falls idle once more.
""",
    whimsical_subject="The waiting room stands empty",
    whimsical_body="""Dear experimenter,

The chairs are set out and the kettle is warm, yet in {idle_minutes} minutes not a soul has
come through the door of {app_id}. {places_wanted} place(s) wait for someone to fill them;
the last sign of life was at {last_activity}.

Perhaps the notice on the recruiting platform has fallen down behind the counter? It may be
worth a look. I shall hold my tongue on the matter until the next visitor has come and gone.

Yours, listening for footsteps
""",
)

BUDGET = Message(
    subject="Experiment budget notice",
    body="""Hello,

{notice}

The dashboard's Payments page shows what has been spent and what is still owed.
""",
    whimsical_subject="Concerning the purse",
    whimsical_body="""Dear experimenter,

I have been counting the coins, and feel I ought to tell you:

{notice}

The ledger on the dashboard's Payments page has every penny, should you care to check my sums.

Yours, thrifty as ever
""",
)

#: Every kind of email, by the name callers give.
MESSAGES = {
    "error_report": ERROR_REPORT,
    "resubmitted": RESUBMITTED,
    "cancelled": CANCELLED,
    "idle": IDLE,
    "budget": BUDGET,
}


class _Facts(dict):
    """Facts for a body: one that is missing reads "unknown" rather than failing the email."""

    def __missing__(self, key):
        return "unknown"


def message_for(kind: str, *, whimsical: bool, facts: dict) -> tuple[str, str]:
    """The subject and body of the email of `kind` in the chosen flavour; KeyError for an unknown kind."""
    message = MESSAGES[kind]
    filled = _Facts({key: "unknown" if value in (None, "") else value for key, value in facts.items()})
    filled.setdefault("app_id", "unknown")
    template = message.whimsical_body if whimsical else message.body
    body = template.format_map(filled) + _SIGNATURE.format_map(filled)
    return (message.whimsical_subject if whimsical else message.subject), body
