"""Alembic migrations of the TerraPro schema (driven by ``bot.storage.schema``)."""
