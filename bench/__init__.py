"""Benchmarks: `make bench` runs every module here and prints JSON lines."""
