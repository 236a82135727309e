"""The only modules that query the database. Callers own the transaction."""
