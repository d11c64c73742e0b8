"""The fake Prolific's submissions, bonus payments and screen-outs, and the people who make them."""

import decimal
from urllib.parse import urlencode

from tests.fakes.prolific_common import ApiError, new_id, require
from tests.fakes.prolific_studies import now

STATUSES = [
    "RESERVED", "ACTIVE", "TIMED-OUT", "AWAITING REVIEW", "APPROVED", "RETURNED", "REJECTED",
    "PARTIALLY APPROVED", "SCREENED OUT",
]  # fmt: skip
REJECTION_CATEGORIES = {
    "TOO_QUICKLY", "TOO_SLOWLY", "FAILED_INSTRUCTIONS", "INCOMP_LONGITUDINAL", "FAILED_CHECK", "LOW_EFFORT",
    "MALINGERING", "NO_CODE", "BAD_CODE", "NO_DATA", "UNSUPP_DEVICE", "OTHER",
}  # fmt: skip
# Statuses a transition leaves alone when asked again (Prolific ignores repeats).
REPEATS = {"APPROVE": "APPROVED", "REJECT": "REJECTED", "COMPLETE": "AWAITING REVIEW"}


def _normal_status(text: str) -> str:
    return " ".join(text.upper().replace("_", " ").replace("-", " ").split())


def _status_named(text: str):
    wanted = _normal_status(text)
    return next((status for status in STATUSES if _normal_status(status) == wanted), None)


