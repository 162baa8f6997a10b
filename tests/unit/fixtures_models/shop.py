"""A small shop: every column type and key shape the models front end must understand."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Computed,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, UserDefinedType


class Base(DeclarativeBase):
    pass


class Status(enum.Enum):
    DRAFT = "draft"
    PAID = "paid"


class Point(UserDefinedType[Any]):
    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "POINT"


class LowerString(TypeDecorator[str]):
    """Read as its impl: String(64)."""

    impl = String(64)
    cache_ok = True


class Customer(Base):
    __tablename__ = "customers"
    __table_args__: ClassVar[dict[str, Any]] = {"comment": "People who buy things"}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(255), unique=True, comment="Login; unique")
    name: Mapped[str | None] = mapped_column(String(100))
    handle: Mapped[str] = mapped_column(LowerString)
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    avatar: Mapped[bytes | None] = mapped_column(LargeBinary)
    location = mapped_column(Point())

    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    name: Mapped[str] = mapped_column(Text)

    parent: Mapped[Category | None] = relationship(back_populates="children", remote_side=[id])
    children: Mapped[list[Category]] = relationship(back_populates="parent")


product_tags = Table(
    "product_tags",
    Base.metadata,
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id"), primary_key=True),
)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("vendor", "sku", name="uq_products_vendor_sku"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    vendor: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200), index=True)
    price: Mapped[decimal.Decimal] = mapped_column(Numeric(10, 2))
    weight: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    tags: Mapped[list[Tag]] = relationship(secondary=product_tags, back_populates="products")


Index("ix_products_lower_name", func.lower(Product.name))


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50), index=True, unique=True)

    products: Mapped[list[Product]] = relationship(secondary=product_tags, back_populates="tags")


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    status: Mapped[Status] = mapped_column(default=Status.DRAFT)
    mood = mapped_column(Enum("happy", "sad", name="mood"), nullable=True)
    placed_on: Mapped[datetime.date] = mapped_column(Date)
    delivery_window: Mapped[datetime.timedelta | None] = mapped_column(Interval)
    opens_at: Mapped[datetime.time | None] = mapped_column(Time)

    customer: Mapped[Customer] = relationship(back_populates="orders")
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order")
    invoice: Mapped[Invoice | None] = relationship(back_populates="order", uselist=False)


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "product_id"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(default=1, server_default="1")
    doubled: Mapped[int] = mapped_column(Computed("quantity * 2"))

    order: Mapped[Order] = relationship(back_populates="lines")


class Invoice(Base):
    __tablename__ = "invoices"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)

    order: Mapped[Order] = relationship(back_populates="invoice")
