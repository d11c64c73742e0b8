"""A route that takes a while to answer, so that requests are surely in flight when a test
kills a web process (`tests/test_production_layout.py`)."""

import time

from core.models import Notification
from experiments.experiment import Experiment, experiment_route

#: The longest a request may ask to take.
MAX_SECONDS = 2.0


class SlowRequests(Experiment):
    """`/slow`: GET sleeps; POST sleeps, then stores one row named by its `token`."""

    @experiment_route("/slow", methods=["GET", "POST"])
    def slow(self, request):
        values = request.POST if request.method == "POST" else request.GET
        try:
            seconds = min(max(float(values.get("seconds", "0.3")), 0.0), MAX_SECONDS)
        except ValueError:
            seconds = 0.3
        time.sleep(seconds)
        if request.method == "POST":
            Notification(event_type="slow-post", assignment_id=values.get("token", "")[:250]).save()
        return {"slept": seconds}
