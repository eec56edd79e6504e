"""Protocols the engine needs; adapters implement them, the contract suite keeps them honest."""
