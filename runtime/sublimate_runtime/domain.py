"""`Domain`: PostgreSQL's DOMAIN type, usable in queries without SQLAlchemy 2.1's warnings.

A model generated from a PostgreSQL database keeps a domain-typed column's domain (so
`create_all` and migrations create the domain, and Alembic does not "change" the column to the
domain's base type). SQLAlchemy 2.1's `postgresql.DOMAIN` declares no operator classes, so every
comparison on such a column (`==`, `IN`, `ORDER BY`) emits a SADeprecationWarning; a domain
accepts what its base type accepts, so `Domain` declares them all. It is a `postgresql.DOMAIN`
in every other respect (DDL, reflection, Alembic's comparison).
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.operators import OperatorClass

__all__ = ["Domain"]


class Domain(postgresql.DOMAIN):
    """`postgresql.DOMAIN(name, data_type, ...)` that SQL operators accept."""

    operator_classes = OperatorClass.ANY
