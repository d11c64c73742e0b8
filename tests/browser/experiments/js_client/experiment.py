"""An experiment for the browser client's tests: a configurable waiting room, public
properties, and routes of its own that fail as a server fault or a lost server would."""

from django.http import HttpResponse

from core.models import Notification
from core.networks import Empty
from experiments.config import get_config
from experiments.experiment import Experiment, experiment_route


def extra_parameters():
    """The size of the waiting room (0: none)."""
    get_config().register("waiting_room_size", int, [], False)


class JsClient(Experiment):
    """One Empty network with room for ten; a quorum of `waiting_room_size`."""

    public_properties = {"condition": "blue", "rounds": 3, "labels": ["a", "b"]}

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = 1
        self.initial_recruitment_size = 0
        if session:
            self.setup()

    def configure(self):
        super().configure()
        self.quorum = self.config.get("waiting_room_size", 0)

    def create_network(self):
        return Empty(max_size=10)

    @experiment_route("/broken")
    def broken(self, request):
        """Fails as an unexpected server error does: an HTML 500 page, no JSON."""
        raise RuntimeError("This route is broken on purpose.")

    @experiment_route("/flaky/<str:key>", methods=["GET", "POST"])
    def flaky(self, request, key):
        """Answers 502, as a proxy does when the server it chose just died, the first time
        each key is asked for; then succeeds, saying how many times it was asked."""
        Notification(event_type=f"flaky:{key}").save()
        attempts = Notification.objects.filter(event_type=f"flaky:{key}").count()
        if attempts == 1:
            return HttpResponse("Bad Gateway", status=502, content_type="text/html")
        return {"attempts": attempts}
