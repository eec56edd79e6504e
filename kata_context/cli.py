"""The `kata-context` command (entrypoints/cli.py), wherever the layers are installed."""

from entrypoints.cli import main

__all__ = ["main"]
