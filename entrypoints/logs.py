"""Structured logs: one JSON object per line, each with the request id it belongs to."""

from __future__ import annotations

import contextvars
import logging
import time
from typing import Any

# The id of the request being served (set by the HTTP middleware; copied into the worker
# threads that run handlers, so their log lines carry it too).
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "kata_request_id", default=None
)
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        """The record's JSON line (a traceback, when there is one, as `exc_info` text)."""
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        # Imported at the first line logged, not by a cold start that may log none.
        import json

        return json.dumps(line, default=str, ensure_ascii=False)


def json_logging_config(level: str = "INFO") -> dict[str, Any]:
    """A logging.config dict: every logger (uvicorn's too) writes JSON lines to stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            name: {"handlers": ["default"], "level": level, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "kata_context")
        },
    }
