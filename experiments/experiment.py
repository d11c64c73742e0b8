"""The Experiment base class: the hooks the server calls as participants take part.

An experiment is a subclass of `Experiment` in an experiment package's `experiment.py`.
It is not stored anywhere: the server builds one for each request and follows its
instructions — which networks to create, where a participant's node goes, how to check and
pay their work, whom to recruit next. Attribute and method names are Dallinger's.
"""

import json
import logging
import random
import uuid
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.urls.resolvers import RoutePattern

from core import infos, networks, nodes, transformations
from core.fetch import by_pk, rows_where
from core.models import Info, Network, Node, Participant, Transformation
from experiments import monitoring
from experiments.config import get_config
from experiments.services.failures import records_fail
from experiments.services.group_lookups import group_network_of
from experiments.services.lifecycle import participant_status_counts
from experiments.session import session as db_session
from recruitment.recruiters import from_config

logger = logging.getLogger(__name__)

BONUS_REASON = "Thank you for participating! Here is your bonus."


def default_known_classes() -> dict:
    """The classes a front end may name in requests (`info_type`, `node_type`, `what`, ...)."""
    return {
        "Agent": nodes.Agent,
        "Compression": transformations.Compression,
        "Environment": nodes.Environment,
        "Gene": infos.Gene,
        "Info": Info,
        "Meme": infos.Meme,
        "Mutation": transformations.Mutation,
        "Node": Node,
        "Replication": transformations.Replication,
        "Response": transformations.Response,
        "Source": nodes.Source,
        "State": infos.State,
        "Transformation": Transformation,
    }


def experiment_route(rule: str, methods=("GET",)):
    """Mark an Experiment method as the view of an extra route (Dallinger's `experiment_route`).

    `rule` is a Django path pattern (`/scores/<int:node_id>`); the method is called as
    `method(request, **url_arguments)` on the request's experiment and returns a response,
    a dict (sent as a success envelope) or a string (sent as HTML). It may be a plain
    method, a classmethod or a staticmethod, with the decorator above or below
    `@classmethod`, as in Dallinger. A rule with an unknown converter raises
    ImproperlyConfigured at once.
    """

    # Check the rule now, so that a bad converter fails the import, not every later request.
    RoutePattern(rule.lstrip("/"), is_endpoint=True).regex

    def mark(function):
        # Mark the function itself: a mark on a classmethod object would not be visible
        # through the bound method that `routes()` looks at.
        target = getattr(function, "__func__", function)
        target.experiment_route = (rule, tuple(method.upper() for method in methods))
        return function

    return mark


def configured_rules(config) -> list[str]:
    """The route rules of the configuration's `protected_routes` (a JSON list)."""
    return json.loads(config.get("protected_routes"))


def _networks_where(role, full) -> tuple[str, list]:
    """The SQL condition and parameters of `Experiment.networks(role, full)`."""
    if full not in ("all", True, False):
        raise ValueError(f"full must be boolean or all, it cannot be {full}")
    conditions, params = [], []
    if role != "all":
        conditions.append("role = %s")
        params.append(role)
    if full != "all":
        conditions.append(f"{connection.ops.quote_name('full')} = %s")
        params.append(bool(full))
    return " AND ".join(conditions), params


