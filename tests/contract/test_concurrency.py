"""The version log (ports.version_log) under concurrent writers: gapless versions,
nothing lost, conflicts instead of interleaving."""

from __future__ import annotations

import threading
from collections.abc import Callable

from domain.errors import VersionConflict
from entrypoints.engine import Store
from tests.conftest import FakeClock
from tests.contract.support import draft, make_context

THREADS = 8
PER_THREAD = 100


def _run(workers: list[Callable[[], None]]) -> None:
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def wrap(fn: Callable[[], None]) -> None:
        start.wait()
        try:
            fn()
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_parallel_appends_to_one_context_are_gapless_and_complete(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    got: dict[str, int] = {}
    lock = threading.Lock()

    def writer(n: int) -> Callable[[], None]:
        def go() -> None:
            for i in range(PER_THREAD):
                text = f"w{n}-{i}"
                result = store.append(tenant, ctx.id, [draft(text, tokens=1)], now=clock.now())
                with lock:
                    got[text] = result.first_version

        return go

    _run([writer(n) for n in range(THREADS)])
    total = THREADS * PER_THREAD
    assert sorted(got.values()) == list(range(1, total + 1))
    entries = []
    after = 0
    while True:
        page = store.read_entries(tenant, ctx.id, after=after, limit=500)
        entries.extend(page.items)
        if page.next_cursor is None:
            break
        after = int(page.next_cursor)
    assert [e.version for e in entries] == list(range(1, total + 1))
    # Each writer's entry sits at exactly the version its append reported.
    assert {e.content: e.version for e in entries} == got
    ctx_now = store.get_context(tenant, ctx.id)
    assert ctx_now.head_version == total and ctx_now.token_total == total


def test_expected_version_lets_one_writer_win_each_round(
    store: Store, tenant: str, clock: FakeClock
) -> None:
    ctx = make_context(store, tenant, clock)
    rounds = 20
    wins: list[tuple[int, int]] = []
    conflicts: list[VersionConflict] = []
    lock = threading.Lock()

    def writer(n: int) -> Callable[[], None]:
        def go() -> None:
            for _ in range(rounds):
                head = store.get_context(tenant, ctx.id).head_version
                batch = [draft(f"w{n}-{head}-a", tokens=1), draft(f"w{n}-{head}-b", tokens=1)]
                try:
                    r = store.append(tenant, ctx.id, batch, now=clock.now(), expected_version=head)
                except VersionConflict as exc:
                    with lock:
                        conflicts.append(exc)
                else:
                    with lock:
                        wins.append((n, r.first_version))

        return go

    _run([writer(n) for n in range(4)])
    head = store.get_context(tenant, ctx.id).head_version
    assert head == 2 * len(wins)
    assert len(wins) + len(conflicts) == 4 * rounds
    assert all(c.current > c.expected for c in conflicts)
    entries = store.read_entries(tenant, ctx.id, limit=1000).items
    # Batches never interleave: each winning batch is two adjacent versions from one writer.
    for n, first in wins:
        a, b = entries[first - 1], entries[first]
        assert a.content.startswith(f"w{n}-") and a.content.endswith("-a")
        assert b.content == a.content[:-1] + "b"
