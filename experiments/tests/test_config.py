"""Tests for the layered experiment configuration (`experiments.config`)."""

import logging
import textwrap
import traceback
import types

import pytest

from experiments import config as config_module
from experiments.config import REDACTED, Configuration, ConfigurationError, get_config, reset_config
from experiments.config_defaults import BUILT_IN_KEYS, DEFAULT_VALUES

SECRET = "hunter2-do-not-show"

# Every key of the configuration chapter, and the platform keys named elsewhere in the
# documentation, with the type Dallinger registers (the chapter calls loglevel and port
# "unicode"; Dallinger's code registers them as int, and so do we).
SPEC_KEY_TYPES = {
    "mode": str,
    "logfile": str,
    "loglevel": int,
    "whimsical": bool,
    "dashboard_password": str,
    "dashboard_user": str,
    "enable_global_experiment_registry": bool,
    "auto_recruit": bool,
    "browser_exclude_rule": str,
    "recruiter": str,
    "recruiters": str,
    "aws_access_key_id": str,
    "aws_secret_access_key": str,
    "aws_region": str,
    "ad_group": str,
    "assign_qualifications": bool,
    "group_name": str,
    "mturk_qualification_blocklist": str,
    "mturk_qualification_requirements": str,
    "title": str,
    "description": str,
    "keywords": str,
    "lifetime": int,
    "duration": float,
    "us_only": bool,
    "base_payment": float,
    "approve_requirement": int,
    "organization_name": str,
    "contact_email_on_error": str,
    "dallinger_email_address": str,
    "smtp_host": str,
    "smtp_username": str,
    "smtp_password": str,
    "database_url": str,
    "database_size": str,
    "dyno_type": str,
    "dyno_type_web": str,
    "dyno_type_worker": str,
    "redis_size": str,
    "num_dynos_web": int,
    "num_dynos_worker": int,
    "host": str,
    "port": int,
    "clock_on": bool,
    "heroku_python_version": str,
    "heroku_team": str,
    "worker_multiplier": float,
    "osf_access_token": str,
    "webdriver_type": str,
    "webdriver_url": str,
    "EXPERIMENT_CLASS_NAME": str,
}
SENSITIVE_KEYS = {
    "aws_access_key_id",
    "aws_secret_access_key",
    "dashboard_password",
    "dashboard_user",
    "database_url",
    "osf_access_token",
    "prolific_api_token",
    "prolific_webhook_secret",
    "smtp_password",
}


