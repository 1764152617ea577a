"""Reading a table's rows in a window page by page, in time order, without a long cursor.

Each page is one short read (keyset on ``(time, id)``), so a week-long window streams
in constant memory on both databases and holds no transaction open while the export
is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.incidents.events import IncidentEvent
from levqor_desktop.core.incidents.window import Window

#: Rows read per round trip.
PAGE_SIZE = 500

Convert = Callable[[Session, Sequence[Any]], list[IncidentEvent]]


@dataclass(frozen=True)
class Source:
    """One table's contribution: its rows in the window, turned into events."""

    query: Select[Any]
    time: InstrumentedAttribute[dt.datetime] | InstrumentedAttribute[dt.datetime | None]
    id: InstrumentedAttribute[int]
    convert: Convert


def events(
    db: Database, source: Source, window: Window, page_size: int = PAGE_SIZE
) -> Iterator[IncidentEvent]:
    """The source's events in ``window``, oldest first."""
    after: tuple[dt.datetime, int] | None = None
    while True:
        condition: ColumnElement[bool] = and_(
            source.time >= window.since, source.time < window.until
        )
        if after is not None:
            moment, last_id = after
            condition = and_(
                condition,
                or_(source.time > moment, and_(source.time == moment, source.id > last_id)),
            )
        query = source.query.where(condition).order_by(source.time, source.id).limit(page_size)
        with db.session() as session:
            rows = session.scalars(query).all()
            if not rows:
                return
            converted = source.convert(session, rows)
            last = rows[-1]
            after = (getattr(last, source.time.key), getattr(last, source.id.key))
        yield from converted
        if len(rows) < page_size:
            return
