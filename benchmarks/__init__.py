"""Benchmarks: a synthetic content generator and timing scripts (not part of the test suite)."""
