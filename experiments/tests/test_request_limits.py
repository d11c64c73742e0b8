"""Requests too large or too complex to read are refused with a 4xx envelope, never a 500."""

import pytest

from core.models import Info
from experiments.tests.api_support import assert_error, create_participant, post_form, success


@pytest.fixture
def node_id(client, bartlett):
    participant = create_participant(client)["participant"]
    return success(client.post(f"/node/{participant['id']}"))["node"]["id"]


def test_a_body_over_the_upload_limit_is_413(client, node_id, settings):
    before = Info.objects.count()
    body = "contents=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = client.post(f"/info/{node_id}", body, content_type="application/x-www-form-urlencoded")

    assert_error(response, 413)
    assert Info.objects.count() == before


def test_more_form_fields_than_allowed_is_400(client, node_id, settings):
    before = Info.objects.count()
    fields = {f"field{number}": "1" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    assert_error(post_form(client, f"/info/{node_id}", {"contents": "x", **fields}), 400)
    assert Info.objects.count() == before


def test_details_nested_just_short_of_the_parsers_limit_are_400(client, node_id):
    details = "[" * 990 + "]" * 990

    assert_error(post_form(client, f"/tracking_event/{node_id}", {"details": '{"a": ' + details + "}"}), 400)
