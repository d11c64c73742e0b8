"""The fake Prolific's workspaces, projects and studies, with the rules Prolific applies to them."""

import datetime

from tests.fakes.prolific_common import ApiError, new_id, require

PROLIFIC_ID_OPTIONS = {"question", "url_parameters", "not_required"}
COMPLETION_OPTIONS = {"url", "code"}
DEVICES = {"desktop", "tablet", "mobile"}
# Submissions in these statuses hold a place; the others (returned, rejected, timed out) free it.
HOLDS_PLACE = {"RESERVED", "ACTIVE", "AWAITING REVIEW", "APPROVED", "PARTIALLY APPROVED", "SCREENED OUT"}
EDITABLE_WHEN_PUBLISHED = {"total_available_places", "internal_name"}
STUDY_FIELDS = {
    "name", "internal_name", "description", "external_study_url", "access_details", "prolific_id_option",
    "completion_option", "completion_codes", "estimated_completion_time", "maximum_allowed_time", "reward",
    "total_available_places", "project", "is_custom_screening", "filters", "device_compatibility",
    "peripheral_requirements", "status",
}  # fmt: skip


def now() -> str:
    """The current time as Prolific writes it."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def study_errors(body: dict) -> dict:
    """Field → messages for every way a create-study body breaks Prolific's rules."""
    errors = {}

    def wrong(name, message):
        errors.setdefault(name, []).append(message)

    for name in ("name", "description"):
        if not isinstance(body.get(name), str) or not body.get(name).strip():
            wrong(name, "This field is required.")
    if not body.get("external_study_url") and not body.get("access_details"):
        wrong("external_study_url", "This field is required (or access_details).")
    if body.get("prolific_id_option") not in PROLIFIC_ID_OPTIONS:
        wrong("prolific_id_option", f"Must be one of {sorted(PROLIFIC_ID_OPTIONS)}.")
    if body.get("completion_option") not in COMPLETION_OPTIONS:
        wrong("completion_option", f"Must be one of {sorted(COMPLETION_OPTIONS)}.")
    codes = body.get("completion_codes")
    if not isinstance(codes, list) or not codes:
        wrong("completion_codes", "A non-empty list of completion codes is required.")
    else:
        seen = set()
        for code in codes:
            if not isinstance(code, dict) or not isinstance(code.get("code"), str) or not code.get("code"):
                wrong("completion_codes", "Each completion code needs a `code` string.")
                continue
            if code["code"] in seen:
                wrong("completion_codes", f"The code {code['code']} is used twice.")
            seen.add(code["code"])
            if not code.get("code_type"):
                wrong("completion_codes", f"The code {code['code']} needs a code_type.")
            if not isinstance(code.get("actions"), list):
                wrong("completion_codes", f"The code {code['code']} needs a list of actions.")
    if not _is_int(body.get("estimated_completion_time")) or body["estimated_completion_time"] < 1:
        wrong("estimated_completion_time", "A whole number of minutes, 1 or more.")
    if not _is_int(body.get("reward")) or body["reward"] < 0:
        wrong("reward", "A whole number of cents, 0 or more.")
    if not _is_int(body.get("total_available_places")) or body["total_available_places"] < 1:
        wrong("total_available_places", "A whole number, 1 or more.")
    if "internal_name" in body and body["internal_name"] is not None and not isinstance(body["internal_name"], str):
        wrong("internal_name", "Must be a string.")
    if "is_custom_screening" in body and not isinstance(body["is_custom_screening"], bool):
        wrong("is_custom_screening", "Must be true or false.")
    if "filters" in body and not isinstance(body["filters"], list):
        wrong("filters", "Must be a list.")
    devices = body.get("device_compatibility", [])
    if not isinstance(devices, list) or not set(devices) <= DEVICES:
        wrong("device_compatibility", f"Must be a list drawn from {sorted(DEVICES)}.")
    unknown = set(body) - STUDY_FIELDS
    if unknown:
        wrong("non_field_errors", f"Unknown fields: {sorted(unknown)}.")
    return errors


