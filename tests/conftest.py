"""Fixtures of the cross-app tests."""

import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def run_tmp():
    """A private TMPDIR for a run, to see what it leaves behind. Short: Chromium fails to start
    when the path of the socket it makes there passes the 107 characters Linux allows."""
    path = Path(tempfile.mkdtemp(prefix="run-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
