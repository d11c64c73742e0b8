"""An experiment that saves through the session as Dallinger experiments do."""

from core.networks import Chain
from experiments.experiment import Experiment, experiment_route
from experiments.session import session

from .models import Guess, ScoredNode, StorySource


class SessionSaving(Experiment):
    """A chain per network; a source made in setup and only committed; nodes added with
    session.add; infos made in hooks without a save."""

    def __init__(self, session=None):
        super().__init__(session)
        self.experiment_repeats = 1
        self.known_classes = {**self.known_classes, "Guess": Guess}
        if session:
            self.setup()

    def setup(self):
        if not self.networks():
            super().setup()
            for network in self.networks():
                StorySource(network=network)
            session.commit()

    def create_network(self):
        return Chain(max_size=5)

    def create_node(self, participant, network):
        score = session.query(ScoredNode).count() + 2
        node = ScoredNode(network=network, participant=participant)
        node.score = score
        session.add(node)
        session.commit()
        return node

    def add_node_to_network(self, node, network):
        network.add_node(node)
        parent = node.neighbors(direction="from")[0]
        parent.transmit()
        node.receive()
        # As Rogers' experiment does, read back at once what update() made.
        node.property2 = repr(len(node.infos()))

    def info_post_request(self, node, info):
        Guess(origin=node, contents="a reply to " + info.contents)

    @experiment_route("/saving/high_scores/<int:minimum>")
    def high_scores(self, request, minimum):
        nodes = ScoredNode.query.filter(ScoredNode.score >= minimum).order_by(ScoredNode.score.desc()).all()
        return {"scores": [node.score for node in nodes]}

    @experiment_route("/saving/rescore/<int:node_id>", methods=["POST"])
    def rescore(self, request, node_id):
        node = session.query(ScoredNode).get(node_id)
        node.score = 10
        session.commit()
        return {"score": node.score}
