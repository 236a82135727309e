"""The planners' summary: where each record stands, added up per OPD, program
and kegiatan, and the figures each run leaves behind (the trend)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from app.mismatches import daftar
from app.models import OpdSnapshot, RecordState
from app.repositories.upsert import upsert
from mappings.nomenklatur import TINGKAT_SAKIP

TREND_RUNS = 30
_SEN = Decimal("0.01")

_STATE_COLUMNS = (
    "kode_skpd",
    "nama_skpd",
    "kode_sub_skpd",
    "kode_program",
    "nama_program",
    "kode_kegiatan",
    "nama_kegiatan",
    "kode_sub_kegiatan",
    "nama_sub_kegiatan",
    "dalam_lingkup",
    "tepat",
    "siap_sakip",
    "siap_capaian_program",
    "siap_keluaran_kegiatan",
    "siap_hasil_kegiatan",
    "siap_keluaran_sub_kegiatan",
    "pagu_eprogram",
    "pagu_eplanning",
    "outcome",
    "run_id",
)


# Where a record stands; its outcome and run are those of the run that last
# changed one of these, so a run where nothing changed writes no row.
_STANDING = tuple(name for name in _STATE_COLUMNS if name not in ("outcome", "run_id"))


def save_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Upsert where records stand (keys: tahun_anggaran, tahap, source_id); a
    row that stands as it stood is not written (its ``outcome`` and ``run_id``
    stay those of the run that last moved it)."""
    upsert(
        session,
        RecordState,
        rows,
        keys=("tahun_anggaran", "tahap", "source_id"),
        update=_STATE_COLUMNS,
        unless_same=_STANDING,
    )


def out_of_scope(
    session: Session, *, tahun_anggaran: int, tahap: str, source_ids: Sequence[str]
) -> None:
    """Copies that another copy of their key now outranks stop counting."""
    ids = sorted(set(source_ids))
    for start in range(0, len(ids), 500):
        session.execute(
            update(RecordState)
            .where(
                RecordState.tahun_anggaran == tahun_anggaran,
                RecordState.tahap == tahap,
                RecordState.source_id.in_(ids[start : start + 500]),
                # A copy already out of scope is not written (nor locked) again.
                or_(
                    RecordState.dalam_lingkup,
                    RecordState.tepat,
                    RecordState.pagu_eplanning.is_not(None),
                ),
            )
            .values(dalam_lingkup=False, tepat=False, pagu_eplanning=None)
            .execution_options(synchronize_session=False)
        )


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(_SEN)


@dataclass
class OpdFigures:
    """One OPD's figures (or the pemda's, with ``kode_skpd`` None)."""

    kode_skpd: str | None
    nama_skpd: str | None = None
    jumlah: int = 0
    tepat: int = 0
    siap_sakip: int = 0
    pagu_eprogram: Decimal = Decimal("0.00")
    pagu_eplanning: Decimal = Decimal("0.00")
    mismatch: dict[str, int] = field(default_factory=dict)
    # Sub kegiatan ready at each indicator level (mappings.nomenklatur.TINGKAT_SAKIP).
    siap_tingkat: dict[str, int] = field(default_factory=dict)

    @property
    def selisih_pagu(self) -> Decimal:
        return self.pagu_eprogram - self.pagu_eplanning

    @property
    def mismatch_terbuka(self) -> int:
        return sum(self.mismatch.values())

    @property
    def kesiapan(self) -> float | None:
        """Share of sub kegiatan ready for SAKIP, 0..1 (None with nothing in scope)."""
        return self.siap_sakip / self.jumlah if self.jumlah else None

    def kesiapan_tingkat(self) -> dict[str, float | None]:
        """Per indicator level, the share of sub kegiatan ready there, 0..1."""
        return {
            tingkat: (self.siap_tingkat.get(tingkat, 0) / self.jumlah if self.jumlah else None)
            for tingkat in TINGKAT_SAKIP
        }

    def add(self, other: OpdFigures) -> None:
        self.jumlah += other.jumlah
        self.tepat += other.tepat
        self.siap_sakip += other.siap_sakip
        self.pagu_eprogram += other.pagu_eprogram
        self.pagu_eplanning += other.pagu_eplanning
        for kategori, n in other.mismatch.items():
            self.mismatch[kategori] = self.mismatch.get(kategori, 0) + n
        for tingkat, n in other.siap_tingkat.items():
            self.siap_tingkat[tingkat] = self.siap_tingkat.get(tingkat, 0) + n


def _in(column: Any, opd: frozenset[str] | None) -> list[Any]:
    return [] if opd is None else [column.in_(sorted(opd))]


