"""Per OPD, how many findings stood untouched (belum ditanggapi) at the end of
each of the last weeks: the overview's weekly trend. One query for all OPDs.

A finding counts at a week's end when it had been found by then, no person had
answered it by then and no run had settled it by then; findings that follow
from another (``penyebab_id``) are left out, as in every follow-up count. A
finding reopened later counts from its first finding (its earlier answer is
not kept on the row): the line is a trend, the figures of today are
:mod:`app.mismatches.tindak_lanjut`'s.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from app.models import Mismatch

MINGGU = 8


def akhir_minggu(sekarang: datetime, minggu: int = MINGGU) -> list[datetime]:
    """The ends of the last ``minggu`` weeks, oldest first, the last one now."""
    return [sekarang - timedelta(weeks=minggu - 1 - i) for i in range(minggu)]


def belum_ditanggapi_per_minggu(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    sekarang: datetime,
    kode_skpd: Collection[str] | None,
    minggu: int = MINGGU,
) -> dict[str | None, list[int]]:
    """Per OPD (None: filed under no OPD), the untouched count at each week's
    end, oldest first."""
    m = Mismatch
    columns = [
        func.sum(
            case(
                (
                    and_(
                        m.first_seen_at <= end,
                        or_(m.ditanggapi_pada.is_(None), m.ditanggapi_pada > end),
                        or_(m.selesai_pada.is_(None), m.selesai_pada > end),
                    ),
                    1,
                ),
                else_=0,
            )
        )
        for end in akhir_minggu(sekarang, minggu)
    ]
    conditions = [
        m.tahun_anggaran == tahun_anggaran,
        m.tahap == tahap,
        m.penyebab_id.is_(None),
        m.first_seen_at <= sekarang,
    ]
    if kode_skpd is not None:
        conditions.append(m.kode_skpd.in_(sorted(kode_skpd)))
    rows = session.execute(select(m.kode_skpd, *columns).where(*conditions).group_by(m.kode_skpd))
    return {row[0]: [int(n or 0) for n in row[1:]] for row in rows}
