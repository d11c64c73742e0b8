"""An experiment for the browser client's tests: a configurable waiting room, public
properties, and a route of its own that fails as a server fault would."""

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
