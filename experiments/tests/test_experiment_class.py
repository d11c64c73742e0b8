"""The Experiment base class: its attribute defaults and the default behaviour of every hook."""

import inspect
import logging
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured

from core import infos, nodes, transformations
from core.models import Info, Network, Node, Participant, Question, Transformation
from core.models.participant import ParticipantStatus
from core.networks import Chain, Empty, Star
from experiments.experiment import Experiment, experiment_route
from experiments.session import session

EXPERIMENT_LOGGER = "experiments.experiment"


@pytest.fixture
def config(settings):
    """The default configuration, loaded afresh for the test and again after it."""
    from experiments import runtime

    settings.DALLINGER_EXPERIMENT = ""
    loaded = runtime.reload()
    yield loaded.config
    runtime.reload()


@pytest.fixture
def experiment():
    """A base Experiment built as the server builds one (with the session)."""
    return Experiment(session)


def logged(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == EXPERIMENT_LOGGER]


# Attribute defaults (EXP-02..EXP-06) ---------------------------------------------------


def test_instance_attribute_defaults():
    experiment = Experiment()

    assert experiment.verbose is True
    assert experiment.task == "Experiment title"
    assert experiment.session is session  # Dallinger's db.session when none is given
    assert experiment.practice_repeats == 0
    assert experiment.experiment_repeats == 0
    assert experiment.quorum == 0
    assert experiment.initial_recruitment_size == 1
    assert experiment.public_properties == {}


def test_class_attribute_defaults():
    assert Experiment.channel is None
    assert Experiment.participant_constructor is Participant
    assert Experiment.app_id is None
    assert Experiment.exp_config is None


def test_the_session_is_kept():
    assert Experiment(session).session is session


