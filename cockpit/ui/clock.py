"""Time formatting for the screen (UTC and local), with an injectable clock."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_ts(stamp: str) -> datetime | None:
    """A journal timestamp (ISO, Z) as an aware datetime; None when empty or bad."""
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None


def short_time(stamp: str) -> str:
    """`23:04:05Z (00:04 local)` for a journal timestamp."""
    moment = parse_ts(stamp)
    if moment is None:
        return "-"
    local = moment.astimezone()
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z ({local:%H:%M} local)"


def minutes(seconds: float) -> str:
    """`7m`, `1h05m` for a duration."""
    total = max(0, int(seconds // 60))
    return f"{total // 60}h{total % 60:02d}m" if total >= 60 else f"{total}m"
