"""A column compared with a list of values: ``IN (...)`` on SQLite, ``= ANY(:array)`` on
PostgreSQL, where one array parameter keeps one statement text (one prepared statement on the
connection) for any number of values, instead of a new one for every list length."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

__all__ = ["one_of"]


def one_of(dialect: str, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column` equal to one of `values`, written for `dialect` (``sqlite``, ``postgresql``)."""
    if dialect == "postgresql":
        array = bindparam(None, list(values), type_=ARRAY(column.type))
        result: ColumnElement[bool] = column == any_(array)
        return result
    in_list: ColumnElement[bool] = column.in_(values)
    return in_list
