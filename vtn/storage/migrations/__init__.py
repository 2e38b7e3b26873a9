"""Alembic migrations of the VTN schema (run by vtn.storage.migrate)."""
