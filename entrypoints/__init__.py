"""Composition roots: the in-process engine, the HTTP app, the CLI and the Vercel entry."""
