"""Live monitoring: backends polled for readings, and the board that keeps their history."""
