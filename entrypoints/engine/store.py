"""The ports a whole store adapter implements: what the composition root hands the engine.

The use cases never take this: each takes only the small ports it needs (ports/). Both
store adapters implement all of them, so one object is passed for each.
"""

from __future__ import annotations

from typing import Protocol

from ports.compaction_log import CompactionLog
from ports.contexts import Contexts
from ports.forks import Forks
from ports.purge import Purging
from ports.ranking import Ranking
from ports.readiness import Readiness
from ports.receipts import Receipts
from ports.search import Search
from ports.version_log import VersionLog
from ports.window_source import WindowSource


class Store(
    Contexts, VersionLog, WindowSource, Ranking, CompactionLog, Forks, Purging, Search, Readiness,
    Receipts, Protocol,
):
    """A store adapter: every storage port at once (MemoryStore, PostgresStore)."""
