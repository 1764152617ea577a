"""Reading usage: totals, month-to-date, top users/connectors/workflows, series, CSV.

Every query is filtered by the organization it is asked for; nothing here reads
another organization's rows. Totals come from the daily rollups; the "top connectors
and workflows" breakdowns read the raw events of the period through the
(org_id, occurred_at) index.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from levqor_desktop.core.models import User
from levqor_desktop.core.models.usage import Metric, Period, UsageEvent, UsageRollup
from levqor_desktop.core.usage.formatting import MICRO
from levqor_desktop.core.usage.periods import period_start


@dataclass(frozen=True)
class TopEntry:
    """One row of a ranking: a user, connector or workflow with what it used."""

    key: str
    label: str
    amount: int  # of the ranked metric
    cost_micro_usd: int = 0


def totals(
    session: Session, org_id: int, since: dt.date, *, user_id: int | None = None
) -> dict[Metric, int]:
    query = (
        select(UsageRollup.metric, func.sum(UsageRollup.amount))
        .where(UsageRollup.org_id == org_id, UsageRollup.day >= since)
        .group_by(UsageRollup.metric)
    )
    if user_id is not None:
        query = query.where(UsageRollup.user_id == user_id)
    found = {Metric(m): int(a) for m, a in session.execute(query)}
    return {m: found.get(m, 0) for m in Metric}


def month_to_date(
    session: Session, org_id: int, user_id: int, now: dt.datetime
) -> dict[Metric, int]:
    return totals(session, org_id, period_start(Period.MONTH, now), user_id=user_id)


def top_users(
    session: Session, org_id: int, metric: Metric, since: dt.date, limit: int = 10
) -> list[TopEntry]:
    total = func.sum(UsageRollup.amount).label("total")
    ranked = (
        select(UsageRollup.user_id, total)
        .where(UsageRollup.org_id == org_id, UsageRollup.metric == metric, UsageRollup.day >= since)
        .group_by(UsageRollup.user_id)
        .order_by(total.desc(), UsageRollup.user_id)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.user_id, User.display_name, ranked.c.total)
        .join(User, User.id == ranked.c.user_id)
        .order_by(ranked.c.total.desc(), ranked.c.user_id)
    )
    return [TopEntry(str(uid), name, int(amount)) for uid, name, amount in rows]


def top_by(
    session: Session,
    org_id: int,
    column: str,
    metric: Metric,
    since: dt.datetime,
    limit: int = 10,
) -> list[TopEntry]:
    """Connectors or workflows (``column``) ranked by ``metric``, with their cost."""
    key = getattr(UsageEvent, column)
    amount = func.sum(case((UsageEvent.metric == metric, UsageEvent.amount), else_=0))
    cost = func.sum(case((UsageEvent.metric == Metric.COST_USD, UsageEvent.amount), else_=0))
    rows = session.execute(
        select(key, amount.label("amount"), cost.label("cost"))
        .where(UsageEvent.org_id == org_id, UsageEvent.occurred_at >= since, key.is_not(None))
        .group_by(key)
        .order_by(amount.desc(), cost.desc(), key)
        .limit(limit)
    )
    return [TopEntry(str(k), str(k), int(a or 0), int(c or 0)) for k, a, c in rows]


def series(
    session: Session,
    org_id: int,
    metric: Metric,
    since: dt.date,
    until: dt.date,
    *,
    user_id: int | None = None,
) -> list[tuple[dt.date, int]]:
    """One point per day from ``since`` to ``until`` (inclusive), zeros filled in."""
    query = (
        select(UsageRollup.day, func.sum(UsageRollup.amount))
        .where(
            UsageRollup.org_id == org_id,
            UsageRollup.metric == metric,
            UsageRollup.day >= since,
            UsageRollup.day <= until,
        )
        .group_by(UsageRollup.day)
    )
    if user_id is not None:
        query = query.where(UsageRollup.user_id == user_id)
    found = {day: int(total) for day, total in session.execute(query)}
    days = (until - since).days + 1
    return [
        (since + dt.timedelta(days=n), found.get(since + dt.timedelta(days=n), 0))
        for n in range(max(days, 0))
    ]


CSV_HEADERS = ("day", "user_id", "user", "metric", "amount", "amount_usd")


def daily_rows(
    session: Session, org_id: int, since: dt.date, *, user_id: int | None = None
) -> list[tuple[dt.date, int, str, Metric, int]]:
    query = (
        select(
            UsageRollup.day,
            UsageRollup.user_id,
            User.display_name,
            UsageRollup.metric,
            UsageRollup.amount,
        )
        .join(User, User.id == UsageRollup.user_id)
        .where(UsageRollup.org_id == org_id, UsageRollup.day >= since)
        .order_by(UsageRollup.day, UsageRollup.user_id, UsageRollup.metric)
    )
    if user_id is not None:
        query = query.where(UsageRollup.user_id == user_id)
    return [(d, u, n, Metric(m), int(a)) for d, u, n, m, a in session.execute(query)]


def write_csv(out: TextIO, rows: Sequence[tuple[dt.date, int, str, Metric, int]]) -> int:
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    for day, uid, name, metric, amount in rows:
        usd = f"{amount / MICRO:.6f}" if metric is Metric.COST_USD else ""
        writer.writerow([day.isoformat(), uid, name, metric.value, amount, usd])
    return len(rows)
