"""The stylesheets live in the top-level styles/ (DESIGN, Layers) and ship in the wheel as cockpit/styles/: a
non-editable install finds them (built and installed here for real, into a scratch directory)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_non_editable_install_ships_and_finds_every_stylesheet(tmp_path: Path):
    sheets = sorted(p.name for p in (ROOT / "styles").glob("*.tcss"))
    assert "cockpit.tcss" in sheets and "wall.tcss" in sheets
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info next to the sources
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("cockpit", "styles"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)],
                   check=True, timeout=300, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("cockpit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n.removeprefix("cockpit/styles/") for n in names if n.startswith("cockpit/styles/")) == sheets
    assert "cockpit/runbook/plans/avnz-phase-1-4.toml" in names  # the bundled plan still ships (setup.py lists packages now)
    assert not any(n.startswith("styles/") for n in names)  # no top-level `styles` package in site-packages
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)], check=True, timeout=300)
    shown = subprocess.run(
        [sys.executable, "-c", "import cockpit.ui.app as a; print(a.STYLES); print(a.WALL_STYLES)"],
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()
    assert shown == [str(site / "cockpit" / "styles" / "cockpit.tcss"), str(site / "cockpit" / "styles" / "wall.tcss")]
