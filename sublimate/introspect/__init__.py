"""Front ends: read SQLAlchemy models (or, later, a live database) into the IR.

This package is the only place that touches SQLAlchemy mappers, tables and types. What leaves
it is `sublimate.ir` data: strings, numbers, enums and tuples.
"""

from __future__ import annotations


class IntrospectError(Exception):
    """The input cannot be read at all (bad spec, missing module, no models).

    The message is one line meant for the user, e.g. "cannot import module 'shop.modles': No
    module named 'shop.modles'". Problems that only affect part of the input are not errors:
    they become `ir.Diagnostic` values in the `Schema`.
    """


__all__ = ["IntrospectError"]
