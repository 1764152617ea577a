"""What an error report may carry: :func:`scrub_event`, Sentry's ``before_send``.

An allow-list, not a deny-list: a new event is built from the fields that say *where*
and *what kind* of fault happened (exception types, stack frames, levels, versions), and
everything else sentry-sdk or an integration attached — local variables, request data,
user, extra, tags, server name, ``sys.argv``, breadcrumb data — is left behind. The text
that is kept (exception messages, log messages, source lines) goes through the log
redaction (registered keyring values, Authorization and API-key headers, token shapes,
e-mails) and loses every quoted value, which is where job inputs and outputs show up in
messages (``{value!r}``, JSON).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.redaction import REDACTED
from levqor_desktop.core.logging import redact_text

#: Top-level fields copied as they are: ids, versions, levels, the SDK's own name.
KEPT_FIELDS = ("event_id", "timestamp", "platform", "level", "logger", "release", "environment")
#: Frame fields copied as they are (the text ones are scrubbed separately).
FRAME_FIELDS = ("function", "module", "lineno", "colno", "in_app", "platform")
#: Contexts that describe the machine's software, not the operator.
KEPT_CONTEXTS = {"os": ("name", "version"), "runtime": ("name", "version")}
BREADCRUMB_FIELDS = ("timestamp", "type", "category", "level")

# '...' and "..." runs (a repr or a JSON string); the quote must not sit inside a word,
# so "can't" stays readable.
_QUOTED = re.compile(r"""(?<![A-Za-z0-9])'[^'\n]*'|"[^"\n]*\"""")


def scrub_text(text: Any) -> str:
    """``text`` redacted (see module docstring) and without quoted values."""
    return _QUOTED.sub(REDACTED, redact_text(str(text)))


def _home_relative(path: str) -> str:
    # A home folder names its user.
    home = str(Path.home())
    return "~" + path[len(home) :] if home not in ("", "/") and path.startswith(home) else path


def _frame(frame: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: frame[k] for k in FRAME_FIELDS if k in frame}
    for key in ("filename", "abs_path"):
        if isinstance(frame.get(key), str):
            out[key] = _home_relative(frame[key])
    if "context_line" in frame:
        out["context_line"] = scrub_text(frame["context_line"])
    for key in ("pre_context", "post_context"):
        if isinstance(frame.get(key), list):
            out[key] = [scrub_text(line) for line in frame[key]]
    return out  # no "vars": local variables never leave


def _stacktrace(trace: Any) -> dict[str, Any] | None:
    if not isinstance(trace, Mapping) or not isinstance(trace.get("frames"), list):
        return None
    return {"frames": [_frame(f) for f in trace["frames"] if isinstance(f, Mapping)]}


def _exception(value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: value[k] for k in ("type", "module") if k in value}
    if value.get("value") is not None:
        out["value"] = scrub_text(value["value"])
    mechanism = value.get("mechanism")
    if isinstance(mechanism, Mapping):
        out["mechanism"] = {k: mechanism[k] for k in ("type", "handled") if k in mechanism}
    trace = _stacktrace(value.get("stacktrace"))
    if trace is not None:
        out["stacktrace"] = trace
    return out


def _values(container: Any, each: Any) -> dict[str, Any] | None:
    if not isinstance(container, Mapping) or not isinstance(container.get("values"), list):
        return None
    return {"values": [each(v) for v in container["values"] if isinstance(v, Mapping)]}


def _thread(thread: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: thread[k] for k in ("id", "crashed", "current", "main") if k in thread}
    trace = _stacktrace(thread.get("stacktrace"))
    if trace is not None:
        out["stacktrace"] = trace
    return out


def _breadcrumb(crumb: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: crumb[k] for k in BREADCRUMB_FIELDS if k in crumb}
    if crumb.get("message") is not None:
        out["message"] = scrub_text(crumb["message"])
    return out  # no "data": a crumb's data is a log record's extras or a request's URL


def _message(event: Mapping[str, Any]) -> str | None:
    entry = event.get("logentry")
    if isinstance(entry, Mapping):
        text = entry.get("formatted") or entry.get("message")
        return None if text is None else scrub_text(text)
    return None if event.get("message") is None else scrub_text(event["message"])


def scrub_event(event: Mapping[str, Any], _hint: object = None) -> dict[str, Any]:
    """The report that may leave the machine, built from ``event`` (see module docstring)."""
    out: dict[str, Any] = {k: event[k] for k in KEPT_FIELDS if k in event}
    sdk = event.get("sdk")
    if isinstance(sdk, Mapping):
        out["sdk"] = {k: sdk[k] for k in ("name", "version") if k in sdk}
    message = _message(event)
    if message is not None:
        out["logentry"] = {"message": message}
    exceptions = _values(event.get("exception"), _exception)
    if exceptions is not None:
        out["exception"] = exceptions
    threads = _values(event.get("threads"), _thread)
    if threads is not None:
        out["threads"] = threads
    crumbs = _values(event.get("breadcrumbs"), _breadcrumb)
    if crumbs is not None:
        out["breadcrumbs"] = crumbs
    contexts = event.get("contexts")
    if isinstance(contexts, Mapping):
        kept = {
            name: {k: contexts[name][k] for k in fields if k in contexts[name]}
            for name, fields in KEPT_CONTEXTS.items()
            if isinstance(contexts.get(name), Mapping)
        }
        if kept:
            out["contexts"] = kept
    return out
