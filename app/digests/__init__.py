"""Digests: each OPD told what waits for it, and the pemda a weekly summary.

After a scheduled run that found something new for an OPD (at most once a day)
and on the weekly schedule (``SINKRON_DIGEST_SCHEDULE``, cron in WIB), every OPD
with contacts (``sinkron opd kontak``) gets a digest: what is new since its last
one, what is untouched past the limit, its follow-up status and rank, and the
link to its page. The pemda list gets the follow-up ranking and the OPDs that
have not followed up.

- :mod:`app.digests.alamat`: contacts' addresses and OPD codes checked (pure);
- :mod:`app.digests.susun`: a digest composed as subject, text, HTML and JSON (pure);
- :mod:`app.digests.baca`: the queries (contacts, the outbox, what is new);
- :mod:`app.digests.kirim`: SMTP and the webhook, nothing else;
- :mod:`app.digests.layanan`: when digests are made and sent (after a run, the
  weekly schedule, retries), each recorded once in the outbox and audited.
"""
