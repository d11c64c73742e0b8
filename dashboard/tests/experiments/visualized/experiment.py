"""A test experiment for the Monitoring page in a browser: one chain, and HTML of its own for
each node, which tries to run a script."""

from core.networks import Chain
from experiments.experiment import Experiment


class Visualized(Experiment):
    """One chain of up to 50 nodes; each node's details carry the experiment's HTML."""

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = 1
        if session:
            self.setup()

    def create_network(self):
        return Chain(max_size=50)

    def node_visualization_html(self, object_type, obj_id):
        if object_type != "Node":
            return ""
        return (f'<p class="experiment-note">Node {int(obj_id)} as the experiment draws it</p>'
                '<img src=x onerror="parent.__xss = 1"><script>parent.__xss = 1</script>')  # fmt: skip
