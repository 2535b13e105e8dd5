"""Generic repository: the queries every table shares. Repositories own every ``select()``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from amt.api.models import Base

ModelT = TypeVar("ModelT", bound=Base)


class RepositoryBase(Generic[ModelT]):
    """CRUD over one model; subclasses set ``model`` and add their own queries."""

    model: type[ModelT]

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, id_: Any) -> ModelT | None:
        """The row with primary key ``id_``, or None."""
        return self.session.get(self.model, id_)

    def add(self, obj: ModelT) -> ModelT:
        """Stage ``obj`` for insertion and flush it so defaults (ids) are set."""
        self.session.add(obj)
        self.session.flush()
        return obj

    def delete_by_id(self, id_: Any) -> bool:
        """Delete the row with primary key ``id_``; True when one was deleted."""
        pk = self.model.__mapper__.primary_key[0]
        result = self.session.execute(delete(self.model).where(pk == id_))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def count(self) -> int:
        """Number of rows."""
        return int(self.session.scalar(select(func.count()).select_from(self.model)) or 0)

    def list(self, *, limit: int = 100, offset: int = 0) -> Sequence[ModelT]:
        """Rows in primary-key order."""
        pk = self.model.__mapper__.primary_key[0]
        return self.session.scalars(select(self.model).order_by(pk).limit(limit).offset(offset)).all()
