"""The OpenAI Agents SDK Session over Kata (install the `openai-agents` extra)."""

from entrypoints.integrations.openai_agents import KataSession

__all__ = ["KataSession"]
