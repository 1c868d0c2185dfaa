"""`cockpit serve --wall` without a browser: the fixed per-session command, loopback by default, the warning for
another address, one-line errors (exit 2) for bad input and a port in use."""

from __future__ import annotations

import shlex
import socket
from pathlib import Path

import pytest

from cockpit.cli import main
from cockpit.ui.serve import OPEN_WARNING, WallSession, is_loopback, serve_wall


@pytest.fixture(autouse=True)
def restored_environment(monkeypatch):
    """serve_wall hands the journal to its sessions through COCKPIT_STATE: put it back after each test."""
    monkeypatch.setenv("COCKPIT_STATE", "unused")


def test_the_session_command_is_the_read_only_wall_and_carries_no_journal_location(tmp_path: Path):
    odd = tmp_path / "my plan; rm -rf ~.toml"
    command = WallSession(odd, "production", "postgresql://u:s3cret@db/journal", python="/py").command()
    assert shlex.split(command) == ["/py", "-m", "cockpit", "--wall", "--env", "production", "--runbook", str(odd.resolve())]
    assert "s3cret" not in command and "postgresql" not in command  # the journal goes by COCKPIT_STATE (ps shows commands)
    assert shlex.split(WallSession(None, "staging", "/j").command())[1:] == ["-m", "cockpit", "--wall", "--env", "staging"]


def test_loopback_addresses():
    assert all(is_loopback(host) for host in ("127.0.0.1", "127.0.1.1", "::1", "localhost"))
    assert not any(is_loopback(host) for host in ("0.0.0.0", "::", "10.0.0.5", "tv.example.org"))


def test_serve_needs_wall_and_a_valid_port(capsys, state_file: Path):
    for argv, words in ((["serve"], "--wall"), (["serve", "--wall", "--port", "0"], "a port is 1 to 65535"),
                        (["serve", "--wall", "--port", "70000"], "a port is 1 to 65535"),
                        (["serve", "--wall", "--env", "nowhere"], "unknown environment 'nowhere'"),
                        (["serve", "--wall", "--host", "0.0.0.0"], "the page must name the one the TV reaches"),
                        (["serve", "--wall", "--host", "::"], "the page must name the one the TV reaches")):
        try:
            code = main([*argv, "--state", str(state_file)])
        except SystemExit as exc:
            code = exc.code
        err = capsys.readouterr().err
        assert code == 2 and words in err and err.count("\n") == 1, (argv, err)


def test_a_port_in_use_is_one_line_and_exit_2(capsys, state_file: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--wall", "--state", str(state_file), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2 and err == f"cockpit: cannot listen on 127.0.0.1:{port}: address already in use\n"


def test_another_host_is_warned_about_before_serving(state_file: Path):
    said: list[str] = []
    code = serve_wall(WallSession(None, "staging", str(state_file)), "192.0.2.1", 8000, banner_state=str(state_file),
                      announce=said.append)  # a documentation address: nothing here can listen on it
    assert code == 2
    assert said[0] == OPEN_WARNING.format(host="192.0.2.1", port=8000)
    assert "no login of its own" in said[0] and "access control" in said[0]
    assert said[1].startswith("cockpit: cannot listen on 192.0.2.1:8000: ")
