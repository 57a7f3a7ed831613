"""Workers: claim tasks from the database, run them, store results."""
