"""The bots recruiter (capped, enqueuing one bot run each) and the multi recruiter (quotas in turn)."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.db import transaction

from core.models import Recruitment
from experiments.config import Configuration
from recruitment import host
from recruitment.bots import BotRecruiter
from recruitment.multi import MultiRecruiter, parse_quotas
from recruitment.recruiters import RecruiterError

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def config():
    configuration = Configuration()
    configuration.set("mode", "debug")
    return configuration


@pytest.fixture
def enqueued(monkeypatch):
    """The bot runs sent to the task queue, as (url, bot_type): the runtime's bot task is
    replaced by one that records them."""
    sent = []

    class Recorder:
        def __init__(self, args):
            self.args = args

        def apply_async(self):
            sent.append(self.args)

    class RecordingHost(host.Host):
        def bot_run(self, url, bot_type):
            return Recorder((url, bot_type))

    monkeypatch.setattr(host, "_installed", RecordingHost())
    return sent


def test_bots_recruit_enqueues_one_bot_run_per_participant_after_commit(config, enqueued):
    config.set("bot_type", "browser")
    with transaction.atomic():
        urls = BotRecruiter(config, base_url="http://127.0.0.1:9000").recruit(n=3)
        assert enqueued == []  # nothing runs before the recruitment is committed

    assert [url for url, _ in enqueued] == urls
    assert {bot_type for _, bot_type in enqueued} == {"browser"}
    assert all(parse_qs(urlparse(url).query)["recruiter"] == ["bots"] for url in urls)
    assert Recruitment.objects.filter(recruiter_id="bots").count() == 3


def test_bots_recruit_nothing_when_the_transaction_rolls_back(config, enqueued):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            BotRecruiter(config).recruit(n=2)
            raise RuntimeError("the request failed")

    assert enqueued == []
    assert not Recruitment.objects.exists()


def test_max_bots_caps_recruitment_over_the_whole_experiment(config, enqueued):
    config.set("max_bots", 3)
    recruiter = BotRecruiter(config)

    assert len(recruiter.open_recruitment(n=2)["items"]) == 2
    assert len(recruiter.recruit(n=5)) == 1
    assert recruiter.recruit(n=1) == []
    assert len(enqueued) == 3


def test_quotas_parse_and_refuse_bad_text():
    assert parse_quotas("bots: 2, cli: 1") == [("bots", 2), ("cli", 1)]
    for bad in ("", "bots 2", "bots: two", "nobody: 1", "multi: 1"):
        with pytest.raises(RecruiterError):
            parse_quotas(bad)


def test_multi_recruits_from_each_recruiter_in_turn_until_quotas_are_used(config, enqueued):
    config.set("recruiters", "bots: 2, cli: 1")
    recruiter = MultiRecruiter(config, base_url="http://x")

    first = recruiter.open_recruitment(n=1)["items"]
    rest = recruiter.recruit(n=5)

    recruiters = [parse_qs(urlparse(url).query)["recruiter"][0] for url in first + rest]
    assert recruiters == ["bots", "bots", "cli"]
    assert len(enqueued) == 2
    assert recruiter.recruit(n=1) == []
