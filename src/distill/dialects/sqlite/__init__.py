"""SQLite: transactional DDL made real (transactions.py), and what its ALTER TABLE cannot
do done by a guarded table rebuild (impl.py, rebuild.py, rebuild_checks.py), reading a
table's full definition from its stored CREATE TABLE text (stored_schema.py)."""

from distill.dialects.sqlite.impl import SQLiteImpl

__all__ = ["SQLiteImpl"]
