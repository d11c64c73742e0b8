"""Fixtures for the experiment runtime's tests: the experiments the API tests run."""

import pytest

from experiments.tests.api_support import TEST_EXPERIMENTS


@pytest.fixture
def bartlett(db, use_experiment):
    """The bundled Bartlett (1932) demo as the server's experiment."""
    return use_experiment("bartlett1932")


@pytest.fixture
def recording(db, use_experiment):
    """The `recording` test experiment, which writes down every hook the server calls.

    Call it with configuration overrides: `recording(waiting_room_size=2)`.
    """

    def use(**config_overrides):
        return use_experiment(TEST_EXPERIMENTS / "recording", **config_overrides)

    return use