def _open_networks_for(participant) -> list[tuple[int, str]]:
    """(id, role) of every live network with room that `participant` has no node in, by id."""
    networks, nodes = Network._meta.db_table, Node._meta.db_table
    sql = (
        f"SELECT id, role FROM {networks} WHERE NOT {connection.ops.quote_name('full')} AND NOT failed"
        f" AND NOT EXISTS (SELECT 1 FROM {nodes} WHERE {nodes}.network_id = {networks}.id"
        f" AND {nodes}.participant_id = %s) ORDER BY id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [participant.pk])
        return cursor.fetchall()


def network_id_to_join(experiment, participant) -> int | None:
    """The id of the network `experiment.get_network_for_participant` chooses for
    `participant`, or None. The caller reads the row itself, locked: with the default choice
    it is then read once, not also unlocked by the choice."""
    hook = experiment.get_network_for_participant
    if getattr(hook, "__func__", None) is Experiment.get_network_for_participant:
        chosen = experiment._network_choice(participant)
    else:
        chosen = hook(participant)
    return None if chosen is None else chosen.pk


class _NetworkChoice(NamedTuple):
    """What the default network choice looks at, without loading the whole row."""

    pk: int
    role: str


class Experiment:
    """Defaults for every hook; subclasses override what their design needs."""

    #: Name of the websocket channel the experiment listens on (messages arrive in `send`).
    channel = None
    #: Called by `create_participant` to build a participant.
    participant_constructor = Participant
    app_id = None
    exp_config = None
    #: Whether `log` writes to the experiment log.
    verbose = True
    #: The experiment's title.
    task = "Experiment title"
    #: How many practice networks `setup` creates.
    practice_repeats = 0
    #: How many experiment networks `setup` creates.
    experiment_repeats = 0
    #: Participants needed in the waiting room before anyone starts (0: no waiting room).
    quorum = 0
    #: Participants recruited at launch.
    initial_recruitment_size = 1
    #: The classes a front end may name in requests; each instance gets its own copy.
    known_classes = default_known_classes()

    # Real time: presence, dropouts and group formation (docs/realtime.md) -----------------

    #: Seconds without an open socket before a participant counts as disconnected.
    disconnect_grace_seconds = 30
    #: What happens to a participant's group when they disconnect: "continue" (their nodes
    #: are failed and the others go on), "pause" (the group is told to pause until they
    #: return), "replace_with_bot" (a bot participant takes over their node) or "end_group"
    #: (the group's network is closed and every member is sent to finish and be paid).
    dropout_policy = "continue"
    #: Under "replace_with_bot": True pays the participant a bot replaced their base payment
    #: (and `replaced_bonus`), once, through the payment ledger: they took part until they
    #: dropped out. False pays them nothing, as Dallinger never pays a `replaced` participant.
    pay_replaced_participants = True
    #: Participants per group formed by arrival in the waiting room (0: no group formation).
    group_size = 0
    #: The smallest group "start_smaller" may start (None: `group_size`).
    group_min_size = None
    #: Seconds the first waiter may wait for a group to fill (None: no limit).
    group_max_wait_seconds = None
    #: When the wait runs out: "start_smaller" (down to `group_min_size`) or "release"
    #: (the waiters are sent to finish and paid their base, as over-recruited participants).
    group_timeout_policy = "start_smaller"

    @classmethod
    def routes(cls) -> list[tuple[str, tuple, str]]:
        """The extra routes the experiment class declares: (rule, methods, method name).

        In declaration order, base classes first (the first matching rule wins). As in
        Dallinger, a route belongs to its method name: a subclass that overrides the
        method without decorating it keeps the route and serves it with the override.
        """
        declared = {}
        for klass in reversed(cls.__mro__):
            for name, member in vars(klass).items():
                route = getattr(getattr(member, "__func__", member), "experiment_route", None)
                if route is not None:
                    declared[name] = route
        return [(rule, methods, name) for name, (rule, methods) in declared.items()]

    def __init__(self, session=None, no_configure=False):
        """Set up an instance: `configure()` runs unless `no_configure` (Dallinger 12's signature).

        The defaults above are class attributes, so the values an experiment sets on its class
        (`experiment_repeats = 2`) or in its own `__init__` stay; `known_classes` is copied so
        that an instance adding a class does not change its class's. `session` is the database
        session experiments save through (`experiments.session.session` when not given).
        """
        self.session = session if session is not None else db_session
        if not isinstance(getattr(type(self), "known_classes", None), property):
            self.known_classes = dict(self.known_classes)
        if not hasattr(self, "public_properties"):
            self.public_properties = {}
        if not no_configure:
            self.configure()

    # Configuration and recruitment ------------------------------------------------------

    def configure(self) -> None:
        """Hook: read configuration values into attributes."""

    @classmethod
    def extra_parameters(cls) -> None:
        """Hook: register the experiment's own configuration keys (`get_config().register(...)`);
        the loader calls it before reading the configuration. A module-level `extra_parameters()`
        function in experiment.py works too."""

    @property
    def config(self):
        """The experiment's configuration."""
        return get_config()

    @property
    def recruiter(self):
        """The configured recruiter (built once per experiment instance)."""
        cached = self.__dict__.get("_recruiter")
        if cached is None:
            cached = self.__dict__["_recruiter"] = from_config(self.config, base_url=settings.DALLINGER_BASE_URL)
        return cached

    @property
    def protected_routes(self) -> list[str]:
        """Route rules (`/info/<int:node_id>/<int:info_id>`) that only the experimenter logged in
        to the dashboard may call; participants get 403 (config `protected_routes`, as Dallinger's)."""
        return configured_rules(self.config)

    @property
    def background_tasks(self) -> list:
        """Callables to start in the background when the experiment launches."""
        return []

    def is_overrecruited(self, waiting_count: int) -> bool:
        """Whether more participants are waiting than the quorum needs (never, without a quorum)."""
        if not self.quorum or self.group_size:
            # Groups formed by arrival take everyone: a new group opens for each batch.
            return False
        return waiting_count > self.quorum

    def may_overrecruit(self) -> bool:
        """Whether `is_overrecruited` could ever say True, so that arrivals must be counted one
        at a time (participant creation then takes the one `quorum` lock): with a quorum, unless
        groups are formed by arrival and the class keeps the base rule, which then never
        over-recruits. An override of `is_overrecruited` always counts."""
        if not self.quorum:
            return False
        overridden = getattr(self.is_overrecruited, "__func__", None) is not Experiment.is_overrecruited
        return overridden or not self.group_size

    # Websocket channels (docs/realtime.md) ---------------------------------------------

    def send(self, raw_message: str) -> None:
        """A frame arrived on the experiment's channel or the control channel (`"<channel>:<payload>"`).

        As in Dallinger: a JSON payload with a truthy `immediate` is handled now, any other in
        the background (task `experiments.tasks.websocket_message`); both end in `receive_message`.
        """
        from core.background import send_after_commit
        from experiments.realtime import messages
        from experiments.tasks import websocket_message

        parsed = messages.parse(raw_message)
        received = messages.now()
        if parsed.immediate:
            messages.deliver(self, parsed, received)
        else:
            send_after_commit(websocket_message.s(raw_message, received.isoformat()))

    def receive_message(self, message, channel_name=None, participant=None, node=None, receive_time=None) -> None:
        """Hook: handle a frame's payload (`message`, a string) from `channel_name`; `participant`
        and `node` are the records its ids name (None when absent or unknown). Its writes commit
        when it returns."""

    def publish_to_subscribers(self, data, channel_name=None) -> None:
        """Send `data` to every socket subscribed to `channel_name` (default: `channel`), once the
        current transaction commits. On the experiment's channel or the control channel,
        `receive_message` gets it too, in the background, as in Dallinger."""
        from experiments.realtime import messages

        messages.publish_for(self, channel_name or self.channel, data)

    def client_info(self) -> dict:
        """Who the experiment is, in control events (Dallinger's `client` object)."""
        return {"class": f"{type(self).__module__}.{type(self).__name__}"}

    def recruit(self) -> None:
        """Called after each successful submission: close recruitment once every network is full.

        Dallinger's docstring promises one more recruit per submission, but its code only
        closes recruitment; experiments that want more participants recruit here
        themselves (as Bartlett1932 does).
        """
        if not self.networks_exist(full=False):
            self.log("All networks full: closing recruitment", "-----")
            self.recruiter.close_recruitment()

    # Networks -------------------------------------------------------------------------

    def setup(self) -> None:
        """Create the practice and experiment networks, once: nothing happens if any network exists."""
        if Network.objects.exists():
            return
        for role, repeats in (("practice", self.practice_repeats), ("experiment", self.experiment_repeats)):
            for _ in range(repeats):
                network = self.create_network()
                network.role = role
                network.save()

    def create_network(self):
        """A new (unsaved) network for one repeat; Empty by default."""
        return networks.Empty()

    def networks(self, role="all", full="all") -> list:
        """Networks by role ("practice", "experiment" or "all") and fullness (True, False or "all")."""
        # Kept SQL (core.fetch): experiments call this on every submission (`recruit()`).
        return rows_where(Network, *_networks_where(role, full), order_by=("id",))

    def networks_exist(self, role="all", full="all") -> bool:
        """Whether `networks(role, full)` would find any: what `if self.networks(full=False):`
        asks in `recruit()` after every submission, without loading every open network."""
        return bool(rows_where(Network, *_networks_where(role, full), order_by=("id",), limit=1))

    def get_network_for_participant(self, participant):
        """The network `participant` should join next, or None.

        Live networks that are not full and that the participant has no node in (even a
        failed one); practice networks first (lowest id), then one chosen by
        `choose_network`.
        """
        chosen = self._network_choice(participant)
        if isinstance(chosen, _NetworkChoice):
            chosen = by_pk(Network, chosen.pk)  # None if deleted meanwhile
        return chosen

    def _network_choice(self, participant):
        """`get_network_for_participant`'s choice: a network, what the default choice knows
        of one (`_NetworkChoice`), or None."""
        if self.group_size:
            return group_network_of(participant=participant)
        if type(self).choose_network is Experiment.choose_network:
            # The default choice needs ids and roles only: load the one network chosen,
            # not every legal one (this runs for every new node).
            candidates = [_NetworkChoice(pk, role) for pk, role in _open_networks_for(participant)]
        else:
            joined = Node.objects.filter(participant=participant).values("network_id")
            candidates = list(Network.objects.filter(full=False, failed=False).exclude(pk__in=joined).order_by("id"))
        if not candidates:
            self.log("No networks available, returning None", participant.pk)
            return None
        self.log(
            f"{len(candidates)} networks out of {self.practice_repeats + self.experiment_repeats} available",
            participant.pk,
        )
        practice = [network for network in candidates if network.role == "practice"]
        chosen = practice[0] if practice else self.choose_network(candidates, participant)
        self.log(f"Assigned to network: {chosen.pk}", participant.pk)
        return chosen

    def choose_network(self, networks, participant):
        """Pick one of the available experiment networks; uniformly at random by default."""
        return random.choice(networks)

    def create_node(self, participant, network):
        """Create and save the participant's node in `network`."""
        node = Node(network=network, participant=participant)
        node.save()
        return node

    def add_node_to_network(self, node, network) -> None:
        """Wire the new node into its network (the network type decides how)."""
        network.add_node(node)

    # Participants -----------------------------------------------------------------------

    def create_participant(
        self, worker_id, hit_id, assignment_id, mode, recruiter_name=None, fingerprint_hash=None, entry_information=None
    ):
        """Create and save a participant with `participant_constructor`."""
        if not recruiter_name:
            recruiter_name = self.recruiter.nickname
        participant = self.participant_constructor(
            recruiter_id=recruiter_name,
            worker_id=worker_id,
            assignment_id=assignment_id,
            hit_id=hit_id,
            mode=mode,
            fingerprint_hash=fingerprint_hash,
            entry_information=entry_information or {},
        )
        participant.save()
        return participant

    def load_participant(self, assignment_id):
        """The one participant with this assignment id, or None (none, or several)."""
        found = list(Participant.objects.filter(assignment_id=assignment_id)[:2])
        return found[0] if len(found) == 1 else None

    # Completion -------------------------------------------------------------------------

    def is_complete(self):
        """Hook: True/False to decide completion; None (the default) uses the server's rule."""
        return None

    def data_check(self, participant) -> bool:
        """Whether the participant's data are complete and valid; True by default."""
        return True

    def data_check_failed(self, participant) -> None:
        """Called when `data_check` fails."""
        self.fail_participant(participant)

    def attention_check(self, participant) -> bool:
        """Whether the participant paid attention; True by default."""
        return True

    def attention_check_failed(self, participant) -> None:
        """Called when `attention_check` fails."""
        self.fail_participant(participant)

    def bonus(self, participant) -> float:
        """The bonus to pay on successful submission, in dollars; 0 by default."""
        return 0

    def bonus_reason(self) -> str:
        """The message sent with a bonus."""
        return BONUS_REASON

    def submission_successful(self, participant) -> None:
        """Hook: a participant submitted and passed the checks."""

    def assignment_abandoned(self, participant) -> None:
        """The participant ran out of time."""
        self.fail_participant(participant)

    def assignment_returned(self, participant) -> None:
        """The participant gave the assignment back."""
        self.fail_participant(participant)

    def recruiter_exit_info(self, participant):
        """Hook: what the recruiter's exit sends along for this participant. For Prolific, the
        completion code type (one of `prolific_completion_config`'s, e.g. `FAILED_ATTENTION_CHECK`);
        None means the DEFAULT code. With several recruiters, check `participant.recruiter_id`."""
        return None

    def assignment_reassigned(self, participant) -> None:
        """Another participant took over this participant's assignment."""
        self.fail_participant(participant)

    def fail_participant(self, participant) -> None:
        """Fail the participant's live nodes (not the participant or their answers)."""
        for node in participant.nodes():
            node.fail()

    # Real time ------------------------------------------------------------------------

    def participant_disconnected(self, participant) -> None:
        """Hook: `participant` has been gone longer than `disconnect_grace_seconds` (called
        once, before the `dropout_policy` is applied)."""

    def participant_reconnected(self, participant) -> None:
        """Hook: a participant counted as disconnected has opened a socket again."""

    def realtime_snapshot(self, participant) -> dict:
        """Experiment state sent to a participant whose socket (re)connects; JSON-serialisable."""
        return {}

    def replaced_bonus(self, participant, nodes) -> float:
        """Hook: the bonus, in dollars, for the part of the task `participant` did before a bot
        replaced them (paid with their base payment when `pay_replaced_participants`); `nodes`
        are the nodes they left, whose infos are their work. 0 by default."""
        return 0

    def bot_substitute_started(self, participant, bot, nodes) -> None:
        """Hook: under "replace_with_bot", `bot` (a new participant of the bots recruiter) now
        holds `nodes`, the live nodes `participant` left; the experiment makes it act."""

    # Request hooks (called by the routes after the model operation) ------------------------

    def info_get_request(self, node, infos):
        """Hook after infos are read."""

    def info_post_request(self, node, info):
        """Hook after an info is created."""

    def node_get_request(self, node=None, nodes=None):
        """Hook after nodes are read."""

    def node_post_request(self, participant, node):
        """Hook after a participant's node is created."""

    def transformation_get_request(self, node, transformations):
        """Hook after transformations are read."""

    def transformation_post_request(self, node, transformation):
        """Hook after a transformation is created."""

    def transmission_get_request(self, node, transmissions):
        """Hook after transmissions are read."""

    def transmission_post_request(self, node, transmissions):
        """Hook after transmissions are created."""

    def vector_get_request(self, node, vectors):
        """Hook after vectors are read."""

    def vector_post_request(self, node, vectors):
        """Hook after vectors are created."""

    # The dashboard ------------------------------------------------------------------------

    #: Route names of dashboard tabs to leave out of the navigation (`"dashboard_lifecycle"`,
    #: `"lifecycle"`); their pages stay reachable.
    hidden_dashboards = ()

    @classmethod
    def organize_dashboard_tabs(cls, tabs):
        """Hook: the dashboard's tabs (an `experiments.dashboard_hooks.DashboardTabs`), the
        experiment's own included, to reorder or prune; returns the tabs to show."""
        return tabs

    def dashboard_database_actions(self) -> list[dict]:
        """The actions offered on the dashboard's tables of the record: `{"name", "title"}`
        each, `name` being a method of this class that takes the selected rows (their JSON,
        with `id` and `object_type`) and returns `{"message": ...}`. Only these names can be
        called from the dashboard."""
        return [{"name": "dashboard_fail", "title": "Fail Selected"}]

    def dashboard_fail(self, data) -> dict:
        """Fail the rows named in `data` (`id` and `object_type` each) that are not failed,
        with their failure cascade: `{"message": "Failed 1 Nodes"}`."""
        return {"message": records_fail(data=data)}

    # Logging and helpers ---------------------------------------------------------------

    def log(self, text, key="?????", force=False) -> None:
        """Write `text` to the experiment log when `verbose` (or `force`)."""
        if force or self.verbose:
            logger.info(">>>> %s %s", key, text)

    def log_summary(self) -> list:
        """Log and return `[(status, count), ...]` of participants, sorted by status."""
        summary = participant_status_counts()
        self.log(f"Status summary: {summary}")
        return summary

    def save(self, *objects) -> None:
        """Save the given objects (Dallinger experiments call this after changing networks)."""
        for item in objects:
            item.save()

    @classmethod
    def make_uuid(cls, app_id=None) -> str:
        """`app_id` if it is a valid UUID, else a new random (version 4) UUID."""
        if app_id:
            try:
                return str(uuid.UUID(str(app_id)))
            except ValueError:
                pass
        return str(uuid.uuid4())

    def run(self, exp_config=None, app_id=None, bot=False, **kwargs):
        """Run this experiment with bots to the end and return its data (experiments/programmatic.py)."""
        from experiments import programmatic

        return programmatic.run(self, exp_config, app_id, bot, **kwargs)

    def collect(self, app_id, exp_config=None, bot=False, **kwargs):
        """The data of the run `app_id` from `data/`, or a new run under that id (experiments/programmatic.py)."""
        from experiments import programmatic

        return programmatic.collect(self, app_id, exp_config, bot, **kwargs)

    def on_launch(self) -> None:
        """Hook: the experiment was launched (networks set up, recruitment opened)."""

    # The dashboard's Monitoring page (docs/dashboard.md) -------------------------------------

    def monitoring_statistics(self, **kw) -> dict:
        """Title -> data of the Monitoring page's statistics panels, in order: participants by
        status, networks by role, nodes and infos (`{"count", "failed"}` pairs show as "N total,
        F failed"). `kw` holds the page's query arguments as lists of strings, as in Dallinger
        (`network_roles`, `network_ids`, `collapsed`, `transformations`)."""
        return monitoring.record_statistics(transformations=kw.get("transformations"))

    def monitoring_panels(self, **kw) -> dict:
        """Title -> HTML of each statistics panel (the dashboard shows an override's HTML in a
        sandboxed frame, without scripts); by default `monitoring_statistics`, escaped."""
        return monitoring.statistics_html(self.monitoring_statistics(**kw))

    def network_structure(self, network_roles=None, network_ids=None, collapsed=False, transformations=False) -> dict:
        """The Monitoring graph's data in Dallinger's shape (lists of the objects' JSON under
        `networks`, `nodes`, `vectors`, `infos`, `participants`, `trans`). An override decides
        what the graph shows; by default the dashboard pages the record itself."""
        return monitoring.network_structure(
            network_roles=network_roles, network_ids=network_ids, collapsed=collapsed, transformations=transformations
        )

    def node_visualization_options(self) -> dict:
        """vis-network options merged over the Monitoring graph's own (top-level keys replace them)."""
        return {}

    def node_visualization_html(self, object_type, obj_id) -> str:
        """HTML shown with an object's details on the Monitoring page (the object's
        `visualization_html`, "" by default). It is the experiment's HTML: the dashboard shows it
        in a sandboxed frame, where no script runs."""
        return monitoring.visualization_html(object_type, obj_id)

    # Replay -----------------------------------------------------------------------------

    def events_for_replay(self, session=None, target=None):
        """The events a replay steps through: every info, oldest first."""
        return Info.objects.order_by("creation_time", "id")

    def replay_start(self):
        """Hook: a replay starts."""

    def replay_event(self, event):
        """Hook: replay one event."""

    def replay_finish(self):
        """Hook: a replay ends."""

    def replay_started(self) -> bool:
        """Whether a replay has started."""
        return True
