"""The demo's log writer against moto: live lines, and a flood that ends by itself."""

from __future__ import annotations

import time

import boto3

from cockpit.demo.log_writer import PER_SECOND, LogWriter
from cockpit.demo.loglines import Weather


def calm() -> Weather:
    return Weather(True, "127.0.0.1:6379", True, "normal")


def test_a_flood_ends_by_itself_and_the_writer_goes_back_to_a_trickle(aws):
    writer = LogWriter(boto3.client("logs"), calm, seed=7).start()
    try:
        history = writer.written
        assert history >= PER_SECOND * 600 * 0.9  # ten minutes of history first
        writer.start_flood(seconds=1.5)
        assert writer.flood
        time.sleep(2.5)
        assert not writer.flood
        flooded = writer.written - history
        assert flooded >= 1000, f"only {flooded} lines in the flood"
        time.sleep(1.5)
        calm_lines = writer.written - history - flooded
        assert calm_lines <= PER_SECOND * 3, f"{calm_lines} lines in 1.5 s after the flood ended"
        assert writer.errors == 0, writer.last_error
    finally:
        writer.stop()


def test_stop_flood_ends_it_at_once(aws):
    writer = LogWriter(boto3.client("logs"), calm, seed=8).start()
    try:
        writer.start_flood()
        writer.stop_flood()
        assert not writer.flood
    finally:
        writer.stop()
