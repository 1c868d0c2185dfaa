"""Snapshots of the metrics screen (m) at the bastion's 80x24 and a larger 120x40, on the frozen clocks
(wall clock FIXED_NOW, monotonic standing still): update with `pytest --snapshot-update` and review."""

from __future__ import annotations

from cockpit.engine.events import VerdictChanged
from cockpit.monitor.verdict import MetricsSeen, derive
from tests.conftest import make_app
from tests.ui.live_data import NOW
from tests.ui.metrics_data import FAILED, journal_with_markers, read


def metrics_app(state_file, **kwargs):
    journal_with_markers(state_file)
    return make_app(state_file, fake=True, monotonic=lambda: NOW, **kwargs)


def opened(*events, keys=()):
    async def run_before(pilot):
        pilot.app.engine.replay(list(events))
        await pilot.press("m")
        await pilot.pause()
        pilot.app.screen.show()  # fitted to the laid-out width
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
            await pilot.pause()

    return run_before


def judged(failure: str = "") -> VerdictChanged:
    """The verdict the engine derives from the read (the verdict line over the rows says it too)."""
    return VerdictChanged(derive(NOW, metrics=MetricsSeen(read().views, NOW, 180.0, failure)))


def test_metrics_80x24(snap_compare, state_file):
    assert snap_compare(metrics_app(state_file), terminal_size=(80, 24), run_before=opened(read(), judged()))


def test_metrics_failed_read_only_80x24(snap_compare, state_file):
    assert snap_compare(metrics_app(state_file, read_only=True), terminal_size=(80, 24),
                        run_before=opened(read(), FAILED, judged(FAILED.reason)))


def test_metrics_p99_with_markers_120x40(snap_compare, state_file):
    assert snap_compare(metrics_app(state_file), terminal_size=(120, 40), run_before=opened(read(), judged(), keys=("down",)))
