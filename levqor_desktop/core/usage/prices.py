"""The AI price table: micro-dollars per million prompt and completion tokens, per model.

Model ids carry dates and variants ("gpt-4o-mini-2024-07-18"); a price for
"gpt-4o-mini" covers them: the exact id wins, else the longest priced prefix.
Costs round up to the next micro-dollar, so spend is never under-counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from levqor_desktop.core.db import Database
from levqor_desktop.core.models.usage import ModelPrice
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import NotFoundError, ValidationError

PER = 1_000_000


@dataclass(frozen=True)
class Price:
    model: str
    prompt_per_million: int  # micro-dollars
    completion_per_million: int
    updated_at: dt.datetime | None = None

    def cost(self, prompt_tokens: int, completion_tokens: int) -> int:
        """Micro-dollars, rounded up."""
        total = (
            prompt_tokens * self.prompt_per_million
            + completion_tokens * self.completion_per_million
        )
        return -(-total // PER)


def _view(row: ModelPrice) -> Price:
    return Price(row.model, row.prompt_per_million, row.completion_per_million, row.updated_at)


def match(prices: dict[str, Price], model: str) -> Price | None:
    if model in prices:
        return prices[model]
    candidates = [name for name in prices if model.startswith(name)]
    return prices[max(candidates, key=len)] if candidates else None


class PriceTable:
    def __init__(self, db: Database, clock: Callable[[], dt.datetime]) -> None:
        self._db = db
        self._clock = clock

    def all(self) -> list[Price]:
        with self._db.session() as session:
            rows = session.scalars(select(ModelPrice).order_by(ModelPrice.model))
            return [_view(r) for r in rows]

    def lookup(self, session: Session, model: str) -> Price | None:
        exact = session.get(ModelPrice, model)
        if exact is not None:
            return _view(exact)
        rows = session.scalars(select(ModelPrice)).all()
        return match({r.model: _view(r) for r in rows}, model)

    def get(self, model: str) -> Price | None:
        with self._db.session() as session:
            return self.lookup(session, model)

    def set(
        self, actor: Actor, model: str, prompt_per_million: int, completion_per_million: int
    ) -> Price:
        require(actor, Permission.MANAGE_LIMITS)
        model = model.strip()
        if not model or len(model) > 200:
            raise ValidationError("a model id must have 1 to 200 characters")
        if prompt_per_million < 0 or completion_per_million < 0:
            raise ValidationError("prices cannot be negative")
        with self._db.write_session() as session:
            row = session.get(ModelPrice, model)
            if row is None:
                row = ModelPrice(model=model)
                session.add(row)
            row.prompt_per_million = prompt_per_million
            row.completion_per_million = completion_per_million
            row.updated_at = self._clock()
            session.flush()
            return _view(row)

    def delete(self, actor: Actor, model: str) -> None:
        require(actor, Permission.MANAGE_LIMITS)
        with self._db.write_session() as session:
            row = session.get(ModelPrice, model)
            if row is None:
                raise NotFoundError(f"no price is set for the model {model!r}")
            session.delete(row)
