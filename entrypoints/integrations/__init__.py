"""Drop-ins for agent frameworks (OpenAI Agents SDK, LangChain, LangGraph), in process over
an Engine or over HTTP through the client; each framework is imported only by its module."""
