"""The shop's tables, written by hand: the input sublimate generates `pyshop.db` from.

Portable on purpose: `Base.metadata.create_all` works on SQLite, PostgreSQL and MariaDB (every
String has a length, no dialect-only types; `Product.id` is an INTEGER on SQLite so it
autoincrements there). Constraint names follow `NAMING_CONVENTION`, so migrations and error
messages see the same names on every database.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class ProductStatus(enum.Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


def _enum_values(enum_class: type[enum.Enum]) -> list[str]:
    """Store an enum's values ("active"), not its member names ("ACTIVE")."""
    return [str(member.value) for member in enum_class]


# Many-to-many between products and tags; no class of its own.
product_tags = sa.Table(
    "product_tags",
    Base.metadata,
    sa.Column(
        "product_id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("products.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "tag_id",
        sa.Integer(),
        sa.ForeignKey("tags.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    birthday: Mapped[datetime.date | None] = mapped_column(sa.Date())
    note: Mapped[str | None] = mapped_column(sa.Text())

    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (
        sa.UniqueConstraint("parent_id", "name", name="uq_categories_parent_id_name"),
    )

    id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    parent_id: Mapped[int | None] = mapped_column(
        sa.Integer(), sa.ForeignKey("categories.id", ondelete="CASCADE")
    )

    parent: Mapped[Category | None] = relationship(
        back_populates="children", remote_side="Category.id"
    )
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", cascade="all, delete-orphan", passive_deletes=True
    )
    products: Mapped[list[Product]] = relationship(back_populates="category")


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)

    products: Mapped[list[Product]] = relationship(
        secondary=product_tags, back_populates="tags", passive_deletes=True
    )


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    sku: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    price: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2))
    status: Mapped[ProductStatus] = mapped_column(
        sa.Enum(
            ProductStatus,
            name="product_status",
            values_callable=_enum_values,
            validate_strings=True,
        ),
        default=ProductStatus.ACTIVE,
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(sa.JSON(), default=dict)
    category_id: Mapped[int | None] = mapped_column(
        sa.Integer(), sa.ForeignKey("categories.id", ondelete="SET NULL")
    )
    weight: Mapped[float | None] = mapped_column(sa.Float())
    is_featured: Mapped[bool] = mapped_column(sa.Boolean(), default=False)
    warranty: Mapped[datetime.timedelta | None] = mapped_column(sa.Interval())
    thumbnail: Mapped[bytes | None] = mapped_column(sa.LargeBinary())

    category: Mapped[Category | None] = relationship(back_populates="products")
    tags: Mapped[list[Tag]] = relationship(secondary=product_tags, back_populates="products")


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(sa.Integer(), primary_key=True, autoincrement=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), sa.ForeignKey("customers.id"))
    placed_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(sa.String(20), default="new")
    total: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    delivery_window: Mapped[datetime.time | None] = mapped_column(sa.Time())

    customer: Mapped[Customer] = relationship(back_populates="orders")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrderLine.line_no",
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_id: Mapped[int] = mapped_column(
        sa.Integer(), sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    line_no: Mapped[int] = mapped_column(sa.Integer(), primary_key=True, autoincrement=False)
    product_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("products.id")
    )
    quantity: Mapped[int] = mapped_column(sa.Integer())
    unit_price: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2))

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
