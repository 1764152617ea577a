"""Limit periods in UTC: where a day or month starts, and when it resets."""

from __future__ import annotations

import datetime as dt

from levqor_desktop.core.models.usage import Period


def utc_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def period_start(period: Period, moment: dt.datetime) -> dt.date:
    """The first day (UTC) of the period holding ``moment``."""
    day = utc_day(moment)
    return day if period is Period.DAY else day.replace(day=1)


def period_reset(period: Period, moment: dt.datetime) -> dt.datetime:
    """When the period holding ``moment`` ends and its usage counts from zero again."""
    start = period_start(period, moment)
    if period is Period.DAY:
        nxt = start + dt.timedelta(days=1)
    elif start.month == 12:
        nxt = dt.date(start.year + 1, 1, 1)
    else:
        nxt = dt.date(start.year, start.month + 1, 1)
    return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=dt.UTC)


def describe_reset(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")
