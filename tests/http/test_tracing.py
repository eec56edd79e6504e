"""OpenTelemetry spans per request: on when asked, off when not, and by default only
where an SDK is installed to record them (entrypoints.http.observe.tracer_for)."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from litestar.testing import TestClient
from opentelemetry import trace
from opentelemetry.util.types import Attributes, AttributeValue

from adapters.memory.keys import MemoryKeyStore
from adapters.memory.store import MemoryStore
from entrypoints.http.app import create_app
from entrypoints.http.observe import tracer_for
from entrypoints.settings import Settings
from tests.http.conftest import SETTINGS, engine_over


class _Span(trace.Span):
    """A span that keeps its name and attributes."""

    def __init__(self, name: str, spans: list[_Span]) -> None:
        self.name, self.attributes, self.ended = name, dict[str, AttributeValue](), False
        spans.append(self)

    def end(self, end_time: int | None = None) -> None:
        self.ended = True

    def get_span_context(self) -> trace.SpanContext:
        return trace.INVALID_SPAN_CONTEXT

    def set_attributes(self, attributes: dict[str, AttributeValue]) -> None:
        self.attributes.update(attributes)

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        self.attributes[key] = value

    def add_event(
        self, name: str, attributes: Attributes = None, timestamp: int | None = None
    ) -> None:
        pass

    def update_name(self, name: str) -> None:
        self.name = name

    def is_recording(self) -> bool:
        return True

    def set_status(self, status: Any, description: str | None = None) -> None:
        pass

    def record_exception(self, exception: BaseException, attributes: Attributes = None,
                         timestamp: int | None = None, escaped: bool = False) -> None:
        pass


class _Tracer(trace.Tracer):
    def __init__(self, spans: list[_Span]) -> None:
        self.spans = spans

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> _Span:
        return _Span(name, self.spans)

    @contextlib.contextmanager
    def start_as_current_span(self, name: str, *args: Any, **kwargs: Any) -> Iterator[_Span]:
        span = self.start_span(name)
        try:
            yield span
        finally:
            span.end()


class _Provider(trace.TracerProvider):
    def __init__(self) -> None:
        self.spans: list[_Span] = []

    def get_tracer(self, *args: Any, **kwargs: Any) -> _Tracer:
        return _Tracer(self.spans)


_PROVIDER = _Provider()


@pytest.fixture(scope="module")
def spans() -> list[_Span]:
    """The spans of the process's tracer provider (set once: OpenTelemetry allows one)."""
    trace.set_tracer_provider(_PROVIDER)
    return _PROVIDER.spans


def _get(settings: Settings, path: str, clock: Any) -> int:
    """The status of one GET to an app built with `settings`."""
    app = create_app(
        engine=engine_over(MemoryStore(), clock), keys=MemoryKeyStore(), settings=settings
    )
    with TestClient(app) as client:
        return client.get(path).status_code


def test_with_tracing_on_each_routed_request_is_a_span(spans: list[_Span], clock: Any) -> None:
    before = len(spans)
    assert _get(attrs.evolve(SETTINGS, tracing=True), "/api/health", clock) == 200
    assert _get(attrs.evolve(SETTINGS, tracing=True), "/api/v1/contexts", clock) == 401
    made = spans[before:]
    assert [s.name for s in made] == ["GET /api/health", "GET /api/v1/contexts"]
    assert all(s.ended for s in made)
    assert made[0].attributes["http.route"] == "/api/health"
    assert made[0].attributes["http.response.status_code"] == 200
    assert made[1].attributes["http.response.status_code"] == 401
    assert isinstance(made[0].attributes["kata.request_id"], str)


def test_with_tracing_off_no_request_is_a_span(spans: list[_Span], clock: Any) -> None:
    before = len(spans)
    assert _get(attrs.evolve(SETTINGS, tracing=False), "/api/health", clock) == 200
    assert len(spans) == before


def test_by_default_requests_are_spans_only_where_an_sdk_can_record_them(
    spans: list[_Span], clock: Any
) -> None:
    sdk = importlib.util.find_spec("opentelemetry.sdk") is not None
    assert (tracer_for(None) is not None) is sdk
    before = len(spans)
    assert _get(attrs.evolve(SETTINGS, tracing=None), "/api/health", clock) == 200
    assert len(spans) - before == (1 if sdk else 0)
    assert Settings.from_env({}).tracing is None
    assert Settings.from_env({"KATA_TRACING": "1"}).tracing is True
    assert Settings.from_env({"KATA_TRACING": "0"}).tracing is False
