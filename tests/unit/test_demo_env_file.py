"""`cockpit demo --state FILE`: the demo.env another shell sources names that journal, the one the screen writes."""

from __future__ import annotations

import stat
import subprocess

from cockpit.demo.command import point_at_state


def test_demo_env_names_the_journal_given_with_state(tmp_path):
    env_file = tmp_path / "demo.env"
    env_file.touch(mode=0o600)
    env_file.write_text("# cockpit demo\nexport COCKPIT_API_URL=http://127.0.0.1:1\n"
                        f"export COCKPIT_STATE={tmp_path}/stack/journal.sqlite3\nexport REDIS_URL=redis://127.0.0.1:2\n")
    mine = tmp_path / "my dir" / "run.sqlite3"  # a space: the value is quoted for the shell
    point_at_state(env_file, mine)
    sourced = subprocess.run(["bash", "-c", f". '{env_file}' && printf '%s\\n' \"$COCKPIT_STATE\" \"$REDIS_URL\""],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    assert sourced == [str(mine), "redis://127.0.0.1:2"]
    assert env_file.read_text().count("COCKPIT_STATE") == 1
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600  # it holds the demo's fake token: still the owner's only
