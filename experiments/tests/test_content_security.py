"""The participant pages' Content-Security-Policy as data: additions, their checks, the header's text."""

import pytest

from experiments.config import Configuration, ConfigurationError
from experiments.content_security import (
    PARTICIPANT_POLICY,
    frameable_by_others,
    header_value,
    parse_additions,
    participant_policy,
    with_sources,
)


def test_the_participant_policy_allows_inline_code_and_own_websockets_only():
    policy = participant_policy(host="exp.example.test", recruiter_sources={}, experiment_sources={})

    assert header_value(policy) == (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; media-src 'self' data: blob:; "
        "connect-src 'self' ws://exp.example.test wss://exp.example.test; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    )


def test_recruiter_and_experiment_sources_are_added_once_each():
    policy = participant_policy(
        host="h",
        recruiter_sources={"form-action": ("https://www.mturk.com",), "frame-ancestors": ("https://worker.mturk.com",)},
        experiment_sources={
            "form-action": ("https://www.mturk.com", "'self'"),
            "script-src": ("https://cdn.example.org",),
        },
    )

    assert policy["form-action"] == ("'self'", "https://www.mturk.com")
    assert policy["frame-ancestors"] == ("'self'", "https://worker.mturk.com")
    assert policy["script-src"] == ("'self'", "'unsafe-inline'", "https://cdn.example.org")


def test_a_directive_the_policy_lacks_starts_from_default_src_and_none_gives_way():
    policy = with_sources(PARTICIPANT_POLICY, {"font-src": ("https://fonts.example.org",), "object-src": ("'self'",)})

    assert policy["font-src"] == ("'self'", "https://fonts.example.org")
    assert policy["object-src"] == ("'self'",)
    assert with_sources(PARTICIPANT_POLICY, {"object-src": ()})["object-src"] == ("'none'",)


def test_frameable_by_others_only_when_frame_ancestors_names_another_site():
    assert not frameable_by_others(PARTICIPANT_POLICY)
    assert not frameable_by_others({"frame-ancestors": ("'none'",)})
    assert frameable_by_others(with_sources(PARTICIPANT_POLICY, {"frame-ancestors": ("https://worker.mturk.com",)}))


def test_additions_are_read_from_json():
    text = '{"script-src": ["https://cdn.example.org", "\'unsafe-eval\'", "\'sha256-abc+/=\'"], "img-src": ["https:"]}'

    assert parse_additions(text) == {
        "script-src": ("https://cdn.example.org", "'unsafe-eval'", "'sha256-abc+/='"),
        "img-src": ("https:",),
    }
    assert parse_additions("{}") == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "must be JSON"),
        ('["https://cdn.example.org"]', "must be a JSON object"),
        ('{"sandbox": ["allow-scripts"]}', "cannot add sources to 'sandbox'"),
        ('{"report-uri": ["https://collector.example.org"]}', "cannot add sources to 'report-uri'"),
        ('{"script-src": "https://cdn.example.org"}', "script-src must be a list of sources"),
        ('{"script-src": ["https://a.example.org https://b.example.org"]}', "must be a list of sources"),
        ('{"script-src": ["https://a.example.org; object-src *"]}', "must be a list of sources"),
        ('{"script-src": ["https://a.example.org,https://b.example.org"]}', "must be a list of sources"),
        ('{"script-src": ["\'none\'"]}', "must be a list of sources"),
        ('{"script-src": ["unsafe-eval\'"]}', "must be a list of sources"),
        ('{"script-src": ["\'nonce-a\'b\'"]}', "must be a list of sources"),
        ('{"script-src": [""]}', "must be a list of sources"),
        ('{"script-src": [1]}', "must be a list of sources"),
    ],
)
def test_additions_that_are_not_sources_are_refused_saying_why(text, message):
    with pytest.raises(ValueError, match=message):
        parse_additions(text)


def test_the_configuration_key_is_checked_when_set_and_defaults_to_nothing_added():
    config = Configuration()
    assert config.get("content_security_policy_extra") == "{}"

    config.set("content_security_policy_extra", '{"connect-src": ["https://api.example.org"]}')
    with pytest.raises(ConfigurationError, match="'content_security_policy_extra' .*is not valid"):
        config.set("content_security_policy_extra", '{"script-src": ["https://a.example.org; object-src *"]}')
    assert config.get("content_security_policy_extra") == '{"connect-src": ["https://api.example.org"]}'
