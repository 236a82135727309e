"""One sync run: pull → map → reconcile → push → record."""