class SubmissionsMixin:
    """Submissions, bonuses and screen-outs of the fake."""

    submission_routes = [
        ("GET", r"/submissions/", "_list_submissions"),
        ("POST", r"/submissions/bonus-payments/", "_set_up_bonuses"),
        ("GET", r"/submissions/(\w+)/", "_get_submission"),
        ("POST", r"/submissions/(\w+)/transition/", "_transition_submission"),
        ("POST", r"/bulk-bonus-payments/(\w+)/pay/", "_pay_bonuses"),
        ("POST", r"/studies/(\w+)/screen-out-submissions/", "_screen_out"),
    ]

    def _init_submissions(self):
        self.submissions = {}
        self.bonus_setups = {}
        #: Every approval asked for, repeats included: submission ids.
        self.approvals = []
        #: Every bonus paid, once per pay call: (setup id, participant id, Decimal amount).
        self.bonus_payments = []

    # People taking part (test side)

    def start_submission(self, study_id, participant_id=None) -> dict:
        """A participant starts the study: an ACTIVE submission, `{"id", "participant_id", "study_id", "status"}`."""
        with self.lock:
            study = self._study_or_404(study_id)
            if study["status"] != "ACTIVE":
                raise ValueError(f"the study is {study['status']}, not ACTIVE")
            if self._places_taken(study) >= study["total_available_places"]:
                raise ValueError("the study has no free place")
            participant_id = participant_id or new_id()
            if any(
                s["participant_id"] == participant_id and s["study_id"] == study_id for s in self.submissions.values()
            ):
                raise ValueError("this participant already took part in the study")
            submission = {
                "id": new_id(),
                "participant_id": participant_id,
                "study_id": study_id,
                "status": "ACTIVE",
                "started_at": now(),
                "completed_at": None,
                "study_code": None,
                "time_taken": None,
                "reward": study["reward"],
            }
            self.submissions[submission["id"]] = submission
            self._on_submission_status_change(submission)
            self._refresh_study_status(study)
            return {key: submission[key] for key in ("id", "participant_id", "study_id", "status")}

    def complete_submission(self, submission_id, code):
        """The participant finishes and comes back with `code`, which must be one of the study's codes."""
        with self.lock:
            submission = self._submission_or_404(submission_id)
            study = self.studies[submission["study_id"]]
            if code not in {c["code"] for c in study["completion_codes"]}:
                raise ValueError(f"{code!r} is not a completion code of the study")
            if submission["status"] != "ACTIVE":
                raise ValueError(f"a {submission['status']} submission cannot be completed")
            self._finish(submission, code)

    def return_submission(self, submission_id):
        """The participant withdraws: RETURNED, and the place opens again."""
        with self.lock:
            submission = self._submission_or_404(submission_id)
            if submission["status"] not in {"ACTIVE", "AWAITING REVIEW"}:
                raise ValueError(f"a {submission['status']} submission cannot be returned")
            self._set_submission_status(submission, "RETURNED")
            self._place_opened(self.studies[submission["study_id"]])

    def time_out_submission(self, submission_id):
        """The participant runs past the maximum allowed time: TIMED-OUT."""
        with self.lock:
            submission = self._submission_or_404(submission_id)
            if submission["status"] != "ACTIVE":
                raise ValueError(f"a {submission['status']} submission cannot time out")
            self._set_submission_status(submission, "TIMED-OUT")
            self._refresh_study_status(self.studies[submission["study_id"]])

    def submission(self, submission_id) -> dict:
        """A copy of a submission, as the listing shows it."""
        with self.lock:
            return dict(self._submission_or_404(submission_id))

    # Handlers

    def _list_submissions(self, request):
        query = request.query
        found = list(self.submissions.values())
        if "study" in query:
            found = [s for s in found if s["study_id"] == query["study"]]
        if "status" in query:
            status = _status_named(query["status"])
            require(status, 400, {"status": [f"Unknown status {query['status']!r}."]})
            found = [s for s in found if s["status"] == status]
        try:
            page, page_size = int(query.get("page", 1)), int(query.get("page_size", 20))
        except ValueError:
            raise ApiError(400, "page and page_size must be numbers.") from None
        require(page >= 1 and page_size >= 1, 400, "page and page_size must be 1 or more.")
        last_page = max(1, -(-len(found) // page_size))
        require(page <= last_page, 404, "Invalid page.")
        start = (page - 1) * page_size

        def link(number):
            if not 1 <= number <= last_page or number == page:
                return {"href": None}
            return {"href": f"{request.url_root}/submissions/?{urlencode({**query, 'page': number})}"}

        answer = {"results": found[start : start + page_size], "meta": {"count": len(found)}}
        if not self.omit_links:
            answer["_links"] = {"self": {"href": None}, "next": link(page + 1), "previous": link(page - 1)}
        return 200, answer

    def _get_submission(self, request):
        submission = dict(self._submission_or_404(request.groups[0]))
        submission["participant"] = submission.pop("participant_id")
        return 200, submission

    def _transition_submission(self, request):
        submission = self._submission_or_404(request.groups[0])
        body = request.json if isinstance(request.json, dict) else {}
        action = body.get("action")
        require(action in REPEATS, 400, {"action": [f"Must be one of {sorted(REPEATS)}."]})
        if action == "APPROVE":
            self.approvals.append(submission["id"])
        if submission["status"] == REPEATS[action]:
            return 200, submission
        if action == "APPROVE":
            require(
                submission["status"] == "AWAITING REVIEW",
                400,
                f"A {submission['status']} submission cannot be approved.",
            )
            self._set_submission_status(submission, "APPROVED")
            self._refresh_study_status(self.studies[submission["study_id"]])
        elif action == "REJECT":
            message, category = body.get("message"), body.get("rejection_category")
            errors = {}
            if not isinstance(message, str) or len(message) < 100:
                errors["message"] = ["A rejection message of at least 100 characters is required."]
            if category not in REJECTION_CATEGORIES:
                errors["rejection_category"] = [f"Must be one of {sorted(REJECTION_CATEGORIES)}."]
            require(not errors, 400, errors)
            require(
                submission["status"] == "AWAITING REVIEW",
                400,
                f"A {submission['status']} submission cannot be rejected.",
            )
            self._set_submission_status(submission, "REJECTED")
            self._place_opened(self.studies[submission["study_id"]])
        else:
            study = self.studies[submission["study_id"]]
            code = body.get("completion_code")
            require(code in {c["code"] for c in study["completion_codes"]}, 400, {"completion_code": ["Unknown code."]})
            require(submission["status"] == "ACTIVE", 400, f"A {submission['status']} submission cannot be completed.")
            self._finish(submission, code)
        return 200, submission

    def _set_up_bonuses(self, request):
        body = request.json if isinstance(request.json, dict) else {}
        study = self.studies.get(body.get("study_id"))
        require(study is not None, 400, {"study_id": ["No study with this id."]})
        csv = body.get("csv_bonuses")
        require(isinstance(csv, str) and csv.strip(), 400, {"csv_bonuses": ["This field is required."]})
        taking_part = {s["id"]: s["participant_id"] for s in self.submissions.values() if s["study_id"] == study["id"]}
        taking_part.update({p: p for p in taking_part.values()})
        lines, unknown = [], []
        for number, line in enumerate(csv.strip().splitlines(), start=1):
            parts = [part.strip() for part in line.split(",")]
            try:
                amount = decimal.Decimal(parts[1]) if len(parts) == 2 else None
            except decimal.InvalidOperation:
                amount = None
            require(amount is not None and amount.is_finite() and amount > 0, 400,
                    {"csv_bonuses": [f"Line {number} is not `<id>,<amount>` with a positive amount."]})  # fmt: skip
            if parts[0] not in taking_part:
                unknown.append(parts[0])
            else:
                lines.append((taking_part[parts[0]], amount))
        require(not unknown, 400, {"csv_bonuses": [f"Not in this study: {', '.join(unknown)}."]})
        cents = int(sum(amount for _, amount in lines) * 100)
        fees = int(decimal.Decimal(cents) * decimal.Decimal("0.33"))
        setup = {
            "id": new_id(),
            "study": study["id"],
            "amount": cents,
            "fees": fees,
            "vat": 0,
            "total_amount": cents + fees,
        }
        self.bonus_setups[setup["id"]] = {"answer": setup, "lines": lines}
        return 201, setup

    def _pay_bonuses(self, request):
        setup = self.bonus_setups.get(request.groups[0])
        require(setup is not None, 404, "No bonus payment with this id.")
        # Prolific pays again on every call; recording each one lets tests catch a double payment.
        for participant_id, amount in setup["lines"]:
            self.bonus_payments.append((request.groups[0], participant_id, amount))
        return 202, "The bonuses will be paid. This runs in the background and may take a few minutes."

    def _screen_out(self, request):
        study = self._study_or_404(request.groups[0])
        require(study.get("is_custom_screening"), 400, "This study does not use custom screening.")
        body = request.json if isinstance(request.json, dict) else {}
        ids = body.get("submission_ids")
        require(isinstance(ids, list) and ids, 400, {"submission_ids": ["A non-empty list is required."]})
        try:
            bonus = decimal.Decimal(str(body.get("bonus_per_submission")))
        except decimal.InvalidOperation:
            bonus = None
        require(bonus is not None and bonus > 0, 400, {"bonus_per_submission": ["A positive amount is required."]})
        chosen = [self.submissions.get(i) for i in ids]
        strangers = [i for i, s in zip(ids, chosen) if s is None or s["study_id"] != study["id"]]
        require(not strangers, 400, {"submission_ids": [f"Not in this study: {', '.join(strangers)}."]})
        inactive = [s["id"] for s in chosen if s["status"] != "ACTIVE"]
        require(not inactive, 400, {"submission_ids": [f"Not active: {', '.join(inactive)}."]})
        for submission in chosen:
            self._set_submission_status(submission, "SCREENED OUT")
        if body.get("increase_places"):
            study["total_available_places"] += len(chosen)
        self._refresh_study_status(study)
        return 200, {"message": "The request to bulk screen out has been made successfully."}

    # Rules

    def _submission_or_404(self, submission_id) -> dict:
        submission = self.submissions.get(submission_id)
        require(submission is not None, 404, "Submission not found.")
        return submission

    def _finish(self, submission, code):
        if submission["status"] != "ACTIVE":
            raise ApiError(400, f"A {submission['status']} submission cannot be completed.")
        submission["study_code"] = code
        submission["completed_at"] = now()
        submission["time_taken"] = 60
        self._set_submission_status(submission, "AWAITING REVIEW")
        self._refresh_study_status(self.studies[submission["study_id"]])

    def _set_submission_status(self, submission, status):
        if submission["status"] != status:
            submission["status"] = status
            self._on_submission_status_change(submission)
