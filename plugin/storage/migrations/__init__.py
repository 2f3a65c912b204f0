"""Alembic environment and revisions, shipped inside the package so an installed wheel can migrate."""
