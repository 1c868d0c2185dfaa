"""Text sparklines: a row of block characters for a series of latencies."""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int) -> str:
    """The last `width` values as blocks scaled from 0 to their maximum (padded left)."""
    tail = list(values)[-width:]
    if not tail:
        return " " * width
    top = max(tail) or 1.0
    chars = [BLOCKS[min(len(BLOCKS) - 1, int(v / top * (len(BLOCKS) - 1) + 0.5))] for v in tail]
    return " " * (width - len(chars)) + "".join(chars)
