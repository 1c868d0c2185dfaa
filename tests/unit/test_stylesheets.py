"""cockpit/ui/stylesheets.py in a checkout: the top-level styles/, and a missing sheet said plainly."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.ui.app import CockpitApp
from cockpit.ui.stylesheets import stylesheet

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_reads_the_top_level_styles():
    assert stylesheet("wall.tcss") == ROOT / "styles" / "wall.tcss"
    assert CockpitApp.CSS_PATH == [ROOT / "styles" / "cockpit.tcss", ROOT / "styles" / "wall.tcss"]
    assert not (ROOT / "cockpit" / "styles").exists()  # one copy, in styles/ (a stale one would win: it is looked at first)


def test_a_missing_stylesheet_is_an_error_naming_both_places():
    with pytest.raises(FileNotFoundError, match=r"nope\.tcss is neither in .*cockpit/styles nor in .*/styles"):
        stylesheet("nope.tcss")
