"""A five-person Bartlett (1932) transmission chain, driven over HTTP as the browser client does."""

import pytest

from core.models import Info

CHAIN_LENGTH = 5

pytestmark = pytest.mark.django_db(transaction=True)


def original_stories(experiment_directory) -> set[str]:
    """The texts the story source can send."""
    stimuli = experiment_directory / "static" / "stimuli"
    return {path.read_text(encoding="utf-8").strip() for path in stimuli.glob("*.md")}


def ok(response) -> dict:
    """The JSON of a success envelope (fails the test on anything else)."""
    assert response.status_code == 200, (response.status_code, response.content[:2000])
    body = response.json()
    assert body["status"] == "success", body
    return body


def create_participant(client, number: int) -> dict:
    """POST /participant/<worker>/<hit>/<assignment>/<mode>, as `dallinger.createParticipant`."""
    response = client.post(f"/participant/worker{number}/hit1/assignment{number}/debug", {"recruiter": "hotair"})
    return ok(response)["participant"]


def finish(client, participant_id: int) -> None:
    """The questionnaire and the submission (`submitQuestionnaire` then `submitAssignment`)."""
    ok(
        client.post(
            f"/question/{participant_id}",
            {"question": "questionnaire", "response": '{"engagement": "5", "difficulty": "2"}', "number": 1},
        )
    )
    ok(client.post("/worker_complete", {"participant_id": participant_id}))


def test_five_participants_each_retell_the_story_the_previous_one_wrote(client, use_experiment):
    # Given a launched Bartlett chain with room for five participants
    loaded = use_experiment("bartlett1932", num_participants=CHAIN_LENGTH)
    launched = ok(client.post("/launch"))
    assert "recruitment" in launched["recruitment_msg"].lower()

    # When five participants, one after the other, read what they were sent and retell it
    texts_received = []
    texts_written = []
    network_ids = set()
    for number in range(1, CHAIN_LENGTH + 1):
        participant = create_participant(client, number)
        assert participant["status"] == "working"
        assert participant["unique_id"] == f"worker{number}:assignment{number}"

        node = ok(client.post(f"/node/{participant['id']}"))["node"]
        assert node["participant_id"] == participant["id"]
        network_ids.add(node["network_id"])

        infos = ok(client.get(f"/node/{node['id']}/received_infos"))["infos"]
        assert len(infos) == 1, infos
        texts_received.append(infos[0]["contents"])

        retelling = f"[marker-{number}-{participant['id']}] A story of {len(infos[0]['contents'])} characters, retold."
        info = ok(client.post(f"/info/{node['id']}", {"contents": retelling, "info_type": "Info"}))["info"]
        assert info["origin_id"] == node["id"]
        assert info["contents"] == retelling
        texts_written.append(retelling)

        finish(client, participant["id"])
        assert ok(client.get(f"/participant/{participant['id']}"))["participant"]["status"] == "approved"

    # Then every participant received exactly the previous participant's retelling,
    # and the first one the story the source sent
    assert len(network_ids) == 1
    first_story = texts_received[0]
    assert first_story in original_stories(loaded.directory)
    source_infos = Info.objects.filter(origin__type="war_of_the_ghosts_source")
    assert [info.contents for info in source_infos] == [first_story]
    assert texts_received[1:] == texts_written[:-1]
    for number, text in enumerate(texts_received[1:], start=1):
        assert f"[marker-{number}-" in text
        assert text.count("[marker-") == 1

    network = ok(client.get(f"/network/{network_ids.pop()}"))["network"]
    assert network["full"] is True
    assert network["n_alive_nodes"] == CHAIN_LENGTH + 1
    assert network["max_size"] == CHAIN_LENGTH + 1

    summary = ok(client.get("/summary"))
    assert summary["summary"] == [["approved", CHAIN_LENGTH]]
    assert summary["completed"] is True
    assert summary["unfilled_networks"] == 0

    # And a sixth participant finds no network left and goes straight to the questionnaire
    sixth = create_participant(client, CHAIN_LENGTH + 1)
    refused = client.post(f"/node/{sixth['id']}")
    assert refused.status_code == 403, refused.content
    body = refused.json()
    assert body["status"] == "error"
    assert body["error_code"] == "no_network_available"
    assert "html" in body and body["message"]

    while_working = ok(client.get("/summary"))
    assert while_working["completed"] is False  # someone is still working

    finish(client, sixth["id"])
    summary = ok(client.get("/summary"))
    assert summary["summary"] == [["approved", CHAIN_LENGTH + 1]]
    assert summary["completed"] is True
    assert Info.objects.count() == CHAIN_LENGTH + 1
