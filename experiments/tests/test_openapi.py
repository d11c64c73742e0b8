"""The OpenAPI schema describes every experiment route, and the browsable API renders."""

import pytest
import yaml
from django.core.management import call_command

from experiments import urls
from experiments.api.base import ExperimentAPIView

API_PATHS = {
    "/" + str(pattern.pattern).replace("<str:", "{").replace(">", "}")
    for pattern in urls.urlpatterns
    if issubclass(getattr(pattern.callback, "view_class", object), ExperimentAPIView)
}


def test_every_api_route_is_in_the_schema_with_its_refusals(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert set(schema["paths"]) == API_PATHS
    node_create = schema["paths"]["/node/{participant_id}"]["post"]
    assert {"200", "400", "403"} <= set(node_create["responses"])
    transmit = schema["paths"]["/node/{node_id}/transmit"]["post"]
    assert {"what", "to_whom", "details", "property1"} <= {parameter["name"] for parameter in transmit["parameters"]}


def test_schema_generation_has_no_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert (tmp_path / "schema.yaml").stat().st_size > 10_000


@pytest.mark.django_db
def test_browsable_api_renders_a_route_as_html(client, use_experiment):
    use_experiment("bartlett1932")

    response = client.get("/summary", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"unfilled_networks" in response.content


@pytest.mark.django_db
def test_a_route_answers_json_unless_html_or_a_format_is_asked_for(client, use_experiment):
    use_experiment("bartlett1932")

    as_browser = client.get("/summary?format=api")
    as_front_end = client.get("/summary", HTTP_ACCEPT="application/json, text/javascript, */*; q=0.01")
    # Dallinger answers JSON whatever the Accept header says; so does this server.
    as_anything = client.get("/summary", HTTP_ACCEPT="application/xml")

    assert as_browser["Content-Type"].startswith("text/html")
    assert as_front_end["Content-Type"] == "application/json"
    assert as_anything.status_code == 200
    assert as_anything.json()["status"] == "success"
