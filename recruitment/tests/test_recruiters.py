"""The hotair and cli recruiters, and finding a recruiter by name."""

import logging
from urllib.parse import parse_qs, urlparse

import pytest

from core.models import Recruitment
from experiments.config import Configuration
from recruitment.recruiters import (
    CLOSE_RECRUITMENT_LOG_PREFIX,
    NEW_RECRUIT_LOG_PREFIX,
    CLIRecruiter,
    HotAirRecruiter,
    RecruiterError,
    by_name,
    for_participant,
    from_config,
    nickname_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def config():
    configuration = Configuration()
    configuration.set("mode", "sandbox")
    return configuration


def query(url) -> dict:
    return {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}


def test_cli_recruit_logs_and_records_one_new_ad_url_per_participant(config, caplog):
    recruiter = CLIRecruiter(config, base_url="https://experiment.example.org/")
    caplog.set_level(logging.INFO, logger="recruitment")

    urls = recruiter.recruit(n=3)

    assert len(urls) == 3 and len(set(urls)) == 3
    for url in urls:
        assert url.startswith("https://experiment.example.org/ad?")
        params = query(url)
        assert params["recruiter"] == "cli" and params["mode"] == "sandbox"
        assert params["assignmentId"] and params["hitId"] and params["workerId"]
        assert f"{NEW_RECRUIT_LOG_PREFIX} {url}" in caplog.text
    assert Recruitment.objects.filter(recruiter_id="cli").count() == 3


def test_cli_open_recruitment_returns_urls_and_tells_where_to_find_more(config):
    opened = CLIRecruiter(config).open_recruitment(n=2)

    assert len(opened["items"]) == 2
    assert NEW_RECRUIT_LOG_PREFIX in opened["message"]


def test_hotair_always_recruits_in_debug_mode(config):
    opened = HotAirRecruiter(config).open_recruitment(n=1)

    assert query(opened["items"][0])["mode"] == "debug"
    assert query(opened["items"][0])["recruiter"] == "hotair"
    assert "open browser windows" in opened["message"]


def test_close_recruitment_is_logged(config, caplog):
    caplog.set_level(logging.INFO, logger="recruitment")

    HotAirRecruiter(config).close_recruitment()

    assert CLOSE_RECRUITMENT_LOG_PREFIX in caplog.text


def test_recruiter_can_be_called_like_a_method_for_older_experiments(config):
    recruiter = HotAirRecruiter(config)

    assert recruiter() is recruiter


def test_by_name_accepts_nickname_or_class_name_and_refuses_others():
    assert by_name("cli") is CLIRecruiter
    assert by_name("HotAirRecruiter") is HotAirRecruiter
    with pytest.raises(
        RecruiterError,
        match="Unknown recruiter 'nope'.*bots, cli, devprolific, hotair, mturk, mturklarge, multi, prolific",
    ):
        by_name("nope")


def test_from_config_uses_the_configured_recruiter_or_hotair(config):
    assert isinstance(from_config(config, base_url="http://x"), HotAirRecruiter)
    config.set("recruiter", "cli")
    recruiter = from_config(config, base_url="http://x")
    assert isinstance(recruiter, CLIRecruiter) and not isinstance(recruiter, HotAirRecruiter)


@pytest.mark.parametrize(
    "recruiter_id, nickname", [(None, "hotair"), ("", "hotair"), ("cli", "cli"), ("bots:http", "bots")]
)
def test_nickname_of_a_participants_recruiter_id(recruiter_id, nickname):
    assert nickname_of(recruiter_id) == nickname


def test_for_participant_builds_the_recruiter_that_brought_them(config, make_participant):
    participant = make_participant(recruiter_id="cli")

    assert type(for_participant(participant, config, base_url="http://x")) is CLIRecruiter
