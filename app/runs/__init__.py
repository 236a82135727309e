"""A run's life cycle around the pipeline (app/sync): when a run is created,
where it is carried out, and that only one runs at a time.

- ``runner``: create a run row and carry it out with clients built from the settings.
- ``oneshot``: one run in this process, start to finish (what ``sinkron sync`` does).
- ``worker``: the thread that carries out pending runs under the lease.
- ``lease``: one run at a time across processes and replicas, with a fencing token.
- ``schedule``: the nightly cron (WIB) that creates pending runs for the configured scopes.
- ``service``: the work of a worker process: the worker, the schedule and the digests.
- ``process``: that work as a process of its own (`sinkron worker`, or under `sinkron serve`).
- ``supervisor``: how `sinkron serve` starts, wakes, restarts and stops its worker process.
"""
