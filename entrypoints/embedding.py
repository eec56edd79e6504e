"""Which embedder a deployment runs, chosen from the environment (composition root only).

KATA_EMBEDDER:
  unset, `none` or `client`: clients send vectors; nothing is computed server-side.
  `local`: all-MiniLM-L6-v2 (int8, onnxruntime) in-process, offline (384 dimensions;
    the `local-embedder` extra).
  `static`: the older offline static model (64 dimensions; the `static-embedder` extra):
    microseconds a text, but far weaker on paraphrases (bench/embedders.py).
  `openai`: an OpenAI-compatible service at KATA_EMBEDDER_URL with KATA_EMBEDDER_MODEL,
    optional KATA_EMBEDDER_API_KEY, KATA_EMBEDDER_BATCH and KATA_EMBEDDER_SEND_DIMENSIONS.
KATA_EMBEDDING_DIMENSION is the deployment's dimension; the embedder must produce it.
"""

from __future__ import annotations

from collections.abc import Mapping

from ports.embedder import Embedder

CLIENT_SUPPLIED = ("", "none", "client")


class EmbedderConfigError(ValueError):
    """The embedder settings are incomplete or disagree with the deployment's dimension."""


def embedder_from_env(env: Mapping[str, str], *, dimension: int) -> Embedder | None:
    """The embedder KATA_EMBEDDER names, checked against `dimension`; None for
    client-supplied vectors."""
    kind = env.get("KATA_EMBEDDER", "").strip().lower()
    if kind in CLIENT_SUPPLIED:
        return None
    # Each embedder's module is imported only when it is the one asked for: a deployment
    # whose clients send vectors (the default) imports neither at cold start.
    if kind == "local":
        from adapters.embedders.local import LOCAL_DIMENSION, LocalEmbedder

        _check_dimension(kind, LOCAL_DIMENSION, dimension)
        return LocalEmbedder()
    if kind == "static":
        from adapters.embedders.static import STATIC_DIMENSION, StaticEmbedder

        _check_dimension(kind, STATIC_DIMENSION, dimension)
        return StaticEmbedder()
    if kind == "openai":
        # Imported here: httpx (and the CLI packages its import pulls in) would add ~60 ms
        # to every cold start of deployments that never call out.
        from adapters.embedders.openai import DEFAULT_BATCH, OpenAIEmbedder

        url = env.get("KATA_EMBEDDER_URL", "").strip()
        model = env.get("KATA_EMBEDDER_MODEL", "").strip()
        if not url or not model:
            raise EmbedderConfigError(
                "KATA_EMBEDDER=openai needs KATA_EMBEDDER_URL and KATA_EMBEDDER_MODEL"
            )
        return OpenAIEmbedder(
            url=url,
            model=model,
            dimension=dimension,
            api_key=env.get("KATA_EMBEDDER_API_KEY") or None,
            batch_size=_positive_int(env, "KATA_EMBEDDER_BATCH", DEFAULT_BATCH),
            send_dimensions=env.get("KATA_EMBEDDER_SEND_DIMENSIONS", "").lower()
            in ("1", "true", "yes"),
        )
    raise EmbedderConfigError(
        "KATA_EMBEDDER must be one of none, local, static, openai; "
        f"got {env['KATA_EMBEDDER']!r}"
    )


def _check_dimension(kind: str, made: int, dimension: int) -> None:
    if dimension != made:
        raise EmbedderConfigError(
            f"KATA_EMBEDDER={kind} makes {made}-dimensional vectors but the deployment's "
            f"dimension is {dimension}: set KATA_EMBEDDING_DIMENSION={made} "
            "(with a store made for it)"
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise EmbedderConfigError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)
