"""The modules that query the database, beside the mismatch feature's own
(app.mismatches says which). Callers own the transaction: nothing here commits
(app.db.session_scope does). tests/unit/test_layers.py lists what still queries
elsewhere and keeps that list from growing."""