def per_opd(
    session: Session, *, tahun_anggaran: int, tahap: str, opd: frozenset[str] | None = None
) -> list[OpdFigures]:
    """Every OPD with records or open mismatches, ranked by open mismatches."""
    figures: dict[str, OpdFigures] = {}
    rs = RecordState
    for row in session.execute(
        select(
            rs.kode_skpd,
            func.max(rs.nama_skpd),
            func.sum(case((rs.dalam_lingkup, 1), else_=0)),
            func.sum(case((rs.dalam_lingkup & rs.tepat, 1), else_=0)),
            func.sum(case((rs.dalam_lingkup & rs.siap_sakip, 1), else_=0)),
            func.sum(case((rs.dalam_lingkup, rs.pagu_eprogram), else_=0)),
            func.sum(rs.pagu_eplanning),
            *(
                func.sum(case((rs.dalam_lingkup & getattr(rs, f"siap_{tingkat}"), 1), else_=0))
                for tingkat in TINGKAT_SAKIP
            ),
        )
        .where(rs.tahun_anggaran == tahun_anggaran, rs.tahap == tahap, *_in(rs.kode_skpd, opd))
        .group_by(rs.kode_skpd)
    ):
        kode = row[0] or ""
        figures[kode] = OpdFigures(
            kode_skpd=row[0],
            nama_skpd=row[1],
            jumlah=int(row[2] or 0),
            tepat=int(row[3] or 0),
            siap_sakip=int(row[4] or 0),
            pagu_eprogram=_money(row[5]),
            pagu_eplanning=_money(row[6]),
            siap_tingkat={
                tingkat: int(n or 0) for tingkat, n in zip(TINGKAT_SAKIP, row[7:], strict=True)
            },
        )
    for kode, kategori, n in daftar.open_per_opd(
        session, tahun_anggaran=tahun_anggaran, tahap=tahap, opd=opd
    ):
        entry = figures.setdefault(kode or "", OpdFigures(kode_skpd=kode))
        entry.mismatch[kategori] = n
    return sorted(figures.values(), key=lambda f: (-f.mismatch_terbuka, f.kode_skpd or "\uffff"))


def total(rows: Sequence[OpdFigures]) -> OpdFigures:
    """The whole pemda: the OPDs added up."""
    pemda = OpdFigures(kode_skpd=None, nama_skpd="Seluruh perangkat daerah")
    for row in rows:
        pemda.add(row)
    return pemda


@dataclass(frozen=True)
class PaguRollup:
    """Pagu added up over one program or kegiatan of an OPD."""

    kode: str
    nama: str | None
    jumlah: int
    pagu_eprogram: Decimal
    pagu_eplanning: Decimal

    @property
    def selisih(self) -> Decimal:
        return self.pagu_eprogram - self.pagu_eplanning


def pagu_rollup(
    session: Session, *, tahun_anggaran: int, tahap: str, kode_skpd: str, level: str
) -> list[PaguRollup]:
    """Per program (``level="program"``) or kegiatan of one OPD, those whose
    E-Program and E-Planning pagu differ."""
    rs = RecordState
    column, name_column = (
        (rs.kode_program, rs.nama_program)
        if level == "program"
        else (rs.kode_kegiatan, rs.nama_kegiatan)
    )
    rows = session.execute(
        select(
            column,
            # One code carries one name; rows from before names were kept have none.
            func.max(name_column),
            func.sum(case((rs.dalam_lingkup, 1), else_=0)),
            func.sum(case((rs.dalam_lingkup, rs.pagu_eprogram), else_=0)),
            func.sum(rs.pagu_eplanning),
        )
        .where(rs.tahun_anggaran == tahun_anggaran, rs.tahap == tahap, rs.kode_skpd == kode_skpd)
        .group_by(column)
        .order_by(column)
    ).all()
    rollups = [
        PaguRollup(str(kode or "-"), nama or None, int(n or 0), _money(ep), _money(epl))
        for kode, nama, n, ep, epl in rows
    ]
    return [r for r in rollups if r.selisih != 0]


