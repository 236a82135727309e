"""One sync run, page by page: pull → map → reconcile → push → record.

When and where a run is carried out (worker, schedule, lease) is app/runs."""
