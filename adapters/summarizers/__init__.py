"""Summarizers backed by a chat model, with the extractive one (adapters/summaries.py) as
their fallback."""