class StudiesMixin:
    """Workspaces, projects and studies of the fake."""

    study_routes = [
        ("GET", r"/users/me/", "_get_me"),
        ("GET", r"/workspaces/", "_list_workspaces"),
        ("GET", r"/workspaces/(\w+)/projects/", "_list_projects"),
        ("POST", r"/workspaces/(\w+)/projects/", "_create_project"),
        ("GET", r"/projects/(\w+)/studies/", "_list_project_studies"),
        ("POST", r"/studies/", "_create_study"),
        ("GET", r"/studies/(\w+)/", "_get_study"),
        ("PATCH", r"/studies/(\w+)/", "_update_study"),
        ("DELETE", r"/studies/(\w+)/", "_delete_study"),
        ("POST", r"/studies/(\w+)/transition/", "_transition_study"),
    ]

    def _init_studies(self, workspace: str):
        self.user_id = new_id()
        self.workspace_id = new_id()
        self.workspaces = {self.workspace_id: {"id": self.workspace_id, "title": workspace}}
        self.projects = {}
        self.studies = {}
        self.stopped_studies = set()

    # Test-side helpers

    def add_workspace(self, title: str) -> str:
        """Add another workspace; returns its id."""
        with self.lock:
            workspace_id = new_id()
            self.workspaces[workspace_id] = {"id": workspace_id, "title": title}
            return workspace_id

    def study(self, study_id) -> dict:
        """A copy of a study as the API shows it."""
        with self.lock:
            return dict(self._study_or_404(study_id))

    # Handlers

    def _get_me(self, request):
        return 200, {"id": self.user_id, "name": "Test Researcher", "email": "researcher@example.org"}

    def _list_workspaces(self, request):
        limit = int(request.query.get("limit", 20))
        return 200, {"results": list(self.workspaces.values())[:limit]}

    def _list_projects(self, request):
        workspace_id = request.groups[0]
        require(workspace_id in self.workspaces, 404, "Workspace not found.")
        return 200, {"results": [p for p in self.projects.values() if p["workspace"] == workspace_id]}

    def _create_project(self, request):
        workspace_id = request.groups[0]
        require(workspace_id in self.workspaces, 404, "Workspace not found.")
        title = (request.json or {}).get("title")
        require(isinstance(title, str) and title.strip(), 400, {"title": ["This field is required."]})
        project = {"id": new_id(), "title": title, "workspace": workspace_id}
        self.projects[project["id"]] = project
        return 201, project

    def _list_project_studies(self, request):
        project_id = request.groups[0]
        require(project_id in self.projects, 404, "Project not found.")
        return 200, {"results": [s for s in self.studies.values() if s["project"] == project_id]}

    def _create_study(self, request):
        body = request.json if isinstance(request.json, dict) else {}
        errors = study_errors(body)
        if "project" not in errors and body.get("project") not in self.projects:
            errors["project"] = ["No project with this id."]
        require(not errors, 400, errors)
        study = {key: value for key, value in body.items() if key != "status"}
        study.update(
            id=new_id(),
            status="UNPUBLISHED",
            currency_code="GBP",
            date_created=now(),
            published_at=None,
            places_taken=0,
            number_of_submissions=0,
        )
        study.setdefault("internal_name", None)
        study.setdefault("is_custom_screening", False)
        study.setdefault("filters", [])
        study.setdefault("device_compatibility", [])
        self.studies[study["id"]] = study
        return 201, study

    def _get_study(self, request):
        return 200, self._study_or_404(request.groups[0])

    def _update_study(self, request):
        study = self._study_or_404(request.groups[0])
        fields = request.json if isinstance(request.json, dict) else {}
        require(fields, 400, "Nothing to update.")
        if study["status"] != "UNPUBLISHED":
            frozen = sorted(set(fields) - EDITABLE_WHEN_PUBLISHED)
            require(not frozen, 400, {name: ["Cannot be changed once the study is published."] for name in frozen})
        merged = {**{k: v for k, v in study.items() if k in STUDY_FIELDS and k != "status"}, **fields}
        errors = {name: messages for name, messages in study_errors(merged).items() if name in fields}
        require(not errors, 400, errors)
        if "total_available_places" in fields:
            require(
                fields["total_available_places"] >= study["total_available_places"],
                400,
                {"total_available_places": ["The number of places can only go up."]},
            )
        study.update(fields)
        self._refresh_study_status(study)
        return 200, study

    def _delete_study(self, request):
        study = self._study_or_404(request.groups[0])
        require(study["status"] == "UNPUBLISHED", 400, "Only unpublished studies can be deleted.")
        del self.studies[study["id"]]
        return 204, None

    def _transition_study(self, request):
        study = self._study_or_404(request.groups[0])
        action = (request.json or {}).get("action")
        status = study["status"]
        allowed = {
            "PUBLISH": status == "UNPUBLISHED",
            "PAUSE": status == "ACTIVE",
            "START": status == "PAUSED",
            "STOP": status in {"ACTIVE", "PAUSED", "AWAITING REVIEW"},
        }
        require(action in allowed, 400, {"action": [f"Must be one of {sorted(allowed)}."]})
        require(allowed[action], 400, f"A study that is {status} cannot be sent {action}.")
        if action == "PUBLISH":
            study["published_at"] = now()
        if action == "STOP":
            self.stopped_studies.add(study["id"])
        new_status = {"PUBLISH": "ACTIVE", "PAUSE": "PAUSED", "START": "ACTIVE", "STOP": "COMPLETED"}[action]
        self._set_study_status(study, new_status)
        self._refresh_study_status(study)
        return 200, study

    # Rules

    def _study_or_404(self, study_id) -> dict:
        study = self.studies.get(study_id)
        require(study is not None, 404, "Study not found.")
        return study

    def _places_taken(self, study) -> int:
        return sum(1 for s in self.submissions.values() if s["study_id"] == study["id"] and s["status"] in HOLDS_PLACE)

    def _set_study_status(self, study, status):
        if study["status"] != status:
            study["status"] = status
            self._on_study_status_change(study)

    def _refresh_study_status(self, study):
        """Fill the counters, and move a full study to review or completion and back when places open."""
        taken = self._places_taken(study)
        study["places_taken"] = taken
        study["number_of_submissions"] = sum(1 for s in self.submissions.values() if s["study_id"] == study["id"])
        if study["id"] in self.stopped_studies or study["status"] not in {"ACTIVE", "AWAITING REVIEW", "COMPLETED"}:
            return
        statuses = [s["status"] for s in self.submissions.values() if s["study_id"] == study["id"]]
        if taken < study["total_available_places"]:
            self._set_study_status(study, "ACTIVE")
        elif "ACTIVE" not in statuses and "RESERVED" not in statuses:
            self._set_study_status(study, "AWAITING REVIEW" if "AWAITING REVIEW" in statuses else "COMPLETED")

    def _place_opened(self, study):
        """Prolific pauses a full study under review when a rejection or return opens a place."""
        if study["status"] == "AWAITING REVIEW" and study["id"] not in self.stopped_studies:
            self._set_study_status(study, "PAUSED")
        self._refresh_study_status(study)


__all__ = ["ApiError", "StudiesMixin", "study_errors"]
