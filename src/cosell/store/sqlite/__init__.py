"""SQLite, the embedded default: one writer connection per process that group-commits, a reader
connection per thread, and a checkpointer (see group_commit.py for how writes become durable)."""
