"""`scripts/production` (deploy/production.py): where its PostgreSQL and Redis keep their data, and
the mistakes it refuses before starting anything."""

import sys

import pytest

from deploy import production


class Replaced(Exception):
    """os.execve was called: the command line and environment this process would have become."""


@pytest.fixture
def exec_calls(monkeypatch):
    """Catch os.execve instead of replacing the test process; no service variables set."""
    for name in ("DATABASE_URL", "REDIS_URL", production.DATA_MARK):
        monkeypatch.delenv(name, raising=False)

    def execve(path, argv, env):
        raise Replaced(argv, env)

    monkeypatch.setattr(production.os, "execve", execve)


def services_command(argv: list) -> tuple[list, dict]:
    """The command line and environment `production.main(argv)` would run scripts/services.py with."""
    with pytest.raises(Replaced) as replaced:
        production.main(argv)
    return replaced.value.args


def test_without_servers_the_data_is_kept_in_the_repository_folder_by_default(exec_calls):
    command, env = services_command(["bartlett1932", "--port", "8123"])

    data = str(production.DEFAULT_DATA.resolve())
    assert command[:5] == [sys.executable, str(production.SERVICES), "--data", data, "--"]
    assert command[-3:] == ["bartlett1932", "--port", "8123"]
    assert env[production.DATA_MARK] == data


def test_without_servers_the_data_goes_where_data_says(exec_calls, tmp_path):
    command, _ = services_command(["bartlett1932", "--data", str(tmp_path / "kept")])

    assert command[2:4] == ["--data", str(tmp_path / "kept")]


def test_throwaway_data_only_when_asked_for(exec_calls):
    command, env = services_command(["bartlett1932", "--throwaway"])

    assert command[2:3] == ["--throwaway"]
    assert env[production.DATA_MARK] == "throwaway"
    assert "--data" not in command[:command.index("--")]


def test_one_server_without_the_other_is_refused(exec_calls, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://somewhere/db")

    with pytest.raises(SystemExit, match="Only DATABASE_URL is set: set both DATABASE_URL and REDIS_URL, or neither"):
        production.main(["bartlett1932"])


def test_a_data_folder_with_given_servers_is_refused(exec_calls, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://somewhere/db")
    monkeypatch.setenv("REDIS_URL", "redis://somewhere/0")

    with pytest.raises(SystemExit, match="--data and --throwaway apply only without DATABASE_URL and REDIS_URL"):
        production.main(["bartlett1932", "--data", "/tmp/elsewhere"])


def test_data_and_throwaway_together_are_refused(exec_calls, capsys):
    with pytest.raises(SystemExit):
        production.main(["bartlett1932", "--data", "/tmp/elsewhere", "--throwaway"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_count_of_websocket_processes_below_one_is_refused_before_anything_starts(exec_calls):
    with pytest.raises(SystemExit, match="websocket_processes .* must be at least 1"):
        production.main(["bartlett1932", "--websocket-processes", "0"])
