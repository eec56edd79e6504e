"""LangGraph's pre- and post-model hooks over Kata (install the `langgraph` extra)."""

from entrypoints.integrations.langgraph import KataGraphMemory

__all__ = ["KataGraphMemory"]
