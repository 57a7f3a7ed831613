"""Tasks: use cases (service) and every SQL statement about them (repository)."""
