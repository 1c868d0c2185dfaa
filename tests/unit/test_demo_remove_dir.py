"""The demo's stack removes its directory even while a late writer (the engine of a killed cockpit) still fills it."""

from __future__ import annotations

import shutil

from cockpit.demo import supervisor
from cockpit.demo.supervisor import remove_dir


def test_a_file_created_between_the_unlinks_and_the_rmdir_does_not_leave_the_directory_behind(tmp_path, monkeypatch):
    directory = tmp_path / "cockpit-demo-x"
    directory.mkdir()
    (directory / "journal.sqlite3").write_bytes(b"x" * 20480)
    real, calls = shutil.rmtree, []

    def racing_rmtree(path, ignore_errors=False):
        """The race seen in CI, made certain: the engine's journal writes its file again after rmtree's unlinks."""
        calls.append(path)
        if len(calls) == 1:
            for child in path.iterdir():
                child.unlink()
            (path / "journal.sqlite3").write_bytes(b"late")
            try:
                path.rmdir()
            except OSError:
                if not ignore_errors:
                    raise
            return
        real(path, ignore_errors=ignore_errors)

    monkeypatch.setattr(supervisor.shutil, "rmtree", racing_rmtree)
    remove_dir(directory, outwait=5.0)
    assert len(calls) == 2 and not directory.exists()


def test_nothing_to_remove_is_fine(tmp_path):
    remove_dir(tmp_path / "gone", outwait=0.1)
    assert not (tmp_path / "gone").exists()