def test_known_classes_are_dallingers_thirteen():
    known = Experiment().known_classes

    assert known == {
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


def test_known_classes_belong_to_each_instance():
    first, second = Experiment(), Experiment()

    first.known_classes["Chain"] = Chain

    assert "Chain" not in second.known_classes


def test_public_properties_defined_on_the_class_are_kept():
    class WithProperties(Experiment):
        public_properties = {"colour": "teal"}

    assert WithProperties().public_properties == {"colour": "teal"}


def test_public_properties_defined_as_a_property_are_kept():
    class WithDynamicProperties(Experiment):
        @property
        def public_properties(self):
            return {"quorum": self.quorum}

    experiment = WithDynamicProperties()
    experiment.quorum = 4

    assert experiment.public_properties == {"quorum": 4}


class RecordingConfigure(Experiment):
    def configure(self):
        super().configure()
        self.configured = getattr(self, "configured", 0) + 1


@pytest.mark.parametrize("given", [(), (None,)])
def test_configure_is_called_without_a_session_as_in_dallinger_12(given):
    assert RecordingConfigure(*given).configured == 1


def test_configure_is_not_called_with_no_configure():
    assert not hasattr(RecordingConfigure(no_configure=True), "configured")
    assert not hasattr(RecordingConfigure(session, no_configure=True), "configured")


def test_configure_is_called_once_with_a_session():
    assert RecordingConfigure(session).configured == 1


def test_background_tasks_are_none_by_default():
    assert Experiment().background_tasks == []


def test_the_session_stand_in_saves_what_is_added(db):
    experiment = Experiment(session)
    network = Empty(role="experiment")

    experiment.session.add(network)
    experiment.session.commit()

    assert Network.objects.get(pk=network.pk).role == "experiment"
    assert bool(experiment.session) is True


# Networks (EXP-14..EXP-20) -------------------------------------------------------------


def test_setup_creates_practice_then_experiment_networks(db, experiment):
    experiment.practice_repeats = 2
    experiment.experiment_repeats = 3

    experiment.setup()

    created = list(Network.objects.order_by("id"))
    assert [network.role for network in created] == ["practice"] * 2 + ["experiment"] * 3
    assert all(type(network) is Empty for network in created)


def test_setup_runs_once(db, experiment):
    experiment.experiment_repeats = 2

    experiment.setup()
    experiment.setup()

    assert Network.objects.count() == 2


def test_setup_does_nothing_when_any_network_exists(make_network, experiment):
    existing = make_network(role="something else")
    existing.fail()
    experiment.practice_repeats = 1
    experiment.experiment_repeats = 1

    experiment.setup()

    assert list(Network.objects.all()) == [existing]


def test_setup_uses_create_network(db):
    class Chains(Experiment):
        def create_network(self):
            return Chain(max_size=4)

    experiment = Chains(session)
    experiment.experiment_repeats = 2

    experiment.setup()

    assert [(type(network), network.max_size) for network in Network.objects.all()] == [(Chain, 4), (Chain, 4)]


def test_create_network_is_a_new_empty_network(db):
    network = Experiment().create_network()

    assert type(network) is Empty
    assert network.pk is None


@pytest.fixture
def mixed_networks(make_network):
    """practice/full, practice/open, experiment/open, experiment/full, experiment/open but failed."""
    created = {
        "practice_full": make_network(role="practice", full=True),
        "practice_open": make_network(role="practice"),
        "experiment_open": make_network(role="experiment"),
        "experiment_full": make_network(role="experiment", full=True),
        "experiment_failed": make_network(role="experiment"),
    }
    created["experiment_failed"].fail()
    return created


def test_networks_by_role_and_fullness(mixed_networks):
    experiment = Experiment()
    names = {network.pk: name for name, network in mixed_networks.items()}

    def named(networks):
        return [names[network.pk] for network in networks]

    assert named(experiment.networks()) == list(mixed_networks)
    assert named(experiment.networks(role="practice")) == ["practice_full", "practice_open"]
    assert named(experiment.networks(role="experiment", full=False)) == ["experiment_open", "experiment_failed"]
    assert named(experiment.networks(full=True)) == ["practice_full", "experiment_full"]
    assert named(experiment.networks(role="nobody")) == []


def test_networks_exist_answers_as_the_networks_found_would(mixed_networks):
    experiment = Experiment()
    asked = [("all", "all"), ("practice", False), ("experiment", True), ("nobody", "all"), ("practice", "all")]

    assert [experiment.networks_exist(role, full) for role, full in asked] == [True, True, True, False, True]
    for network in mixed_networks.values():
        if not network.full:
            network.full = True
            network.save()
    assert experiment.networks_exist(full=False) is False
    assert experiment.networks_exist(full=True) is True
    with pytest.raises(ValueError, match="full must be boolean or all"):
        experiment.networks_exist(full="yes")


@pytest.mark.parametrize("full", [1, 0])
def test_networks_accepts_one_and_zero_as_booleans(mixed_networks, full):
    experiment = Experiment()

    assert experiment.networks(full=full) == experiment.networks(full=bool(full))


@pytest.mark.parametrize("full", ["yes", None, "true", 2])
def test_networks_rejects_any_other_full(db, full):
    with pytest.raises(ValueError, match=f"full must be boolean or all, it cannot be {full}"):
        Experiment().networks(full=full)


def test_a_participant_is_sent_to_the_practice_network_with_the_lowest_id(make_network, make_participant):
    make_network(role="experiment")
    first_practice = make_network(role="practice")
    make_network(role="practice")

    assert Experiment().get_network_for_participant(make_participant()) == first_practice


def test_practice_networks_come_first_then_choose_network(make_network, make_participant):
    class Recording(Experiment):
        def choose_network(self, networks, participant):
            self.offered = (networks, participant)
            return networks[-1]

    experiment = Recording()
    experiment_networks = [make_network(role="experiment") for _ in range(3)]
    practice = make_network(role="practice")
    participant = make_participant()

    assert experiment.get_network_for_participant(participant) == practice
    Node(network=practice, participant=participant).save()

    chosen = experiment.get_network_for_participant(participant)

    assert experiment.offered == (experiment_networks, participant)
    assert chosen == experiment_networks[-1]


def test_the_default_choice_is_one_of_the_available_networks(make_network, make_participant):
    available = {make_network(role="experiment").pk for _ in range(4)}

    assert Experiment().get_network_for_participant(make_participant()).pk in available


def test_the_default_choice_is_the_whole_network_row_with_its_class(make_network, make_participant):
    star = make_network(Star, role="experiment", max_size=7, details={"arm": "b"})

    chosen = Experiment().get_network_for_participant(make_participant())

    assert type(chosen) is Star
    assert (chosen.pk, chosen.max_size, chosen.details, chosen.role) == (star.pk, 7, {"arm": "b"}, "experiment")


def test_a_participant_never_rejoins_a_network_even_after_their_node_failed(make_network, make_participant):
    first, second = make_network(role="experiment"), make_network(role="experiment")
    participant = make_participant()
    node = Node(network=first, participant=participant)
    node.save()
    node.fail()

    for _ in range(5):
        assert Experiment().get_network_for_participant(participant) == second


def test_full_and_failed_networks_are_skipped(make_network, make_participant):
    make_network(role="practice", full=True)
    make_network(role="practice").fail()  # Dallinger would offer it (SUB-09); it is skipped here
    open_network = make_network(role="experiment")

    assert Experiment().get_network_for_participant(make_participant()) == open_network


def test_no_network_left_is_none_and_logged(make_network, make_participant, caplog):
    caplog.set_level(logging.INFO, logger=EXPERIMENT_LOGGER)
    participant = make_participant()
    joined = make_network(role="experiment")
    Node(network=joined, participant=participant).save()
    make_network(role="experiment", full=True)

    assert Experiment().get_network_for_participant(participant) is None
    assert f">>>> {participant.pk} No networks available, returning None" in logged(caplog)


def test_create_node_saves_the_participants_node(network, make_participant):
    participant = make_participant()

    node = Experiment().create_node(participant, network)

    stored = Node.objects.get(pk=node.pk)
    assert type(stored) is Node
    assert (stored.network, stored.participant) == (network, participant)


def test_add_node_to_network_lets_the_network_wire_it(make_network):
    chain = make_network(Chain)
    experiment = Experiment()
    first = Node(network=chain)
    first.save()
    experiment.add_node_to_network(first, chain)
    second = Node(network=chain)
    second.save()

    experiment.add_node_to_network(second, chain)

    assert first.is_connected(whom=second)
    assert not second.is_connected(whom=first)


# Participants (EXP-21, EXP-22) ---------------------------------------------------------


def test_create_participant_saves_what_it_is_given(db):
    participant = Experiment().create_participant(
        worker_id="w1", hit_id="h1", assignment_id="a1", mode="debug", recruiter_name="cli", fingerprint_hash="f00"
    )

    stored = Participant.objects.get(pk=participant.pk)
    assert (stored.worker_id, stored.hit_id, stored.assignment_id, stored.mode) == ("w1", "h1", "a1", "debug")
    assert (stored.recruiter_id, stored.fingerprint_hash) == ("cli", "f00")
    assert stored.status == ParticipantStatus.WORKING
    assert stored.entry_information == {}


def test_create_participant_takes_the_recruiter_name_from_the_recruiter(db, config):
    config.set("recruiter", "cli")

    participant = Experiment().create_participant("w1", "h1", "a1", "debug")

    assert participant.recruiter_id == "cli"


class Volunteer(Participant):
    """A custom participant class (kept out of migrations by its own app label)."""

    polymorphic_identity = "hooks_volunteer"

    class Meta:
        app_label = "hooks_tests"


def test_create_participant_uses_the_participant_constructor(db):
    class WithVolunteers(Experiment):
        participant_constructor = Volunteer

    participant = WithVolunteers().create_participant("w1", "h1", "a1", "debug", recruiter_name="hotair")

    assert type(Participant.objects.get(pk=participant.pk)) is Volunteer


def test_load_participant_finds_exactly_one(make_participant):
    participant = make_participant(assignment_id="only-one")

    assert Experiment().load_participant("only-one") == participant


def test_load_participant_is_none_for_no_match(db):
    assert Experiment().load_participant("nobody") is None


def test_load_participant_is_none_for_several_matches(make_participant):
    make_participant(assignment_id="shared")
    make_participant(assignment_id="shared")

    assert Experiment().load_participant("shared") is None


# Recruitment (EXP-11, EXP-13) ----------------------------------------------------------


@pytest.mark.parametrize("waiting", [0, 1, 50])
def test_never_overrecruited_without_a_quorum(waiting):
    assert Experiment().is_overrecruited(waiting) is False


@pytest.mark.parametrize(("waiting", "expected"), [(2, False), (3, False), (4, True)])
def test_overrecruited_only_beyond_the_quorum(waiting, expected):
    experiment = Experiment()
    experiment.quorum = 3

    assert experiment.is_overrecruited(waiting) is expected


class _OwnOverrecruitment(Experiment):
    def is_overrecruited(self, waiting_count):
        return waiting_count > 2 * self.quorum


@pytest.mark.parametrize(
    ("kind", "quorum", "group_size", "expected"),
    [
        (Experiment, 0, 0, False),
        (Experiment, 3, 0, True),
        (Experiment, 3, 3, False),
        (_OwnOverrecruitment, 3, 3, True),
        (_OwnOverrecruitment, 0, 3, False),
    ],
)
def test_may_overrecruit_only_where_is_overrecruited_could_say_true(kind, quorum, group_size, expected):
    experiment = kind()
    experiment.quorum, experiment.group_size = quorum, group_size

    assert experiment.may_overrecruit() is expected


def test_recruit_does_nothing_while_a_network_has_room(make_network, config, caplog):
    caplog.set_level(logging.INFO)
    make_network(role="experiment")
    make_network(role="experiment", full=True)

    Experiment().recruit()

    assert "Close recruitment." not in caplog.messages
    assert logged(caplog) == []


def test_recruit_closes_recruitment_when_every_network_is_full(make_network, config, caplog):
    caplog.set_level(logging.INFO)
    make_network(role="experiment", full=True)
    make_network(role="practice", full=True)

    Experiment().recruit()

    assert ">>>> ----- All networks full: closing recruitment" in logged(caplog)
    assert "Close recruitment." in caplog.messages  # the recruiter (hotair) closed recruitment


# Completion (EXP-23..EXP-29, EXP-41) ---------------------------------------------------


@pytest.fixture
def participant_with_work(make_participant, make_network):
    """A participant with two live nodes, a failed one and an answer; and someone else's node."""
    participant = make_participant()
    first, second, third = (make_network(role="experiment") for _ in range(3))
    live = [Node(network=first, participant=participant), Node(network=second, participant=participant)]
    already_failed = Node(network=third, participant=participant)
    for node in (*live, already_failed):
        node.save()
    already_failed.fail(reason="earlier")
    Question(participant=participant, number=1, question="q", response="r").save()
    bystander = Node(network=first, participant=make_participant())
    bystander.save()
    return participant, live, already_failed, bystander


def test_default_checks_pass(make_participant):
    participant = make_participant()
    experiment = Experiment()

    assert experiment.data_check(participant) is True
    assert experiment.attention_check(participant) is True
    assert experiment.is_complete() is None


@pytest.mark.parametrize(
    "hook",
    [
        "data_check_failed",
        "attention_check_failed",
        "assignment_abandoned",
        "assignment_returned",
        "assignment_reassigned",
        "fail_participant",
    ],
)
def test_failure_hooks_fail_the_participants_nodes_only(participant_with_work, hook):
    participant, live, already_failed, bystander = participant_with_work

    getattr(Experiment(), hook)(participant)

    assert all(Node.objects.get(pk=node.pk).failed for node in live)
    assert Node.objects.get(pk=already_failed.pk).failed_reason == "earlier"  # left as it was
    assert not Node.objects.get(pk=bystander.pk).failed
    stored = Participant.objects.get(pk=participant.pk)
    assert not stored.failed
    assert stored.status == ParticipantStatus.WORKING
    assert not Question.objects.get(participant=participant).failed


def test_failing_a_node_frees_its_place_in_the_network(make_network, make_participant):
    network = make_network(Chain, max_size=1, role="experiment")
    participant = make_participant()
    Node(network=network, participant=participant).save()
    network.refresh_from_db()
    assert network.full

    Experiment().fail_participant(participant)

    network.refresh_from_db()
    assert not network.full


def test_bonus_is_zero(make_participant):
    assert Experiment().bonus(make_participant()) == 0


def test_bonus_reason_thanks_the_participant():
    # Dallinger's code says "Thank for participating!"; its documentation has the "you".
    assert Experiment().bonus_reason() == "Thank you for participating! Here is your bonus."


def test_no_op_hooks_return_none(make_participant):
    experiment = Experiment()

    assert experiment.submission_successful(make_participant()) is None
    assert experiment.send("chat:{}") is None
    assert experiment.on_launch() is None


# Hook signatures (EXP-30 and the others the server calls) --------------------------------

REQUEST_HOOKS = {
    "info_get_request": ["node", "infos"],
    "info_post_request": ["node", "info"],
    "node_get_request": ["node", "nodes"],
    "node_post_request": ["participant", "node"],
    "transformation_get_request": ["node", "transformations"],
    "transformation_post_request": ["node", "transformation"],
    "transmission_get_request": ["node", "transmissions"],
    "transmission_post_request": ["node", "transmissions"],
    "vector_get_request": ["node", "vectors"],
    "vector_post_request": ["node", "vectors"],
}


@pytest.mark.parametrize(("hook", "parameters"), REQUEST_HOOKS.items())
def test_request_hooks_have_dallingers_signature_and_do_nothing(hook, parameters):
    method = getattr(Experiment(), hook)

    assert list(inspect.signature(method).parameters) == parameters
    assert method(*[object()] * len(parameters)) is None


def test_node_get_request_arguments_are_optional():
    signature = inspect.signature(Experiment().node_get_request)

    assert [parameter.default for parameter in signature.parameters.values()] == [None, None]
    assert Experiment().node_get_request() is None


@pytest.mark.parametrize(
    ("method", "parameters"),
    [
        ("__init__", {"session": None, "no_configure": False}),
        ("networks", {"role": "all", "full": "all"}),
        ("get_network_for_participant", {"participant": inspect.Parameter.empty}),
        ("choose_network", {"networks": inspect.Parameter.empty, "participant": inspect.Parameter.empty}),
        ("create_node", {"participant": inspect.Parameter.empty, "network": inspect.Parameter.empty}),
        ("add_node_to_network", {"node": inspect.Parameter.empty, "network": inspect.Parameter.empty}),
        ("is_overrecruited", {"waiting_count": inspect.Parameter.empty}),
        ("log", {"text": inspect.Parameter.empty, "key": "?????", "force": False}),
        ("make_uuid", {"app_id": None}),
        ("events_for_replay", {"session": None, "target": None}),
    ],
)
def test_other_hooks_have_dallingers_signature(method, parameters):
    signature = inspect.signature(getattr(Experiment, method))
    found = {name: parameter.default for name, parameter in signature.parameters.items() if name not in ("self", "cls")}

    assert found == parameters


def test_create_participant_has_dallingers_parameters():
    parameters = inspect.signature(Experiment.create_participant).parameters

    assert list(parameters)[:7] == [
        "self",
        "worker_id",
        "hit_id",
        "assignment_id",
        "mode",
        "recruiter_name",
        "fingerprint_hash",
    ]
    assert parameters["recruiter_name"].default is None
    assert parameters["fingerprint_hash"].default is None


# Logging (EXP-31, EXP-32) --------------------------------------------------------------


def test_log_writes_key_and_text_when_verbose(caplog):
    caplog.set_level(logging.INFO, logger=EXPERIMENT_LOGGER)
    experiment = Experiment()

    experiment.log("hello")
    experiment.log("with a key", key="abc")

    assert logged(caplog) == [">>>> ????? hello", ">>>> abc with a key"]


def test_log_is_quiet_unless_verbose_or_forced(caplog):
    caplog.set_level(logging.INFO, logger=EXPERIMENT_LOGGER)
    experiment = Experiment()
    experiment.verbose = False

    experiment.log("not shown")
    experiment.log("shown anyway", key="!", force=True)

    assert logged(caplog) == [">>>> ! shown anyway"]


def test_log_summary_counts_participants_by_status(make_participant, caplog):
    caplog.set_level(logging.INFO, logger=EXPERIMENT_LOGGER)
    make_participant()
    make_participant()
    make_participant(status=ParticipantStatus.BAD_DATA)
    make_participant(status=ParticipantStatus.APPROVED)

    summary = Experiment().log_summary()

    assert summary == [("approved", 1), ("bad_data", 1), ("working", 2)]
    assert logged(caplog) == [">>>> ????? Status summary: [('approved', 1), ('bad_data', 1), ('working', 2)]"]


def test_log_summary_of_nobody_is_empty(db):
    assert Experiment().log_summary() == []


# Helpers (EXP-33, EXP-36, EXP-42, EXP-43) ----------------------------------------------


@pytest.mark.parametrize("given", ["0b8a6c72-3e1f-4d4b-9f6e-2a7f1c0d9e53", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"])
def test_make_uuid_keeps_a_valid_uuid(given):
    assert Experiment.make_uuid(given) == given
    assert Experiment.make_uuid(uuid.UUID(given)) == given


@pytest.mark.parametrize("given", [None, "", "not-a-uuid", "1234"])
def test_make_uuid_otherwise_makes_a_new_version_4_uuid(given):
    made = Experiment.make_uuid(given)

    parsed = uuid.UUID(made)
    assert str(parsed) == made
    assert parsed.version == 4
    assert parsed.variant == uuid.RFC_4122


def test_make_uuid_makes_a_different_uuid_each_time():
    assert len({Experiment.make_uuid() for _ in range(20)}) == 20


def test_save_saves_every_object(db):
    experiment = Experiment(session)
    network = Empty(role="experiment")
    other = Chain(max_size=2)

    experiment.save(network, other)
    network.role = "practice"
    experiment.save(network)
    experiment.save()

    assert [(type(saved), saved.role) for saved in Network.objects.order_by("id")] == [
        (Empty, "practice"),
        (Chain, "default"),
    ]


def test_events_for_replay_are_every_info_oldest_first(make_node):
    origin = make_node()
    made = [Info(origin=origin, contents=str(number)) for number in range(3)]
    for info in made:
        info.save()
    made[1].fail()

    events = Experiment().events_for_replay()

    assert list(events.all()) == made
    assert list(Experiment().events_for_replay(session=session, target=None)) == made


def test_replay_hooks_are_stubs():
    experiment = Experiment()

    assert experiment.replay_start() is None
    assert experiment.replay_event(object()) is None
    assert experiment.replay_finish() is None
    assert experiment.replay_started() is True


# Extra routes (experiment_route) ---------------------------------------------------------


def test_the_base_class_declares_no_routes():
    assert Experiment.routes() == []


def test_routes_in_declaration_order_with_their_methods():
    class Routed(Experiment):
        @experiment_route("/hooks/zebra")
        def zebra(self, request):
            return {}

        @experiment_route("/hooks/apple/<int:n>", methods=["get", "post"])
        def apple(self, request, n):
            return {}

        def not_a_route(self, request):
            return {}

    assert Routed.routes() == [("/hooks/zebra", ("GET",), "zebra"), ("/hooks/apple/<int:n>", ("GET", "POST"), "apple")]


def test_classmethod_and_staticmethod_routes_are_found():
    class Routed(Experiment):
        @experiment_route("/hooks/above", methods=["POST", "GET"])
        @classmethod
        def above(cls, request):
            return {}

        @classmethod
        @experiment_route("/hooks/below")
        def below(cls, request):
            return {}

        @experiment_route("/hooks/static")
        @staticmethod
        def static(request):
            return {}

    assert Routed.routes() == [
        ("/hooks/above", ("POST", "GET"), "above"),
        ("/hooks/below", ("GET",), "below"),
        ("/hooks/static", ("GET",), "static"),
    ]


def test_a_subclass_inherits_and_may_override_routes():
    class Base(Experiment):
        @experiment_route("/hooks/kept")
        def kept(self, request):
            return {"by": "base"}

        @experiment_route("/hooks/moved")
        def moved(self, request):
            return {}

    class Derived(Base):
        def kept(self, request):  # overridden without the decorator: the route stays
            return {"by": "derived"}

        @experiment_route("/hooks/moved/here", methods=["POST"])
        def moved(self, request):
            return {}

        @experiment_route("/hooks/new")
        def new(self, request):
            return {}

    assert Derived.routes() == [
        ("/hooks/kept", ("GET",), "kept"),
        ("/hooks/moved/here", ("POST",), "moved"),
        ("/hooks/new", ("GET",), "new"),
    ]
    assert Derived().kept(None) == {"by": "derived"}
    assert Base.routes() == [("/hooks/kept", ("GET",), "kept"), ("/hooks/moved", ("GET",), "moved")]


@pytest.mark.parametrize("rule", ["/hooks/<float:x>", "/hooks/<string:name>"])
def test_a_rule_with_an_unknown_converter_fails_at_once(rule):
    with pytest.raises(ImproperlyConfigured, match="invalid converter"):
        experiment_route(rule)
