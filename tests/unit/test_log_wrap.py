"""Wrapping a log line for the logs pane: every character kept, every piece fits the view."""

from __future__ import annotations

import random

import pytest
from rich.cells import cell_len

from cockpit.ui.widgets.log_view import WRAP_INDENT, wrap_cells


def unwrapped(pieces: list[str]) -> str:
    """The pieces joined back: the first as it is, the others without their indent."""
    assert all(piece.startswith(" " * WRAP_INDENT) for piece in pieces[1:])
    return pieces[0] + "".join(piece[WRAP_INDENT:] for piece in pieces[1:])


def check(line: str, width: int) -> list[str]:
    pieces = wrap_cells(line, width)
    assert unwrapped(pieces) == line, "a character was lost or added"
    assert all(cell_len(piece) <= width for piece in pieces), "a piece is wider than the view"
    assert all(piece.strip() for piece in pieces[1:]), "an empty continuation piece"
    return pieces


def test_the_reported_line_keeps_the_c_of_acme():
    line = "21:00:00.000 3f2a9c1e5b7d INFO [req-00f7] order saved company=acme-freight region=eu-west-1 total=42.00"
    pieces = check(line, 60)
    assert pieces[0] == line[:60] and pieces[1] == " " * WRAP_INDENT + line[60:116]


def test_a_line_that_fits_is_one_piece():
    assert wrap_cells("short", 40) == ["short"]
    assert wrap_cells("x" * 40, 40) == ["x" * 40]


@pytest.mark.parametrize("width", [20, 37, 80])
def test_a_length_that_is_an_exact_multiple_of_the_width_leaves_no_empty_piece(width):
    rest = width - WRAP_INDENT
    line = "a" * width + "b" * rest * 3  # exactly one first piece and three full continuations
    pieces = check(line, width)
    assert len(pieces) == 4 and all(cell_len(piece) == width for piece in pieces)


def test_a_wrap_point_on_a_space_keeps_the_space():
    line = "a" * 20 + " " + "b" * 15 + " " + "c" * 10
    pieces = check(line, 20)
    assert pieces[1] == " " * WRAP_INDENT + " " + "b" * 15  # the space opens the next piece
    pieces = check("a" * 19 + " " + "b" * 30, 20)
    assert pieces[0].endswith(" ")  # ... or closes this one


def test_wide_characters_count_two_cells_and_never_straddle_a_wrap_point():
    line = "total 結算完了 " + "支払い処理" * 10
    for width in (20, 21, 33):
        pieces = check(line, width)
        assert len(pieces) > 2
    pieces = check("a" * 19 + "結" + "b" * 5, 20)  # one cell left: the wide character moves on
    assert pieces == ["a" * 19, " " * WRAP_INDENT + "結" + "b" * 5]


def test_zero_width_characters_stay_with_the_character_they_mark():
    line = "e\u0301" * 30  # e + combining acute: one cell per pair
    pieces = check(line, 20)
    assert all(not piece.lstrip().startswith("\u0301") for piece in pieces)


def test_a_view_too_narrow_to_wrap_usefully_keeps_the_line_whole():
    assert wrap_cells("x" * 100, WRAP_INDENT + 10) == ["x" * 100]


def test_random_lines_at_random_widths_round_trip():
    rng = random.Random(20261127)
    alphabet = "abc xyz=-/.:" + "結算完了支払" + "é"
    for _ in range(300):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 400)))
        check(line, rng.randrange(WRAP_INDENT + 11, 130))
