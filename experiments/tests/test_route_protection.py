"""`protected_routes` (Dallinger's key): routes that answer 403 to participants and work for the
experimenter logged in to the dashboard."""

import json

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.test import AsyncClient, Client

from core.models import Info
from experiments.experiment import Experiment, configured_rules
from experiments.route_protection import protected_rules, rule_pattern
from experiments.tests.api_support import TEST_EXPERIMENTS

pytestmark = pytest.mark.django_db

INFO_RULE = json.dumps(["/info/<int:node_id>/<int:info_id>"])


@pytest.fixture
def experimenter():
    return get_user_model().objects.create_user("experimenter", is_staff=True)


@pytest.fixture
def info(make_node):
    node = make_node()
    info = Info(origin=node, contents="the participant's story")
    info.save()
    return info


def refused(answer) -> bool:
    body = answer.json()
    return answer.status_code == 403 and body["status"] == "error" and body["error_code"] == "protected_route"


@pytest.mark.parametrize(
    "rule, path, covered",
    [
        ("/info/<int:node_id>/<int:info_id>", "/info/1/2", True),
        ("/info/<int:node_id>/<int:info_id>", "/info/+1/2", True),  # the view would read it as 1
        ("/info/<int:node_id>/<int:info_id>", "/info/1/2/", True),
        ("/info/<int:node_id>/<int:info_id>", "/info/1", False),
        ("/info/<int:node_id>/<int:info_id>", "/info/1/2/3", False),
        ("/info/<node_id>", "/info/abc", True),
        ("/files/<path:name>", "/files/a/b.txt", True),
        ("/summary", "/summary", True),
        ("/summary", "/summaryx", False),
        ("/a.b", "/aXb", False),  # literal text is literal
    ],
)
def test_a_rule_covers_its_route_whatever_its_converters(rule, path, covered):
    assert bool(rule_pattern(rule).fullmatch(path)) is covered


def test_a_protected_route_answers_403_json_to_a_participant(use_experiment, info):
    use_experiment("bartlett1932", protected_routes=INFO_RULE)
    client = Client()

    assert refused(client.get(f"/info/{info.origin_id}/{info.pk}"))
    assert refused(client.get(f"/info/+{info.origin_id}/{info.pk}"))
    assert client.get(f"/node/{info.origin_id}/infos").status_code == 200  # other routes are open


def test_the_experimenter_logged_in_to_the_dashboard_may_call_it(use_experiment, info, experimenter):
    use_experiment("bartlett1932", protected_routes=INFO_RULE)
    client = Client()
    client.force_login(experimenter)

    answer = client.get(f"/info/{info.origin_id}/{info.pk}")

    assert answer.status_code == 200
    assert answer.json()["info"]["contents"] == "the participant's story"


def test_a_logged_in_user_who_is_not_an_experimenter_is_refused(use_experiment, info):
    use_experiment("bartlett1932", protected_routes=INFO_RULE)
    client = Client()
    client.force_login(get_user_model().objects.create_user("someone"))

    assert refused(client.get(f"/info/{info.origin_id}/{info.pk}"))


def test_an_experiment_may_protect_its_own_routes_on_its_class(use_experiment, experimenter):
    use_experiment(TEST_EXPERIMENTS / "protected_scores")
    participant, logged_in = Client(), Client()
    logged_in.force_login(experimenter)

    assert refused(participant.get("/scores/7"))
    assert participant.get("/scores-public").json()["score"] == 42
    assert logged_in.get("/scores/7").json() == {"status": "success", "node_id": 7, "score": 42}


def test_the_dashboard_itself_is_never_protected(use_experiment):
    use_experiment("bartlett1932", protected_routes=json.dumps(["/<path:everything>"]))

    assert Client().get("/dashboard/login/").status_code == 200
    assert refused(Client().get("/ad"))


def test_under_asgi_too(use_experiment, info, experimenter):
    use_experiment("bartlett1932", protected_routes=INFO_RULE)
    path = f"/info/{info.origin_id}/{info.pk}"
    participant, logged_in = AsyncClient(), AsyncClient()
    logged_in.force_login(experimenter)

    assert refused(async_to_sync(participant.get)(path))
    assert async_to_sync(logged_in.get)(path).status_code == 200


def test_no_rules_by_default(bartlett, info):
    assert Client().get(f"/info/{info.origin_id}/{info.pk}").status_code == 200


def test_the_rules_come_from_the_configuration_a_class_list_or_an_overriding_property(bartlett):
    config = bartlett.config
    config.set("protected_routes", '["/summary"]')

    class Configured(Experiment):
        def __init__(self, session):  # no default: it must not be built just to read the rules
            raise AssertionError("built")

    class Listed(Experiment):
        protected_routes = ["/launch"]

    class Computed(Experiment):
        def __init__(self, session=None):
            super().__init__(session)
            self.extra = "/experiment/<prop>"

        @property
        def protected_routes(self):
            return [self.extra, *configured_rules(self.config)]

    assert protected_rules(Configured, config) == ["/summary"]
    assert protected_rules(Listed, config) == ["/launch"]
    assert protected_rules(Computed, config) == ["/experiment/<prop>", "/summary"]
