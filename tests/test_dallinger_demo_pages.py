"""The participant pages of the mcmcp, rogers, function_learning and iterated_drawing demos."""

import pytest

#: Each demo and the ids its page script and its browser bot rely on.
PAGE_ELEMENTS = {
    "mcmcp": ["left_button", "right_button", "left-animal", "right-animal"],
    "rogers": ["more-blue", "more-yellow", "dots", "hint", "trial-count"],
    "function_learning": ["x-bar", "y-value", "answer", "next", "feedback-bar"],
    "iterated_drawing": ["picture", "finish-looking", "canvas", "submit-drawing"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("demo", sorted(PAGE_ELEMENTS))
def test_each_page_of_the_demo_renders_with_what_its_script_needs(use_experiment, client, demo):
    use_experiment(demo)
    experiment_page = client.get("/exp?participant_id=1")
    assert experiment_page.status_code == 200
    html = experiment_page.content.decode()
    assert "/static/scripts/dallinger2.js" in html and "/static/scripts/experiment.js" in html
    assert [element for element in PAGE_ELEMENTS[demo] if f'id="{element}"' not in html] == []
    for page in ("/instructions", "/questionnaire", "/static/scripts/experiment.js"):
        assert client.get(page + "?participant_id=1").status_code == 200, page
