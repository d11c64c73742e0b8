"""The parameters a recruiter puts in a participant's entry link."""

#: The names each identifying id may arrive under: Dallinger's camelCase (MTurk), snake
#: case, and Prolific's own names.
ID_PARAMETERS = {
    "worker_id": ("worker_id", "workerId", "PROLIFIC_PID"),
    "hit_id": ("hit_id", "hitId", "STUDY_ID"),
    "assignment_id": ("assignment_id", "assignmentId", "SESSION_ID"),
}


def entry_ids(params) -> dict:
    """The worker, HIT and assignment ids found in `params` (a mapping), by their field names."""
    found = {}
    for field, names in ID_PARAMETERS.items():
        for name in names:
            value = params.get(name)
            if value:
                found[field] = value
                break
    return found
