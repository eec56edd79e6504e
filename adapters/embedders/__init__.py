"""Embedders: the offline local model and an OpenAI-compatible HTTP service.

Client-supplied vectors need no adapter: the engine runs with no embedder and stores the
vectors clients send.
"""
