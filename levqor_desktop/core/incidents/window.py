"""Time windows: "the last 2 hours", an explicit range, or the one around the last failure."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from levqor_desktop.errors import ValidationError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

#: Around the last failure: this much before it (what led there) and after it (the
#: reactions: retries, rollbacks, flag flips).
BEFORE_FAILURE = dt.timedelta(minutes=30)
AFTER_FAILURE = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Window:
    """A half-open range of UTC time ``[since, until)``, and how it was chosen."""

    since: dt.datetime
    until: dt.datetime
    label: str = ""

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValidationError("a window's times must carry a time zone")
        if self.until <= self.since:
            raise ValidationError(
                f"the window ends ({self.until.isoformat()}) before it starts "
                f"({self.since.isoformat()})"
            )

    @classmethod
    def last(cls, span: dt.timedelta, now: dt.datetime) -> Window:
        # "the last hour", "the last 6 hours"
        return cls(now - span, now, f"the last {describe(span).removeprefix('1 ')}")

    @classmethod
    def around(cls, moment: dt.datetime, label: str) -> Window:
        return cls(moment - BEFORE_FAILURE, moment + AFTER_FAILURE, label)


def parse_duration(text: str) -> dt.timedelta:
    """``90s``, ``30m``, ``2h``, ``1d``, ``1w`` → a timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValidationError(
            f"{text!r} is not a duration", hint="write a number and a unit: 30m, 2h, 1d, 1w"
        )
    amount = float(match.group(1))
    if amount <= 0:
        raise ValidationError(f"the duration {text!r} must be more than zero")
    return dt.timedelta(**{_UNITS[match.group(2).lower()]: amount})


def parse_moment(text: str, now: dt.datetime) -> dt.datetime:
    """A duration ago (``2h``) or an ISO 8601 time (UTC when it names no zone)."""
    if _DURATION.match(text):
        return now - parse_duration(text)
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{text!r} is neither a duration nor a time",
            hint="use 2h, 30m, 1d or an ISO time such as 2026-12-07T13:00:00Z",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def window_from(since: str, until: str | None, now: dt.datetime) -> Window:
    """The window the command line or the panel names (``until`` defaults to now)."""
    start = parse_moment(since, now)
    end = parse_moment(until, now) if until else now
    label = f"since {since}" + (f" until {until}" if until else "")
    return Window(start, end, label)


def describe(span: dt.timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{seconds} seconds"


def iso_label(moment: dt.datetime) -> str:
    """``2026-12-07 13:05:09 UTC``: a time as people read it in a label."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
