"""The routes Dallinger opens to pages on any origin answer with its cross-origin headers."""

import pytest

from core.infos import TrackingEvent
from core.models import Info
from experiments.tests.api_support import create_participant, post_form, success

CROSS_ORIGIN_ROUTES = [
    "/info/{node}",
    "/tracking_event/{node}",
    "/notifications",
    "/prolific-submission-listener",
    "/mturk-sns-listener",
]


@pytest.fixture
def node_id(client, recording):
    recording()
    participant = create_participant(client)["participant"]
    return success(client.post(f"/node/{participant['id']}"))["node"]["id"]


@pytest.mark.parametrize("route", CROSS_ORIGIN_ROUTES)
def test_every_answer_of_a_cross_origin_route_may_be_read_by_any_page(client, node_id, route):
    # An empty form is refused by each of them: error answers carry the headers too.
    response = post_form(client, route.format(node=node_id), {})

    assert response.status_code >= 400
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"].split(", ")
    assert response["Access-Control-Max-Age"] == "21600"


@pytest.mark.parametrize("route", CROSS_ORIGIN_ROUTES)
def test_a_preflight_of_a_cross_origin_route_allows_the_post_and_changes_nothing(client, node_id, route):
    response = client.options(
        route.format(node=node_id),
        HTTP_ORIGIN="https://elsewhere.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"].split(", ")
    assert response["Access-Control-Allow-Headers"] == "content-type"
    assert not Info.objects.exists() and not TrackingEvent.objects.exists()


def test_a_tracking_event_from_another_origin_is_recorded_and_readable(client, node_id):
    response = post_form(client, f"/tracking_event/{node_id}", {"details": '{"event": "click"}'})

    assert success(response)["details"] == {"event": "click"}
    assert response["Access-Control-Allow-Origin"] == "*"


def test_routes_dallinger_keeps_to_its_own_origin_send_no_cross_origin_header(client, node_id):
    response = client.get(f"/node/{node_id}/infos")

    assert response.status_code == 200
    assert not response.has_header("Access-Control-Allow-Origin")
