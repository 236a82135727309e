"""The mismatch feature: what runs find, what planners read and decide.

Pure (no database, no HTTP; unit-tested with tables of cases):

- ``siklus``: the life cycle: the states, the decisions each allows and what
  they do, what a run finding or not finding a problem does to each state.
  The pages ask it which decisions a mismatch offers.
- ``kategori``: how each :class:`~app.vocabulary.Kategori` reads (label, sheet
  name, advice), one table for pages, API and files.
- ``temuan``: a problem a run found, before it is stored, and its identity.
- ``sebab``: one cause counted once: which finding of a record follows from
  which (``penyebab_id``).
- ``tindak_lanjut``: follow-up: a finding's age, whether it was answered,
  each OPD's status and rank, and whether the figures are fresh.

Queries, and only here within the package (the feature's repositories, as
``app/repositories/`` holds those of the run's other tables):

- ``ditemukan``: what a run writes: what it found, the end of what it no
  longer finds (called from ``app.sync``).
- ``daftar``: what planners read: lists, counts, searches, the export's
  stream, the summary's open counts, always within the caller's OPDs.
- ``riwayat``: every change of status, in the mismatch's history.
- ``tindak_lanjut_baca``: what the follow-up reads: findings, sub kegiatan,
  the last activity per OPD, the scope's last successful and failed run.

The use case:

- ``keputusan``: deciding on one mismatch or many, the one way the API
  routes and the pages do it (they keep only their HTTP concerns).

The report files (``app.laporan``) and the routes (``app.api``, ``app.web``)
stay in their own homes and read the feature through these modules. Follow-up
on findings (their age, each OPD's status, digests) belongs to this feature
too: its rules pure beside ``siklus``, its queries beside ``daftar``. The
one "now" they and the run's writes read is ``app.clock``'s.
"""
