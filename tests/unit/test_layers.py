"""Imports point down only: nothing below cockpit/ui imports Textual."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cockpit

ROOT = Path(cockpit.__file__).parent
BELOW_UI = ["core", "runbook", "journal", "probes", "monitor", "checks", "commands", "stack"]
# What each backend layer may import of cockpit (besides itself): probes stay plain clients.
ALLOWED = {"probes": ("cockpit.core",), "monitor": ("cockpit.core", "cockpit.probes", "cockpit.runbook")}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", BELOW_UI)
def test_layer_does_not_import_textual_or_ui(layer):
    for path in (ROOT / layer).rglob("*.py") if (ROOT / layer).exists() else []:
        bad = {m for m in imported_modules(path) if m.split(".")[0] == "textual" or m.startswith("cockpit.ui")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_local_stack_imports_nothing_else_of_cockpit():
    """cockpit/stack is shared by the demo and the tests: servers and seeds only, standing on their own."""
    for path in (ROOT / "stack").rglob("*.py"):
        other = {m for m in imported_modules(path) if m.startswith("cockpit.") and not m.startswith("cockpit.stack")}
        assert not other, f"{path.name} imports {other}"


def test_the_demo_reaches_textual_only_through_the_launcher():
    """The stack process (supervisor, stack, writer) never loads Textual; command.py opens the TUI via ui.launch."""
    for path in (ROOT / "demo").rglob("*.py"):
        ui = {m for m in imported_modules(path) if m.split(".")[0] == "textual" or m.startswith("cockpit.ui")}
        assert ui <= ({"cockpit.ui.launch"} if path.name == "command.py" else set()), f"demo/{path.name} imports {ui}"


def test_core_imports_nothing_of_cockpit_above_it():
    for path in (ROOT / "core").rglob("*.py"):
        above = {m for m in imported_modules(path) if m.startswith("cockpit.") and not m.startswith("cockpit.core")}
        assert not above, f"{path.name} imports {above}"


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_backend_layers_import_only_what_is_below_them(layer):
    for path in (ROOT / layer).rglob("*.py"):
        own = {m for m in imported_modules(path) if m.startswith("cockpit.") and not m.startswith(f"cockpit.{layer}")}
        bad = {m for m in own if not m.startswith(ALLOWED[layer])}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_check_does_not_load_textual():
    import subprocess
    import sys

    code = "import sys; from cockpit.cli import main; main(['check', '--only', 'a-db-pool']); print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": "/usr/bin"}).stdout
    assert out.strip().endswith("False")


def test_the_headless_verbs_do_not_load_textual():
    import subprocess
    import sys

    code = "import sys; from cockpit.cli import main; main(['runbook', 'validate']); print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")
