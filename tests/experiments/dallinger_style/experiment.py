"""Word check: an experiment written for Dallinger 12, run here as it is.

Everything comes from `dallinger.*` and `flask`, as in Dallinger's own experiments: the numbers
of networks and recruits are class attributes, the configuration is read with
`get_config(load=True)` in `configure()`, a custom route is declared Flask-style and reads
`flask.request`, a module-level `extra_routes` blueprint adds another, the word list is read
from a path relative to the experiment's folder (by the routes and by the bot), and the bot is
a browser `BotBase` whose `participate()` returns nothing.
"""

from dallinger import db
from dallinger.bots import BotBase
from dallinger.config import get_config
from dallinger.experiment import Experiment, experiment_route
from dallinger.experiment_server.utils import error_response, success_response
from dallinger.networks import Empty
from flask import Blueprint, Response, abort, jsonify, request
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WORDS = "stimuli/words.txt"

extra_routes = Blueprint("extra_routes", __name__, template_folder="templates")


def read_words():
    """The word list, read relative to the working directory (the experiment's folder)."""
    with open(WORDS) as words:
        return words.read().split()


@extra_routes.route("/word_count")
def word_count():
    return {"count": len(read_words())}, 200, {"X-Word-Check": "yes"}


class WordCheck(Experiment):
    """One Empty network; each participant checks one word."""

    experiment_repeats = 1
    initial_recruitment_size = 2

    def __init__(self, session=None):
        super().__init__(session)
        if session:
            self.setup()

    @classmethod
    def extra_parameters(cls):
        get_config().register("num_participants", int)

    def configure(self):
        config = get_config(load=True)
        self.num_participants = config.get("num_participants")

    def create_network(self):
        return Empty(max_size=self.num_participants)

    def setup(self):
        if not self.networks():
            super().setup()
            db.session.commit()

    @experiment_route("/check/<int:node_id>", methods=["POST"])
    @classmethod
    def check(cls, node_id):
        guess = request.values.get("guess", "")
        if not guess:
            return error_response(error_text="No guess.", simple=True, status=400)
        return jsonify(node_id=node_id, correct=guess in read_words())

    @experiment_route("/words/<int:index>")
    @staticmethod
    def word(index):
        words = read_words()
        if index >= len(words):
            abort(404)
        return Response(words[index], mimetype="text/plain")

    @experiment_route("/ping")
    @classmethod
    def ping(cls):
        return success_response(echo=request.args.get("say", ""))


class Bot(BotBase):
    """Checks the first word of the list through the route, records the answer, and goes on."""

    def participate(self):
        word = read_words()[0]
        self.driver.execute_async_script(
            """
            var word = arguments[0], done = arguments[arguments.length - 1];
            dallinger.createAgent().done(function (created) {
              var nodeId = created.node.id;
              dallinger.post("/check/" + nodeId, {guess: word}).done(function (answer) {
                var contents = word + ":" + answer.correct;
                dallinger.createInfo(nodeId, {contents: contents, info_type: "Info"}).done(done);
              });
            });
            """,
            word,
        )
        WebDriverWait(self.driver, 10).until(EC.element_to_be_clickable((By.ID, "finish"))).click()
