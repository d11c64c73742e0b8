"""The task that runs one bot, and how the bot recruiter reaches it without naming it."""

import pytest

from experiments import tasks
from recruitment import host
from recruitment.bots import BotRecruiter


def test_a_bots_run_is_acknowledged_on_receipt_as_a_second_run_would_be_a_second_participant():
    assert tasks.run_bot.acks_late is False


def test_the_runtime_gives_recruitment_the_bot_task():
    signature = host.current().bot_run("http://server/ad?x=1", "browser")

    assert signature.task == tasks.run_bot.name
    assert tuple(signature.args) == ("http://server/ad?x=1", "browser")


@pytest.mark.django_db(transaction=True)
def test_the_bot_recruiter_sends_the_runtime_task_for_each_bot(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.run_bot, "apply_async", lambda *args, **kwargs: sent.append(kwargs or args))

    class Config(dict):
        def get(self, key, default=None):
            return super().get(key, default)

    BotRecruiter(Config(bot_type="http", mode="debug"), base_url="http://server").recruit(n=2)

    assert len(sent) == 2
