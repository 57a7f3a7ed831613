"""Database access: engine creation, tables and migrations."""
