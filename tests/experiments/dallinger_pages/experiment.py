"""An experiment whose pages are written the way Dallinger experiments write them (Jinja2)."""

from core.networks import Chain
from experiments.experiment import Experiment


class DallingerPages(Experiment):
    """One chain of participants; the templates show `experiment` values and call its methods."""

    #: Shown by the templates through `experiment`, as Dallinger experiments do.
    greeting = "Welcome to the colour-naming study"

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = 1
        self.initial_recruitment_size = 1
        if session:
            self.setup()

    def create_network(self):
        """A chain with room for a few participants."""
        return Chain(max_size=5)

    def colour_names(self) -> list[str]:
        """The colours the experiment page lists."""
        return ["crimson", "teal", "ochre"]

    def broken_helper(self):
        """A method that fails, for the page that shows what a failing template does."""
        raise RuntimeError("the experiment's helper failed")