@pytest.fixture
def home(tmp_path):
    """A fake home directory (for `.dallingerconfig`)."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def experiment_dir(tmp_path):
    """An experiment folder (for `config.txt`)."""
    path = tmp_path / "experiment"
    path.mkdir()
    return path


def write(path, text):
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def write_local(experiment_dir, text):
    return write(experiment_dir / "config.txt", text)


def write_global(home, text):
    return write(home / ".dallingerconfig", text)


def loaded(experiment_dir, home, environ=None, **options):
    config = Configuration()
    config.load(experiment_dir, environ=environ or {}, home=home, **options)
    return config


def shows_nowhere(error, secret=SECRET):
    """The secret is neither in the message nor in a formatted traceback of the error."""
    return secret not in str(error) and secret not in "".join(traceback.format_exception(error))


# Precedence ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sources, expected, expected_source",
    [
        ({"environment", "config.txt", ".dallingerconfig"}, "from-environment", "the environment"),
        ({"config.txt", ".dallingerconfig"}, "from-config-txt", "config.txt"),
        ({".dallingerconfig"}, "from-dallingerconfig", ".dallingerconfig"),
        (set(), "us-east-1", "the built-in defaults"),
    ],
)
def test_first_source_with_a_value_wins(experiment_dir, home, sources, expected, expected_source):
    # Given aws_region in some of the four layers
    environ = {"aws_region": "from-environment"} if "environment" in sources else {}
    if "config.txt" in sources:
        write_local(experiment_dir, "[AWS]\naws_region = from-config-txt\n")
    if ".dallingerconfig" in sources:
        write_global(home, "[AWS Access]\naws_region = from-dallingerconfig\n")

    # When the configuration is loaded
    config = loaded(experiment_dir, home, environ)

    # Then the highest layer that has the key decides, and says so
    assert config.get("aws_region") == expected
    assert config.source_of("aws_region").endswith(expected_source)


def test_set_beats_every_source_and_survives_a_reload(experiment_dir, home):
    write_local(experiment_dir, "[MTurk]\nduration = 2\n")
    config = loaded(experiment_dir, home, {"duration": "3"})

    config.set("duration", 0.5)
    assert config.get("duration") == 0.5
    assert config.source_of("duration") == "set()"

    config.load(experiment_dir, environ={}, home=home)
    assert config.get("duration") == 0.5


def test_before_load_only_set_and_defaults_count(experiment_dir, home):
    write_local(experiment_dir, "[Experiment]\nmode = sandbox\n")
    config = Configuration()

    assert not config.ready
    assert config.get("mode") == "debug"
    assert config.source_of("mode") == "the built-in defaults"
    config.load(experiment_dir, environ={}, home=home)
    assert config.ready
    assert config.get("mode") == "sandbox"


def test_loading_again_replaces_what_was_read(experiment_dir, home):
    write_local(experiment_dir, "[MTurk]\ntitle = First\n")
    config = loaded(experiment_dir, home)

    write_local(experiment_dir, "[MTurk]\ndescription = Second\n")
    config.load(experiment_dir, environ={}, home=home)

    assert config.get("title") is None
    assert config.get("description") == "Second"


def test_a_failed_load_changes_nothing(experiment_dir, home):
    write_local(experiment_dir, "[MTurk]\ntitle = Good\n")
    config = loaded(experiment_dir, home)

    write_local(experiment_dir, "[MTurk]\ntitle = Bad\nlifetime = forever\n")
    with pytest.raises(ConfigurationError):
        config.load(experiment_dir, environ={}, home=home)

    assert config.get("title") == "Good"
    assert config.source_of("title") == str(experiment_dir / "config.txt")


def test_without_an_experiment_dir_no_config_txt_is_read(experiment_dir, home):
    write_local(experiment_dir, "[MTurk]\ntitle = Local\n")
    write_global(home, "[MTurk]\ntitle = Global\n")

    config = loaded(None, home)

    assert config.get("title") == "Global"


# Types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, text, expected",
    [
        ("lifetime", "24", 24),
        ("port", " 5000 ", 5000),
        ("duration", "0.5", 0.5),
        ("base_payment", "4.99", 4.99),
        ("worker_multiplier", "2", 2.0),
        ("whimsical", "true", True),
        ("whimsical", "False", False),
        ("whimsical", "1", True),
        ("whimsical", "0", False),
        ("whimsical", "yes", True),
        ("whimsical", "No", False),
        ("whimsical", "on", True),
        ("whimsical", "OFF", False),
        ("title", "  Press the button  ", "Press the button"),
    ],
)
def test_text_is_converted_to_the_registered_type(experiment_dir, home, key, text, expected):
    from_environment = loaded(experiment_dir, home, {key: text})
    write_local(experiment_dir, f"[Section]\n{key} = {text}\n")
    from_file = loaded(experiment_dir, home)

    for config in (from_environment, from_file):
        value = config.get(key)
        assert value == expected
        assert type(value) is type(expected)


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("lifetime", 3.0, 3),
        ("duration", 1, 1.0),
        ("whimsical", 0, False),
        ("whimsical", "yes", True),
        ("port", "8080", 8080),
    ],
)
def test_set_converts_python_values_and_text(key, value, expected):
    config = Configuration()
    config.set(key, value)
    assert config.get(key) == expected
    assert type(config.get(key)) is type(expected)


@pytest.mark.parametrize(
    "key, bad, wanted",
    [
        ("lifetime", "24.5", "a whole number"),
        ("lifetime", "many", "a whole number"),
        ("lifetime", "", "a whole number"),
        ("duration", "soon", "a number"),
        ("duration", "inf", "a number"),
        ("whimsical", "maybe", "true or false"),
        ("whimsical", "", "true or false"),
    ],
)
def test_a_bad_value_in_a_file_names_the_key_the_file_and_the_value(experiment_dir, home, key, bad, wanted):
    path = write_local(experiment_dir, f"[Section]\n{key} = {bad}\n")

    with pytest.raises(ConfigurationError) as caught:
        loaded(experiment_dir, home)

    message = str(caught.value)
    assert caught.value.key == key
    assert f"'{key}'" in message
    assert str(path) in message
    assert wanted in message
    assert repr(bad) in message


def test_a_bad_value_in_the_environment_names_the_variable(experiment_dir, home):
    with pytest.raises(ConfigurationError, match=r"'port' \(from environment variable PORT\).*whole number.*'abc'"):
        loaded(experiment_dir, home, {"PORT": "abc"})


@pytest.mark.parametrize(
    "key, bad",
    [("lifetime", True), ("lifetime", 2.5), ("duration", float("nan")), ("title", 5), ("whimsical", 2), ("title", None)],
)
def test_set_rejects_a_value_of_the_wrong_type(key, bad):
    config = Configuration()
    with pytest.raises(ConfigurationError, match=rf"'{key}' \(from set\(\)\)"):
        config.set(key, bad)
    assert config.source_of(key) != "set()"


def test_unrelated_environment_variables_are_ignored(experiment_dir, home):
    config = loaded(experiment_dir, home, {"PATH": "/bin", "lifetime_of_cat": "nine", "MODE": "live"})
    assert config.get("mode") == "debug"


# file: values -------------------------------------------------------------------------


def test_file_values_are_read_from_the_file(tmp_path, experiment_dir, home):
    (tmp_path / "title.txt").write_text("A title from a file\n")
    (experiment_dir / "lifetime.txt").write_text("48\n")
    (home / "token.txt").write_text(f"{SECRET}\n")
    write_local(experiment_dir, "[MTurk]\nlifetime = file:lifetime.txt\n")
    write_global(home, "[OSF]\nosf_access_token = file:~/token.txt\n")

    config = loaded(experiment_dir, home, {"title": f"file:{tmp_path / 'title.txt'}"})

    assert config.get("title") == "A title from a file"
    assert config.get("lifetime") == 48  # relative to the experiment folder, converted
    assert config.get("osf_access_token") == SECRET  # ~ is the home directory


def test_a_file_value_relative_to_dallingerconfig_starts_at_home(experiment_dir, home):
    (home / "password.txt").write_text("pw")
    write_global(home, "[Email Access]\nsmtp_password = file:password.txt\n")
    assert loaded(experiment_dir, home).get("smtp_password") == "pw"


def test_an_unreadable_file_value_names_the_key_and_the_file(tmp_path, experiment_dir, home):
    missing = tmp_path / "nowhere.txt"

    with pytest.raises(ConfigurationError) as caught:
        loaded(experiment_dir, home, {"smtp_password": f"file:{missing}"})

    message = str(caught.value)
    assert "'smtp_password'" in message
    assert "environment variable smtp_password" in message
    assert str(missing) in message
    assert "cannot be read" in message


def test_a_file_value_naming_a_folder_is_an_error(tmp_path, experiment_dir, home):
    write_local(experiment_dir, f"[MTurk]\ndescription = file:{tmp_path}\n")
    with pytest.raises(ConfigurationError, match="'description'.*cannot be read"):
        loaded(experiment_dir, home)


def test_a_file_value_that_is_not_utf8_is_an_error_without_its_bytes(tmp_path, experiment_dir, home):
    (tmp_path / "key.bin").write_bytes(b"\xff\xfe" + SECRET.encode())
    with pytest.raises(ConfigurationError, match="'aws_secret_access_key'.*not UTF-8") as caught:
        loaded(experiment_dir, home, {"aws_secret_access_key": f"file:{tmp_path / 'key.bin'}"})
    assert shows_nowhere(caught.value)


def test_set_does_not_read_files(tmp_path):
    (tmp_path / "secret.txt").write_text("contents")
    config = Configuration()
    config.set("title", f"file:{tmp_path / 'secret.txt'}")
    assert config.get("title") == f"file:{tmp_path / 'secret.txt'}"


# Synonyms -----------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["environment", "config.txt", ".dallingerconfig"])
def test_a_synonym_sets_the_key_in_every_layer(experiment_dir, home, layer):
    environ = {}
    if layer == "environment":
        environ = {"qualification_blacklist": "done-before"}
    elif layer == "config.txt":
        write_local(experiment_dir, "[HIT Configuration]\nqualification_blacklist = done-before\n")
    else:
        write_global(home, "[MTurk]\nqualification_blacklist = done-before\n")

    config = loaded(experiment_dir, home, environ)

    assert config.get("mturk_qualification_blocklist") == "done-before"
    assert config.get("qualification_blacklist") == "done-before"
    assert "qualification_blacklist" in config
    assert config.canonical("qualification_blacklist") == "mturk_qualification_blocklist"
    assert "qualification_blacklist" not in config.as_dict()


def test_set_and_source_of_accept_a_synonym(experiment_dir, home):
    config = loaded(experiment_dir, home)
    config.set("qualification_blacklist", "group-a")
    assert config.get("mturk_qualification_blocklist") == "group-a"
    assert config.source_of("qualification_blacklist") == "set()"


def test_the_canonical_name_beats_a_synonym_in_the_same_layer(experiment_dir, home):
    write_local(
        experiment_dir,
        """
        [A]
        qualification_blacklist = synonym
        [B]
        mturk_qualification_blocklist = canonical
        """,
    )
    assert loaded(experiment_dir, home).get("mturk_qualification_blocklist") == "canonical"


def test_a_synonym_in_a_higher_layer_beats_the_name_in_a_lower_one(experiment_dir, home):
    write_local(experiment_dir, "[Server]\nport = 5000\n")
    config = loaded(experiment_dir, home, {"PORT": "5123"})
    assert config.get("port") == 5123


def test_a_bad_value_under_a_synonym_says_how_it_was_written(experiment_dir, home):
    write_local(experiment_dir, "[Heroku]\nteam = \n[Server]\nPort = x\n")
    with pytest.raises(ConfigurationError, match="'port' \\(from .*config.txt, written as 'Port'\\)"):
        loaded(experiment_dir, home)


# Unknown keys -------------------------------------------------------------------------


def test_config_txt_rejects_unknown_keys_and_says_to_register_them(experiment_dir, home):
    write_local(experiment_dir, "[Experiment]\nnum_participants = 2\nmode = debug\ncustom_variable = true\n")

    with pytest.raises(ConfigurationError) as caught:
        loaded(experiment_dir, home)

    message = str(caught.value)
    assert "custom_variable, num_participants" in message
    assert str(experiment_dir / "config.txt") in message
    assert "extra_parameters()" in message


def test_dallingerconfig_ignores_keys_it_does_not_know(experiment_dir, home):
    write_global(home, "[Other experiment]\nnum_rounds = 12\n[AWS Access]\naws_region = eu-west-1\n")

    config = loaded(experiment_dir, home)

    assert config.get("aws_region") == "eu-west-1"
    with pytest.raises(ConfigurationError):
        config.get("num_rounds")


def test_ini_keys_match_whatever_their_case(experiment_dir, home):
    write_local(experiment_dir, "[MTurk]\nTitle = Shouted\nexperiment_class_name = Chain\n")
    config = loaded(experiment_dir, home)
    assert config.get("title") == "Shouted"
    assert config.get("EXPERIMENT_CLASS_NAME") == "Chain"


def test_environment_variable_names_must_match_exactly(experiment_dir, home):
    config = loaded(experiment_dir, home, {"TITLE": "Shouted", "EXPERIMENT_CLASS_NAME": "Chain"})
    assert config.get("title") is None
    assert config.get("EXPERIMENT_CLASS_NAME") == "Chain"


# Sections and INI syntax ---------------------------------------------------------------


def test_sections_only_group_keys(experiment_dir, home):
    write_local(
        experiment_dir,
        """
        [Experiment]
        mode = sandbox
        auto_recruit = true

        [MTurk]
        title = pushbutton
        base_payment = 1.00
        browser_exclude_rule = MSIE, mobile, tablet

        [Database]
        database_size = standard-0

        [Server]
        dyno_type = free
        num_dynos_web = 2
        clock_on = false
        logfile = -
        """,
    )
    config = loaded(experiment_dir, home)

    assert config.get("mode") == "sandbox"
    assert config.get("auto_recruit") is True
    assert config.get("base_payment") == 1.0
    assert config.get("browser_exclude_rule") == "MSIE, mobile, tablet"
    assert config.get("num_dynos_web") == 2
    assert config.get("clock_on") is False


def test_a_later_section_wins_and_default_section_counts(experiment_dir, home):
    write_local(experiment_dir, "[DEFAULT]\nkeywords = shared\n[One]\ntitle = first\n[Two]\ntitle = second\n")
    config = loaded(experiment_dir, home)
    assert config.get("title") == "second"
    assert config.get("keywords") == "shared"


def test_percent_signs_are_not_interpolated(experiment_dir, home):
    write_local(experiment_dir, "[MTurk]\ndescription = 100% fun, %(title)s\n")
    assert loaded(experiment_dir, home).get("description") == "100% fun, %(title)s"


def test_settings_before_any_section_are_an_error_without_the_line(experiment_dir, home):
    write_local(experiment_dir, f"smtp_password = {SECRET}\n")
    with pytest.raises(ConfigurationError, match="line 1: settings must follow a section header") as caught:
        loaded(experiment_dir, home)
    assert shows_nowhere(caught.value)


def test_a_line_that_is_not_a_setting_is_reported_by_number_only(experiment_dir, home):
    write_local(experiment_dir, f"[Email]\nsmtp_username = me\nsmtp_password {SECRET}\n")
    with pytest.raises(ConfigurationError, match=r"line\(s\) 3 are not 'key = value'") as caught:
        loaded(experiment_dir, home)
    assert shows_nowhere(caught.value)


def test_a_key_twice_in_one_section_is_an_error(experiment_dir, home):
    write_local(experiment_dir, "[MTurk]\ntitle = a\ntitle = b\n")
    with pytest.raises(ConfigurationError, match="'title' appears twice in section \\[MTurk\\]"):
        loaded(experiment_dir, home)


def test_a_config_file_that_is_not_utf8_is_an_error(experiment_dir, home):
    (experiment_dir / "config.txt").write_bytes(b"[MTurk]\ntitle = \xff\n")
    with pytest.raises(ConfigurationError, match="not UTF-8"):
        loaded(experiment_dir, home)


def test_a_bad_dallingerconfig_is_reported_with_its_path(experiment_dir, home):
    path = write_global(home, "no section here\n")
    with pytest.raises(ConfigurationError, match=str(path)):
        loaded(experiment_dir, home)


# Registration -------------------------------------------------------------------------


def test_an_experiment_registers_its_keys_in_extra_parameters(experiment_dir, home):
    config = Configuration()

    def extra_parameters():
        for key, kind in {"custom_variable": bool, "num_participants": int}.items():
            config.register(key, kind)

    experiment = types.ModuleType("experiment")
    experiment.extra_parameters = extra_parameters
    write_local(experiment_dir, "[Experiment]\ncustom_variable = true\nnum_participants = 2\n")

    config.load(experiment_dir, environ={}, home=home, experiment=experiment)

    assert config.get("custom_variable") is True
    assert config.get("num_participants") == 2
    assert config.register_extra_parameters(types.ModuleType("no_hook")) is False


def test_register_with_the_spec_signature_and_synonyms(experiment_dir, home):
    config = Configuration()
    config.register("n", int, ["number_of_rounds"], False)
    write_local(experiment_dir, "[Experiment]\nnumber_of_rounds = 7\n")
    config.load(experiment_dir, environ={}, home=home)
    assert config.get("n") == 7
    assert config.type_of("number_of_rounds") is int


@pytest.mark.parametrize("source", ["config.txt", "environment", "set"])
def test_a_validator_raising_value_error_becomes_a_configuration_error(experiment_dir, home, source):
    def even(value):
        if value % 2:
            raise ValueError("must be even")

    config = Configuration()
    config.register("pairs", int, validators=[even])
    environ = {"pairs": "3"} if source == "environment" else {}
    if source == "config.txt":
        write_local(experiment_dir, "[Experiment]\npairs = 3\n")

    with pytest.raises(ConfigurationError, match="'pairs' .*is not valid: must be even") as caught:
        config.load(experiment_dir, environ=environ, home=home)
        config.set("pairs", 3)

    assert caught.value.key == "pairs"


def test_a_value_that_passes_the_validators_is_kept():
    seen = []
    config = Configuration()
    config.register("pairs", int, validators=[seen.append])
    config.set("pairs", "4")
    assert config.get("pairs") == 4
    assert seen == [4]


def test_a_key_registered_after_load_sees_the_loaded_environment_and_dallingerconfig(experiment_dir, home):
    environ = {"rounds": "5"}
    write_global(home, "[Other]\nspeed = 1.5\n")
    config = loaded(experiment_dir, home, environ)

    environ["rounds"] = "6"  # load() took the environment as it was
    config.register("rounds", int)
    config.register("speed", float)

    assert config.get("rounds") == 5
    assert config.source_of("rounds") == "the environment"
    assert config.get("speed") == 1.5


def test_registering_after_load_with_a_bad_loaded_value_fails_and_registers_nothing(experiment_dir, home):
    config = loaded(experiment_dir, home, {"rounds": "many"})
    with pytest.raises(ConfigurationError, match="'rounds' \\(from environment variable rounds\\)"):
        config.register("rounds", int)
    with pytest.raises(ConfigurationError, match="Unknown configuration key 'rounds'"):
        config.get("rounds")


def test_registering_again_with_the_same_type_is_harmless_and_rechecks_set_values():
    config = Configuration()
    config.register("rounds", int)
    config.set("rounds", 3)
    config.register("rounds", int)
    assert config.get("rounds") == 3

    def positive(value):
        if value < 5:
            raise ValueError("must be at least 5")

    with pytest.raises(ConfigurationError, match="at least 5"):
        config.register("rounds", int, validators=[positive])
    assert config.get("rounds") == 3


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("rounds", list), "unsupported type"),
        (("lifetime", str), "already registered as int"),
        (("rounds", int, ["PORT"]), "'PORT' already names configuration key 'port'"),
        (("rounds", int, [], False, [42]), "must be callables"),
        (("", int), "needs a name"),
    ],
)
def test_register_refuses_bad_definitions(arguments, message):
    with pytest.raises(ConfigurationError, match=message):
        Configuration().register(*arguments)


# Built-in keys ------------------------------------------------------------------------


@pytest.mark.parametrize("key, kind", sorted(SPEC_KEY_TYPES.items()))
def test_every_documented_key_is_registered_with_its_type(key, kind):
    assert Configuration().type_of(key) is kind


def test_defaults_have_their_keys_types_and_the_documented_values():
    config = Configuration()
    for key, value in DEFAULT_VALUES.items():
        assert type(config.get(key)) is config.type_of(key), key
        assert config.get(key) == value
    assert config.get("dashboard_user") == "admin"
    assert config.get("aws_region") == "us-east-1"
    assert config.get("smtp_host") == "smtp.gmail.com:587"
    assert config.get("worker_multiplier") == 1.5
    assert config.get("auto_recruit") is False
    assert config.get("dashboard_password") is None  # generated where it is needed


def test_sensitive_built_in_keys():
    config = Configuration()
    assert {key.name for key in BUILT_IN_KEYS if config.is_sensitive(key.name)} == SENSITIVE_KEYS


@pytest.mark.parametrize(
    "key, good, bad",
    [
        ("mode", "sandbox", "sanbox"),
        ("loglevel", "4", "5"),
        ("approve_requirement", "95", "101"),
        ("port", "65535", "0"),
        ("recruiters", "mturk: 5, bots: 5", "mturk five"),
        ("recruiters", "bots: 2, cli: 1", "bots: 0"),
        ("mturk_qualification_requirements", '[{"QualificationTypeId": "x"}]', "{"),
        ("mturk_qualification_requirements", "[]", '{"a": 1}'),
        ("infrastructure_debug_details", '{"logs": {"title": "logs", "url": "https://x"}}', "[1]"),
        ("base_payment", "0", "-1"),
        ("duration", "0.1", "0"),
        ("protected_routes", '["/info/<int:node_id>/<int:info_id>"]', '"/info"'),
        ("protected_routes", "[]", '["info/<int:node_id>"]'),
    ],
)
def test_built_in_validators(key, good, bad):
    config = Configuration()
    config.set(key, good)
    with pytest.raises(ConfigurationError, match=f"'{key}' .*is not valid"):
        config.set(key, bad)


# Reading ------------------------------------------------------------------------------


def test_get_of_an_unknown_key_is_an_error_unless_a_default_is_given():
    config = Configuration()
    with pytest.raises(ConfigurationError, match="Unknown configuration key 'lifetme'") as caught:
        config.get("lifetme")
    assert caught.value.key == "lifetme"
    # Dallinger's recipes read unregistered keys with a default: config.get("payment_per_hour", 5.0)
    assert config.get("payment_per_hour", 5.0) == 5.0
    with pytest.raises(ConfigurationError):
        config.set("lifetme", 24)
    with pytest.raises(ConfigurationError):
        config.source_of("lifetme")


def test_get_default_getitem_and_contains():
    config = Configuration()
    assert config.get("title") is None
    assert config.get("title", "Untitled") == "Untitled"
    assert "title" not in config
    assert "no_such_key" not in config
    with pytest.raises(KeyError, match="title"):
        config["title"]
    config.set("title", "Now set")
    assert config["title"] == "Now set"
    assert "title" in config
    assert config.source_of("title") == "set()"
    assert config.source_of("description") is None


def test_get_config_returns_one_shared_configuration():
    assert isinstance(get_config(), Configuration)
    assert get_config() is get_config()


def test_reset_config_resets_the_shared_configuration_in_place(monkeypatch):
    monkeypatch.setattr(config_module, "_CONFIGURATION", Configuration())  # the real one returns afterwards
    captured = get_config()  # as an experiment module keeps it from its import
    captured.register("rounds", int)
    captured.set("title", "Old title")

    new = reset_config()

    assert new is captured is get_config()
    assert captured.get("title") is None
    with pytest.raises(ConfigurationError):
        captured.get("rounds")


# Secrets ------------------------------------------------------------------------------


def test_sensitive_values_are_redacted_in_as_dict_and_repr(experiment_dir, home):
    write_global(home, f"[AWS Access]\naws_secret_access_key = {SECRET}\n")
    config = loaded(experiment_dir, home, {"smtp_password": SECRET + "-env"})
    config.set("dashboard_password", SECRET + "-set")

    shown = config.as_dict()
    assert shown["aws_secret_access_key"] == REDACTED
    assert shown["smtp_password"] == REDACTED
    assert shown["dashboard_password"] == REDACTED
    assert shown["aws_region"] == "us-east-1"
    assert SECRET not in repr(config)
    assert SECRET not in str(config)
    assert SECRET not in repr(config.__dict__)
    assert config.get("aws_secret_access_key") == SECRET
    assert config.as_dict(redact=False)["dashboard_password"] == SECRET + "-set"


def test_a_key_named_like_a_secret_is_sensitive_even_if_registered_otherwise():
    config = Configuration()
    config.register("my_api_token", str, [], False)
    config.register("session_password", str)
    config.register("lab_access_id", str)
    config.set("my_api_token", SECRET)
    assert config.is_sensitive("my_api_token")
    assert config.is_sensitive("session_password")
    assert config.is_sensitive("lab_access_id")  # Dallinger's filter also looks for access_id
    assert config.as_dict()["my_api_token"] == REDACTED


def test_a_bad_sensitive_value_is_not_shown_in_the_error(experiment_dir, home):
    config = Configuration()
    config.register("pin", int, sensitive=True)
    write_local(experiment_dir, f"[Secrets]\npin = {SECRET}\n")

    with pytest.raises(ConfigurationError, match=f"'pin'.*must be a whole number, not {REDACTED}") as caught:
        config.load(experiment_dir, environ={}, home=home)
    assert shows_nowhere(caught.value)


def test_a_validator_message_is_not_shown_for_a_sensitive_key():
    def reject(value):
        raise ValueError(f"{value} is too weak")

    config = Configuration()
    config.register("vault_key", str, sensitive=True, validators=[reject])
    with pytest.raises(ConfigurationError, match="'vault_key'.*not shown because the value is secret") as caught:
        config.set("vault_key", SECRET)
    assert shows_nowhere(caught.value)


def test_nothing_logs_a_sensitive_value(experiment_dir, home, caplog):
    caplog.set_level(logging.DEBUG, logger="experiments.config")
    write_global(home, f"[AWS Access]\naws_secret_access_key = {SECRET}\n[Other]\nother_token = {SECRET}\n")
    write_local(experiment_dir, f"[Email]\nsmtp_password = {SECRET}\n")

    config = loaded(experiment_dir, home, {"osf_access_token": SECRET})
    config.set("dashboard_password", SECRET)
    for key in ("aws_secret_access_key", "smtp_password", "osf_access_token"):
        config.get(key)

    assert "other_token" in caplog.text  # the ignored key is named, so logging did happen
    assert SECRET not in caplog.text


def test_the_removed_prolific_reward_cents_key_says_what_replaces_it(experiment_dir, home):
    write_local(experiment_dir, "[Prolific]\nprolific_reward_cents = 150\n")

    with pytest.raises(Exception, match="base_payment") as raised:
        loaded(experiment_dir, home)
    assert "150" not in str(raised.value)


def test_the_prolific_token_is_read_from_dallingers_environment_variable(experiment_dir, home):
    config = loaded(experiment_dir, home, {"PROLIFIC_RESEARCHER_API_TOKEN": "tok-123456"})

    assert config.get("prolific_api_token") == "tok-123456"
    assert config.is_sensitive("prolific_api_token")


# Values changed while running (changeable_params) -----------------------------------------


def test_a_changeable_key_reads_its_shared_value_first_and_afresh():
    config = Configuration()
    config.set("auto_recruit", False)
    shared = {}
    config.shared_values = shared.get

    assert config.get("auto_recruit") is False and config.source_of("auto_recruit") == "set()"
    shared["auto_recruit"] = "true"  # as another process would write it
    assert config.get("auto_recruit") is True
    assert config.source_of("auto_recruit") == "the dashboard (shared by every process)"
    assert config.as_dict()["auto_recruit"] is True
    del shared["auto_recruit"]
    assert config.get("auto_recruit") is False


def test_only_changeable_keys_are_read_from_the_shared_values():
    config = Configuration()
    config.shared_values = {"mode": "live", "auto_recruit": "false"}.get

    assert config.get("mode") == "debug"
    assert config.changeable_params == ("auto_recruit",)


def test_resetting_the_process_configuration_keeps_its_reader_of_shared_values():
    config = get_config()
    reader = config.shared_values
    assert reader is not None  # installed by the experiments app

    assert reset_config().shared_values is reader
