"""Embedders: the offline local (MiniLM) and static models, and an OpenAI-compatible service.

Client-supplied vectors need no adapter: the engine runs with no embedder and stores the
vectors clients send.
"""
