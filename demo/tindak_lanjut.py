"""The demo's follow-up story, so the overview shows every status at once.

Every finding of the demo is found by its one sync, minutes old; left so,
every OPD would be ``sedang_menindaklanjuti``. The demo therefore writes a
little history after the sync, and says so when it starts:

- the findings of the OPD ranked first are back-dated 20 days (untouched past
  the limit: ``belum_menindaklanjuti``);
- the next OPD acknowledges all its findings (``sedang_menindaklanjuti``,
  every finding answered);
- the OPD with the fewest findings accepts them as exceptions, with a reason
  (``tuntas``).

Decisions go through the one decide service, with history and audit rows.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.access.keys import Principal, Role
from app.config import Settings
from app.db import make_engine, make_session_factory, session_scope
from app.mismatches import keputusan
from app.mismatches.keputusan import Pemutus
from app.mismatches.siklus import Keputusan
from app.mismatches.tindak_lanjut import TindakLanjut, sejak_baku
from app.mismatches.tindak_lanjut_baca import baca_tindak_lanjut
from app.models import OPEN_MISMATCH, Mismatch
from app.report import angka

MUNDUR_HARI = 20
PERENCANA = Principal("perencana-demo", Role.PLANNER)


def _baca(session: Session, settings: Settings, tahun: int, tahap: str) -> TindakLanjut:
    now = clock.now()
    return baca_tindak_lanjut(
        session,
        tahun_anggaran=tahun,
        tahap=tahap,
        sejak=sejak_baku(now),
        sekarang=now,
        batas_hari=settings.tindak_lanjut_hari,
        kode_skpd=None,
    )


def _open_ids(session: Session, kode_skpd: str, tahun: int, tahap: str) -> list[int]:
    return list(
        session.scalars(
            select(Mismatch.id).where(
                Mismatch.tahun_anggaran == tahun,
                Mismatch.tahap == tahap,
                Mismatch.kode_skpd == kode_skpd,
                Mismatch.status.in_(OPEN_MISMATCH),
            )
        )
    )


def cerita(settings: Settings, tahun: int, tahap: str) -> str:
    """Write the story into the demo's database; the statuses it leaves, as text."""
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    try:
        with session_scope(sessions) as session:
            ranked = [o for o in _baca(session, settings, tahun, tahap).opd if o.terbuka]
            if len(ranked) < 3:
                return "tindak lanjut: terlalu sedikit OPD dengan temuan untuk contoh"
            belum, sedang = ranked[0], ranked[1]
            tuntas = min(ranked[2:], key=lambda o: (o.terbuka, o.kode_skpd or ""))
            assert belum.kode_skpd and sedang.kode_skpd and tuntas.kode_skpd
            ids = _open_ids(session, belum.kode_skpd, tahun, tahap)
            for found in session.scalars(select(Mismatch).where(Mismatch.id.in_(ids))):
                found.first_seen_at -= timedelta(days=MUNDUR_HARI)
            pemutus = Pemutus(PERENCANA, None, "demo", 200, {"lewat": "demo"})
            for who, decision, note in (
                (sedang, Keputusan.AKUI, "dibahas di rapat demo"),
                (tuntas, Keputusan.KECUALIKAN, "contoh demo: perbedaan diterima"),
            ):
                assert who.kode_skpd
                ids = _open_ids(session, who.kode_skpd, tahun, tahap)
                keputusan.decide_many(session, ids, decision, note, pemutus=pemutus, batas=len(ids))
        with session_scope(sessions) as session:
            after = _baca(session, settings, tahun, tahap)
    finally:
        engine.dispose()
    counts = Counter(o.status.value for o in after.opd)
    return (
        f"Contoh tindak lanjut (temuan {belum.kode_skpd} dimundurkan {MUNDUR_HARI} hari, "
        f"batas {settings.tindak_lanjut_hari} hari; {sedang.kode_skpd} mengakui semua; "
        f"{tuntas.kode_skpd} mengecualikan semua):\n"
        + "\n".join(f"  {status:24} {angka(n):>4} OPD" for status, n in sorted(counts.items()))
    )
