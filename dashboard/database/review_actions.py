"""Actions on selected participants: approve, reject, or pay a bonus, through their recruiter and
the payment ledger (experiments/services/review.py). Each asks for confirmation; each
participant's outcome is shown and recorded in the audit log."""

import secrets

from django import forms
from django.contrib import admin, messages

from dashboard.audit import action_record
from dashboard.database.confirm import Button, confirmation_page, is_confirmed, rows_phrase
from dashboard.permissions import PAY_REFUSAL, may_pay
from experiments import runtime
from experiments.services import review
from recruitment.payments import payouts
from recruitment.prolific.recruiter import MINIMUM_REJECTION_MESSAGE, REJECTION_CATEGORIES

#: Outcomes shown one by one; beyond this many, the rest are counted.
SHOWN_OUTCOMES = 10
LEVELS = {"success": messages.SUCCESS, "info": messages.INFO, "warning": messages.WARNING, "error": messages.ERROR}


class BonusForm(forms.Form):
    """A bonus: amount and reason, and the key that makes this form's payout happen once."""

    amount = forms.CharField(max_length=20, help_text="In the recruiter's currency, e.g. 1.50.")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=review.MAX_REASON_LENGTH, strip=True,
        help_text="Kept on the payment ledger.",
    )  # fmt: skip
    request_key = forms.CharField(widget=forms.HiddenInput)

    def clean_amount(self):
        try:
            return payouts.amount_parse(self.cleaned_data["amount"])
        except payouts.PayoutInputError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_request_key(self):
        key = self.cleaned_data["request_key"]
        if not review.REQUEST_KEY.fullmatch(key):
            raise forms.ValidationError("This form has expired: open it again from the list.")
        return key


class RejectForm(forms.Form):
    """A rejection: the message for the participant and, on Prolific, its category."""

    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=review.MAX_REASON_LENGTH, strip=True,
        help_text=f"Shown to the participant. Prolific needs at least {MINIMUM_REJECTION_MESSAGE} characters.",
    )  # fmt: skip
    category = forms.ChoiceField(
        choices=[("", "(none)")] + [(name, name.replace("_", " ").lower()) for name in sorted(REJECTION_CATEGORIES)],
        required=False,
        help_text="Prolific's reason for the rejection (other when none is chosen).",
    )


#: The actions that move money, by name, with what a user refused one tried to do.
PAY_ACTIONS = {
    "approve_participants": "approve participants",
    "reject_participants": "reject participants",
    "bonus_participants": "pay a bonus",
}


def pay_action_refused(modeladmin, request) -> bool:
    """Whether the posted action moves money and the user may not pay: they are told so, and
    it is recorded as tried. (Django offers and runs these actions only for users the model
    admin's `has_pay_permission` allows; a stale page or a forged post still names one.)"""
    what = PAY_ACTIONS.get(request.POST.get("action", ""))
    if what is None or may_pay(request.user):
        return False
    modeladmin.message_user(request, PAY_REFUSAL, messages.ERROR)
    action_record(user=request.user, action=f"tried to: {what}", detail="refused: no permission to pay participants")
    return True


def _report(modeladmin, request, results: list[review.ReviewResult], what: str) -> None:
    for result in results[:SHOWN_OUTCOMES]:
        modeladmin.message_user(request, result.message, LEVELS[result.level])
    if len(results) > SHOWN_OUTCOMES:
        modeladmin.message_user(
            request, f"…and {len(results) - SHOWN_OUTCOMES} more participants: see their rows.", messages.INFO
        )
    participants = {participant.pk: participant for participant in modeladmin.model.objects.filter(
        pk__in=[result.participant_id for result in results])}  # fmt: skip
    for result in results:
        action_record(
            user=request.user, action=what, detail=result.message, obj=participants.get(result.participant_id)
        )


@admin.action(description="Approve selected participants (pay their base payment)", permissions=["pay"])
def approve_participants(modeladmin, request, queryset):
    """Approve each participant and pay their base payment, once per assignment."""
    if not is_confirmed(request):
        return confirmation_page(
            modeladmin, request, queryset, title="Approve participants",
            question=f"Approve {rows_phrase(queryset)}? Each is paid their base payment through their "
                     "recruiter (on Prolific: their submission is approved).",
            warning="An approval cannot be undone. One already made is never made again.",
            buttons=(Button("Yes, approve them"),),
        )  # fmt: skip
    experiment = runtime.experiment()
    results = [
        review.participant_approve(experiment=experiment, participant_id=pk)
        for pk in queryset.order_by("pk").values_list("pk", flat=True)
    ]
    _report(modeladmin, request, results, "approved participant")
    return None


@admin.action(description="Reject selected participants", permissions=["pay"])
def reject_participants(modeladmin, request, queryset):
    """Reject each participant through their recruiter, with a message."""
    form = RejectForm(request.POST) if is_confirmed(request) else RejectForm()
    if not form.is_bound or not form.is_valid():
        return confirmation_page(
            modeladmin, request, queryset, title="Reject participants", form=form,
            question=f"Reject {rows_phrase(queryset)}? Their recruiter is told (on Prolific the submission is "
                     "rejected) and their base payment, if not yet made, is cancelled.",
            warning="A rejection cannot be undone. Participants already approved cannot be rejected.",
            buttons=(Button("Yes, reject them"),), status=400 if form.is_bound else 200,
        )  # fmt: skip
    experiment = runtime.experiment()
    results = []
    for pk in queryset.order_by("pk").values_list("pk", flat=True):
        try:
            result = review.participant_reject(
                experiment=experiment, participant_id=pk,
                message=form.cleaned_data["message"], category=form.cleaned_data["category"],
            )  # fmt: skip
        except review.ReviewInputError as error:
            result = review.ReviewResult(pk, "error", f"Participant {pk} was not rejected: {error}")
        results.append(result)
    _report(modeladmin, request, results, "rejected participant")
    return None


@admin.action(description="Pay selected participants a bonus", permissions=["pay"])
def bonus_participants(modeladmin, request, queryset):
    """Pay each participant a bonus, once for this form however often it is submitted."""
    if is_confirmed(request):
        form = BonusForm(request.POST)
    else:
        form = BonusForm(initial={"request_key": secrets.token_urlsafe(16)})
    if not form.is_bound or not form.is_valid():
        return confirmation_page(
            modeladmin, request, queryset, title="Pay a bonus", form=form,
            question=f"Pay {rows_phrase(queryset)} a bonus through their recruiter?",
            warning="Money paid cannot be taken back; a platform may add its fee. Submitting this form again "
                    "pays nothing more.",
            buttons=(Button("Pay the bonus"),), status=400 if form.is_bound else 200,
        )  # fmt: skip
    experiment = runtime.experiment()
    results = [
        review.participant_bonus(
            experiment=experiment, participant_id=pk, amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"], request_key=form.cleaned_data["request_key"],
        )  # fmt: skip
        for pk in queryset.order_by("pk").values_list("pk", flat=True)
    ]
    _report(modeladmin, request, results, "paid a bonus")
    return None
