"""sublimate: typed repositories, services, DTOs and an Alembic env generated from SQLAlchemy."""

__version__ = "0.6.0"
