"""The HTTP API (Litestar): thin handlers over the engine, errors as RFC 9457 problems."""
