"""Benchmarks of the performance budget: `make bench` (see docs/performance.md)."""