def snapshot(session: Session, *, run_id: int, tahun_anggaran: int, tahap: str) -> None:
    """Keep every OPD's figures as this run leaves them (the trend line)."""
    rows = [
        {
            "run_id": run_id,
            "tahun_anggaran": tahun_anggaran,
            "tahap": tahap,
            "kode_skpd": f.kode_skpd,
            "jumlah": f.jumlah,
            "tepat": f.tepat,
            "siap_sakip": f.siap_sakip,
            "pagu_eprogram": f.pagu_eprogram,
            "pagu_eplanning": f.pagu_eplanning,
            "mismatch_terbuka": f.mismatch_terbuka,
        }
        for f in per_opd(session, tahun_anggaran=tahun_anggaran, tahap=tahap)
        if f.kode_skpd is not None
    ]
    upsert(
        session,
        OpdSnapshot,
        rows,
        keys=("run_id", "kode_skpd"),
        update=(
            "jumlah",
            "tepat",
            "siap_sakip",
            "pagu_eprogram",
            "pagu_eplanning",
            "mismatch_terbuka",
        ),
    )


def trend(
    session: Session,
    *,
    tahun_anggaran: int,
    tahap: str,
    opd: frozenset[str] | None = None,
    runs: int = TREND_RUNS,
) -> dict[str | None, list[OpdSnapshot]]:
    """Each OPD's figures over the last ``runs`` runs of the scope, oldest first;
    under ``None``, the pemda's (the OPDs added up per run)."""
    last_runs = list(
        session.scalars(
            select(OpdSnapshot.run_id)
            .where(OpdSnapshot.tahun_anggaran == tahun_anggaran, OpdSnapshot.tahap == tahap)
            .group_by(OpdSnapshot.run_id)
            .order_by(OpdSnapshot.run_id.desc())
            .limit(runs)
        )
    )
    series: dict[str | None, list[OpdSnapshot]] = defaultdict(list)
    if not last_runs:
        return series
    rows = session.scalars(
        select(OpdSnapshot)
        .where(OpdSnapshot.run_id.in_(last_runs), *_in(OpdSnapshot.kode_skpd, opd))
        .order_by(OpdSnapshot.run_id, OpdSnapshot.kode_skpd)
    ).all()
    pemda: dict[int, OpdSnapshot] = {}
    for row in rows:
        series[row.kode_skpd].append(row)
        agg = pemda.setdefault(
            row.run_id,
            OpdSnapshot(
                run_id=row.run_id,
                tahun_anggaran=tahun_anggaran,
                tahap=tahap,
                kode_skpd="",
                jumlah=0,
                tepat=0,
                siap_sakip=0,
                pagu_eprogram=Decimal(0),
                pagu_eplanning=Decimal(0),
                mismatch_terbuka=0,
                at=row.at,
            ),
        )
        agg.jumlah += row.jumlah
        agg.tepat += row.tepat
        agg.siap_sakip += row.siap_sakip
        agg.pagu_eprogram += row.pagu_eprogram
        agg.pagu_eplanning += row.pagu_eplanning
        agg.mismatch_terbuka += row.mismatch_terbuka
    series[None] = [pemda[run] for run in sorted(pemda)]
    return series


def has_records(
    session: Session, *, tahun_anggaran: int, tahap: str, opd: frozenset[str] | None = None
) -> bool:
    """Whether any E-Program record of this tahun/tahap (of these OPD) has ever
    reached Sinkron: a scope that never had data is most often a wrong year."""
    found = session.scalar(
        select(RecordState.source_id)
        .where(
            RecordState.tahun_anggaran == tahun_anggaran,
            RecordState.tahap == tahap,
            *_in(RecordState.kode_skpd, opd),
        )
        .limit(1)
    )
    return found is not None


def seen_opd(session: Session, kode_skpd: Sequence[str]) -> set[str]:
    """Those of these OPD that some run has summed up (any tahun, any tahap)."""
    rows = session.scalars(
        select(OpdSnapshot.kode_skpd).where(OpdSnapshot.kode_skpd.in_(sorted(set(kode_skpd))))
    )
    return set(rows)


def nama_skpd(session: Session, *, tahun_anggaran: int, tahap: str, kode_skpd: str) -> str | None:
    """The OPD's name as its records of this tahun/tahap give it, if any."""
    return session.scalars(
        select(RecordState.nama_skpd)
        .where(
            RecordState.tahun_anggaran == tahun_anggaran,
            RecordState.tahap == tahap,
            RecordState.kode_skpd == kode_skpd,
            RecordState.nama_skpd.is_not(None),
        )
        .limit(1)
    ).first()


def scopes(session: Session) -> list[tuple[int, str]]:
    """The (tahun anggaran, tahap) pairs that have records or mismatches, newest
    tahun first: what the report pages offer to choose from."""
    pairs = {
        (int(t), str(p))
        for t, p in session.execute(
            select(RecordState.tahun_anggaran, RecordState.tahap).distinct()
        )
    }
    return sorted(pairs | daftar.scopes(session), key=lambda s: (-s[0], s[1]))
