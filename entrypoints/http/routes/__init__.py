"""Route handlers, one module per resource: each is a thin call into the engine."""
