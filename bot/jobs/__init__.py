"""Job queues: procrastinate on PostgreSQL (any number of workers) and an in-process queue for SQLite."""
