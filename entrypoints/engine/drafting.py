"""Messages become drafts: counted under the policy's encoding, indexed with the subjects in
scope (domain.discourse), embedded when asked for."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from domain import discourse
from domain.errors import DimensionMismatch, InvalidInput
from domain.model import EntryDraft, Message, TokenSource
from domain.records import Record
from domain.tokens import framing_tokens, message_text
from ports.embedder import Embedder
from ports.tokens import TokenCounter


@attrs.frozen(kw_only=True, repr=False, eq=False)
class Drafter(Record):
    """Counts and embeds messages for the deployment's dimension."""

    tokens: TokenCounter
    embedder: Embedder | None = None
    dimension: int = 1536

    def __attrs_post_init__(self) -> None:
        if self.embedder is not None and self.embedder.dimension != self.dimension:
            raise InvalidInput(
                f"the embedder makes {self.embedder.dimension}-dimensional vectors but the "
                f"deployment's dimension is {self.dimension}"
            )

    def drafts(
        self, messages: Sequence[Message], *, encoding: str, scope: tuple[str, ...] = ()
    ) -> tuple[list[EntryDraft], tuple[str, ...]]:
        """One draft per message (the client's token count, else one counted offline),
        and the discourse scope after them, starting from `scope`."""
        texts = [message_text(m) for m in messages]
        to_count = [i for i, m in enumerate(messages) if m.token_count is None]
        counts = self.tokens.count([texts[i] for i in to_count], encoding=encoding)
        counted = dict(zip(to_count, counts, strict=True))
        carried: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        for text in texts:
            before = scope
            scope = discourse.next_scope(before, text)
            carried.append((discourse.scope_terms(before, text), scope))
        vectors = self._embed_missing(messages, texts, carried)
        drafts = []
        for i, m in enumerate(messages):
            if m.token_count is not None:
                tokens, source = m.token_count, TokenSource.CLIENT
            else:
                c = counted[i]
                tokens = c.tokens + framing_tokens(m)
                source = TokenSource.COUNTED if c.exact else TokenSource.ESTIMATED
            embedding = m.embedding if m.embedding is not None else vectors.get(i)
            if embedding is not None:
                self.check_dimension(embedding)
            drafts.append(
                EntryDraft(
                    role=m.role,
                    content=m.content,
                    name=m.name,
                    tool_calls=m.tool_calls,
                    tool_call_id=m.tool_call_id,
                    metadata=m.metadata,
                    token_count=tokens,
                    token_source=source,
                    pinned=m.pinned,
                    embedding=tuple(embedding) if embedding is not None else None,
                    context_terms=carried[i][0],
                    scope=carried[i][1],
                )
            )
        return drafts, scope

    def query_embedding(
        self, query: str | None, given: Sequence[float] | None
    ) -> Sequence[float] | None:
        """The query's vector: the caller's, else the embedder's for the text, else None."""
        embedding = given
        if embedding is None and query is not None and self.embedder is not None:
            embedding = self.embedder.embed([query])[0]
        if embedding is not None:
            self.check_dimension(embedding)
        return embedding

    def check_dimension(self, embedding: Sequence[float]) -> None:
        """A vector of another length than the deployment's is refused."""
        if len(embedding) != self.dimension:
            raise DimensionMismatch(expected=self.dimension, got=len(embedding))

    def _embed_missing(
        self,
        messages: Sequence[Message],
        texts: Sequence[str],
        carried: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
    ) -> dict[int, list[float]]:
        if self.embedder is None:
            return {}
        # A blank text has no meaning to embed (and a zero vector has no cosine).
        todo = [i for i, m in enumerate(messages) if m.embedding is None and texts[i].strip()]
        if not todo:
            return {}
        # What is embedded names the subjects in scope too, as the lexical index does.
        vectors = self.embedder.embed([_with_subjects(texts[i], carried[i][0]) for i in todo])
        return dict(zip(todo, vectors, strict=True))


def _with_subjects(text: str, subjects: Sequence[str]) -> str:
    return f"{text}\n(about {', '.join(subjects)})" if subjects else text
