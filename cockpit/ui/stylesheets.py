"""Where the app's stylesheets are: the top-level `styles/` of a checkout, shipped in the wheel as `cockpit/styles/`
(pyproject.toml and setup.py map the one to the other), so an installed cockpit finds them as well as a checkout."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # cockpit/
INSTALLED = PACKAGE / "styles"  # a (non-editable) install: the wheel's cockpit/styles/
CHECKOUT = PACKAGE.parent / "styles"  # a source checkout or an editable install: the top-level styles/


def stylesheet(name: str) -> Path:
    """The path of the stylesheet `name` (`cockpit.tcss`, `wall.tcss`): the installed copy first, else the checkout's.

    The installed copy comes first because next to an installed package (site-packages/) a `styles/` would be
    someone else's.
    """
    for folder in (INSTALLED, CHECKOUT):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"stylesheet {name} is neither in {INSTALLED} nor in {CHECKOUT}: a broken install of cockpit")
