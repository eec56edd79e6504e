"""The window source port: the bounded candidates a token-budget window is chosen from."""

from __future__ import annotations

from typing import Protocol

from domain.window import WindowCandidates


class WindowSource(Protocol):
    """Reads what a window may hold, at a cost that does not grow with the history."""

    def window_candidates(
        self,
        tenant_id: str,
        context_id: str,
        *,
        tail_tokens: int,
        at: int | None = None,
        summaries: bool = True,
    ) -> WindowCandidates:
        """Pins, the summary in force and the newest eligible entries after it whose
        suffix fits `tail_tokens`, with the context's policy as of the same state: all as
        of version `at` (the head when None; its compaction state too). With `summaries`
        false, no summary: the tail reaches back past what one covers.

        Raises ContextNotFound, VersionOutOfRange (`at` outside 0..head).
        """
        ...
