"""Values changed while the experiment runs (auto_recruit), shared by every process through the database."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from experiments.config import ConfigurationError, get_config
from experiments.models import RuntimeSetting
from experiments.services.runtime_settings import runtime_setting_set, runtime_settings_clear
from tests.web_servers import server_environment

PROJECT_DIR = Path(__file__).resolve().parents[2]
SHARED = "the dashboard (shared by every process)"


@pytest.mark.django_db
def test_a_shared_value_stands_above_the_configured_one_until_cleared():
    config = get_config()
    config.set("auto_recruit", True)

    assert runtime_setting_set(config=config, name="auto_recruit", value=False) is False
    assert config.get("auto_recruit") is False and config.source_of("auto_recruit") == SHARED
    runtime_settings_clear()
    assert config.get("auto_recruit") is True and config.source_of("auto_recruit") == "set()"


@pytest.mark.django_db
def test_the_value_is_read_afresh_from_the_database_each_time():
    config = get_config()
    runtime_setting_set(config=config, name="auto_recruit", value=True)
    assert config.get("auto_recruit") is True

    # Another process changes the row: nothing in this one is told
    RuntimeSetting.objects.filter(name="auto_recruit").update(value="false")

    assert config.get("auto_recruit") is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, value, message",
    [
        ("mode", "live", "'mode' cannot be changed while the experiment runs; only auto_recruit can"),
        ("auto_recruit", "perhaps", "'auto_recruit' .* must be true or false"),
        ("no_such_key", True, "Unknown configuration key 'no_such_key'"),
    ],
)
def test_a_key_that_cannot_change_or_a_bad_value_is_refused_and_nothing_is_stored(name, value, message):
    with pytest.raises(ConfigurationError, match=message):
        runtime_setting_set(config=get_config(), name=name, value=value)

    assert not RuntimeSetting.objects.exists()


def read_in_another_process(settings_dict: dict) -> str:
    """`auto_recruit` and its source, as a separate Python process on the same database sees them."""
    environment = server_environment(settings_dict=settings_dict, experiment=PROJECT_DIR / "experiments" / "demos" / "pushbutton")
    code = (
        "import django; django.setup()\n"
        "from experiments.config import get_config\n"
        "from experiments import runtime\n"
        "runtime.active()\n"
        "config = get_config()\n"
        "print(config.get('auto_recruit'), '|', config.source_of('auto_recruit'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, env=environment | {"auto_recruit": "true"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_in_one_process_holds_in_another(settings):
    if connection.vendor != "postgresql":
        pytest.skip("two processes need a shared PostgreSQL database")
    settings_dict = dict(connection.settings_dict)
    assert read_in_another_process(settings_dict) == "True | the environment"

    runtime_setting_set(config=get_config(), name="auto_recruit", value=False)

    assert read_in_another_process(settings_dict) == f"False | {SHARED}"
    runtime_settings_clear()
    assert read_in_another_process(settings_dict) == "True | the environment"
