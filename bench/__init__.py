"""Benchmarks run by hand; numbers and baselines in bench/README.md (never asserted in tests)."""
