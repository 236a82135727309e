"""What the planners' report finds, through real syncs against the stand-ins: each
category with its values, the life of a mismatch across runs, and a summary that
adds up to the rows behind it. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.access.keys import Principal, Role
from app.db import session_scope
from app.mismatches.keputusan import Pemutus, decide_one
from app.mismatches.siklus import Keputusan
from app.models import OPEN_MISMATCH, Mismatch, MismatchEvent, OpdSnapshot, RecordState, RunStatus
from app.nomenklatur import store
from app.repositories import ringkasan
from standins import nomenklatur, seed
from standins.generator import generate
from tests.conftest import SERVICE_TIMEOUT
from tests.e2e.conftest import PLANNER_TOKEN, TAHAP, TAHUN, World, make_world
from tests.e2e.test_sync import assert_adds_up, key_of, with_pagu


def import_sample(world: World) -> None:
    """The stand-ins' sample, imported into Sinkron as the version for the year."""
    sample = nomenklatur.load_sample()
    with session_scope(world.sessions) as session:
        store.save_items(
            session,
            tahun_anggaran=TAHUN,
            label=str(sample["versi"]),
            source=nomenklatur.SAMPLE_PATH,
            items=sample["items"],
        )


def found(world: World, **where: Any) -> list[Mismatch]:
    with session_scope(world.sessions) as session:
        stmt = select(Mismatch).order_by(Mismatch.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(Mismatch, name) == value)
        rows = list(session.scalars(stmt))
        session.expunge_all()
        return rows


def sample_item(kode: str) -> dict[str, Any]:
    items = nomenklatur.load_sample()["items"]
    wanted = "X.XX" + kode[4:]
    return next(i for i in items if i["kode"] in (kode, wanted))


def four_digit(raw: dict[str, Any]) -> str:
    return key_of(raw)[1]


def planner_put(world: World, body: dict[str, Any]) -> None:
    path = (
        f"{world.target.url}/api/v1/renja-sub-kegiatan/{TAHUN}/{TAHAP}/"
        f"{body['kode_sub_skpd']}/{body['kode_sub_kegiatan']}"
    )
    headers = {"Authorization": f"Bearer {PLANNER_TOKEN}", "Idempotency-Key": uuid4().hex}
    httpx.put(path, json=body, headers=headers, timeout=SERVICE_TIMEOUT).raise_for_status()


def planner_types(world: World, count: int) -> list[dict[str, Any]]:
    """Records of sub-units E-Program does not have, typed by a planner straight
    into E-Planning; their bodies."""
    typed = seed.hand_entered(
        world.dataset,
        nomenklatur.load_sample()["items"],
        tahun_anggaran=TAHUN,
        tahap=TAHAP,
        count=count,
    )
    for body in typed:
        planner_put(world, body)
    return typed


def planner_delete(world: World, body: dict[str, Any]) -> None:
    path = (
        f"{world.target.url}/api/v1/renja-sub-kegiatan/{TAHUN}/{TAHAP}/"
        f"{body['kode_sub_skpd']}/{body['kode_sub_kegiatan']}"
    )
    headers = {"Authorization": f"Bearer {PLANNER_TOKEN}", "Idempotency-Key": uuid4().hex}
    httpx.delete(path, headers=headers, timeout=SERVICE_TIMEOUT).raise_for_status()


# -- each category, with its values -------------------------------------------


def test_a_name_other_than_the_nomenclatures_is_nama_berbeda(world: World) -> None:
    import_sample(world)
    other, cosmetic = world.dataset.records[0], world.dataset.records[1]
    nama = sample_item(four_digit(other))["nama"]
    world.dataset.touch(other["id"], nama_sub_giat=f"{nama} Tahun 2026")
    spaced = cosmetic["nama_sub_giat"].upper().replace(" ", "  \n", 1)
    world.dataset.touch(cosmetic["id"], nama_sub_giat=f"{four_digit(cosmetic)} {spaced}")

    assert_adds_up(world.sync(full=True))

    [row] = found(world, kategori="nama_berbeda")
    assert row.source_id == other["id"]
    assert (row.nilai_eprogram, row.nilai_eplanning) == (f"{nama} Tahun 2026", nama)
    assert row.field == "nama_sub_giat"
    assert row.kode_skpd == other["kode_skpd"]
    assert (row.kode_sub_skpd, row.kode_sub_kegiatan) == key_of(other)
    assert row.nama_sub_kegiatan == f"{nama} Tahun 2026"
    assert "berbeda dengan nama di nomenklatur" in (row.keterangan or "")


def test_without_an_imported_nomenclature_names_are_not_judged(world: World) -> None:
    raw = world.dataset.records[0]
    world.dataset.touch(raw["id"], nama_sub_giat="Nama yang sama sekali lain")
    assert_adds_up(world.sync(full=True))
    assert found(world, kategori="nama_berbeda") == []


def test_a_keluaran_satuan_other_than_the_nomenclatures(world: World) -> None:
    import_sample(world)
    raw = world.dataset.records[2]
    satuan = sample_item(four_digit(raw))["satuan"]
    indikator = [{**raw["sub_keg_indikator"][0], "satuanoutput": "Kegiatan Lain"}]
    world.dataset.touch(raw["id"], sub_keg_indikator=indikator)

    assert_adds_up(world.sync(full=True))

    [row] = found(world, kategori="indikator_tidak_lengkap")
    assert row.source_id == raw["id"]
    assert row.field == "sub_keg_indikator.satuanoutput"
    assert (row.nilai_eprogram, row.nilai_eplanning) == ("Kegiatan Lain", satuan)


def test_no_keluaran_indicator_is_one_row_whether_or_not_eplanning_refuses(world: World) -> None:
    zero, paid = world.dataset.records[3], world.dataset.records[4]
    world.dataset.touch(zero["id"], sub_keg_indikator=[], pagu="0", sumber_dana=[])
    world.dataset.touch(paid["id"], sub_keg_indikator=[])

    summary = world.sync(full=True)

    assert_adds_up(summary)
    outcomes = world.outcomes(summary.run_id)
    assert outcomes[zero["id"]].outcome == "created"  # E-Planning takes it without pagu
    assert outcomes[paid["id"]].outcome == "rejected"  # indikator_wajib
    rows = found(world, kategori="indikator_tidak_lengkap")
    assert sorted((r.source_id, r.field) for r in rows) == sorted(
        [(zero["id"], "indikator"), (paid["id"], "indikator")]
    )


def test_a_dropped_code_names_its_successor_and_the_pagu_eplanning_lacks(world: World) -> None:
    import_sample(world)
    items = nomenklatur.load_sample()["items"]
    opds = {p["kode_skpd"][:4]: p for p in world.dataset.perangkat_daerah if p["is_skpd"] == "1"}
    successor = next(
        i
        for i in items
        if i.get("kode_sebelumnya") and not i["kode"].startswith("X") and i["kode"][:4] in opds
    )
    unit = opds[successor["kode"][:4]]
    raw = {
        **world.dataset.records[0],
        "id": "990100",
        "kode_skpd": unit["kode_skpd"],
        "kode_sub_skpd": unit["kode_skpd"],
        "nama_skpd": unit["nama_skpd"],
        "nama_sub_skpd": unit["nama_skpd"],
        "kode_sub_giat": successor["kode_sebelumnya"],
        **with_pagu(world.dataset.records[0], 1_250_000_000),
    }
    world.dataset.add(raw)

    summary = world.sync(full=True)

    assert_adds_up(summary)
    assert world.outcomes(summary.run_id)["990100"].outcome == "rejected"
    by_kategori = {m.kategori: m for m in found(world, source_id="990100")}
    code = by_kategori["kode_tidak_di_nomenklatur"]
    assert code.nilai_eprogram == successor["kode_sebelumnya"]
    assert code.nilai_eplanning == successor["kode"]
    assert f"diganti dengan {successor['kode']}" in (code.keterangan or "")
    assert code.kode_skpd == unit["kode_skpd"]
    pagu = by_kategori["pagu_berbeda"]
    assert (pagu.field, pagu.nilai_eprogram, pagu.nilai_eplanning) == (
        "pagu",
        "1250000000.00",
        None,
    )


def test_a_conflict_leaves_the_two_pagu_side_by_side(world: World) -> None:
    world.sync(full=True)
    raw = world.dataset.records[5]
    world.manual_edit(key_of(raw), {"pagu": "999000000.00"})
    world.dataset.touch(raw["id"], **with_pagu(raw, 777_000_000))

    summary = world.sync()

    assert summary.counts == {"conflict": 1}
    [row] = found(world, kategori="pagu_berbeda")
    assert (row.source_id, row.field) == (raw["id"], "pagu")
    assert (row.nilai_eprogram, row.nilai_eplanning) == ("777000000.00", "999000000.00")
    assert "konflik" in (row.keterangan or "")


def test_what_only_eplanning_holds_is_found_by_full_runs_and_settled(world: World) -> None:
    world.sync(full=True)
    [typed] = planner_types(world, 1)

    world.sync()  # incremental: it has not seen everything, so it says nothing
    assert found(world, kategori="hanya_di_eplanning") == []
    world.sync(kode_skpd=(typed["kode_skpd"],), full=True)  # one OPD only: the same
    assert found(world, kategori="hanya_di_eplanning") == []

    first = world.sync(full=True)
    [row] = found(world, kategori="hanya_di_eplanning")
    assert row.source_id is None
    assert (row.kode_skpd, row.kode_sub_skpd, row.kode_sub_kegiatan) == (
        typed["kode_skpd"],
        typed["kode_sub_skpd"],
        typed["kode_sub_kegiatan"],
    )
    assert row.nama_sub_kegiatan == typed["nama_sub_kegiatan"]
    assert row.status == "baru" and row.first_run_id == first.run_id

    world.sync(full=True)  # still there: the same row
    [again] = found(world, kategori="hanya_di_eplanning")
    assert again.id == row.id and again.status == "baru"

    planner_delete(world, typed)
    world.sync(full=True)
    [gone] = found(world, kategori="hanya_di_eplanning")
    assert gone.id == row.id and gone.status == "selesai"


def test_a_422_no_rule_explains_is_ditolak(world: World) -> None:
    raw = world.dataset.records[6]
    dana = [{**raw["sumber_dana"][0], "kode_dana": ""}, *raw["sumber_dana"][1:]]
    world.dataset.touch(raw["id"], sumber_dana=dana)

    assert_adds_up(world.sync(full=True))

    [row] = found(world, kategori="ditolak")
    assert row.source_id == raw["id"]
    assert row.field == "sumber_dana[0].kode"
    assert "wajib" in (row.keterangan or "")


# -- the life of a mismatch ------------------------------------------------------


def decide(world: World, mismatch_id: int, keputusan: Keputusan, catatan: str) -> None:
    with session_scope(world.sessions) as session:
        planner = Principal("perencana.bappeda", Role.PLANNER)
        pemutus = Pemutus(planner, opd=None, client=None, status_code=200)
        decide_one(session, mismatch_id, keputusan, catatan, pemutus=pemutus)


def history(world: World, mismatch_id: int) -> list[tuple[str | None, str, str]]:
    with session_scope(world.sessions) as session:
        return [
            (e.dari, e.ke, e.oleh)
            for e in session.scalars(
                select(MismatchEvent)
                .where(MismatchEvent.mismatch_id == mismatch_id)
                .order_by(MismatchEvent.id)
            )
        ]


def test_found_acknowledged_resolved_and_excepted_reopened_across_three_runs(
    world: World,
) -> None:
    import_sample(world)
    fixed, excepted = world.dataset.records[7], world.dataset.records[8]
    indikator = [{**fixed["sub_keg_indikator"][0], "targetoutput": "Ada", "targetoutputteks": ""}]
    world.dataset.touch(fixed["id"], sub_keg_indikator=indikator)
    nama = sample_item(four_digit(excepted))["nama"]
    world.dataset.touch(excepted["id"], nama_sub_giat=f"{nama} (lama)")

    # Run 1: both found.
    assert_adds_up(world.sync(full=True))
    [target] = found(world, kategori="indikator_tidak_lengkap", source_id=fixed["id"])
    [name] = found(world, kategori="nama_berbeda", source_id=excepted["id"])
    assert (target.status, name.status) == ("baru", "baru")
    decide(world, target.id, Keputusan.AKUI, "OPD sudah dihubungi")
    decide(world, name.id, Keputusan.KECUALIKAN, "nama lama dipakai di DPA")

    # Run 2: the target is fixed; the excepted name is touched but stays the same.
    world.dataset.touch(fixed["id"], sub_keg_indikator=[{**indikator[0], "targetoutput": "2"}])
    world.dataset.touch(excepted["id"], **with_pagu(excepted, 321_000_000))
    assert_adds_up(world.sync())
    [target] = found(world, id=target.id)
    [name] = found(world, id=name.id)
    assert (target.status, name.status) == ("selesai", "dikecualikan")

    # Run 3: the excepted name changes again: back to baru, the same row.
    world.dataset.touch(excepted["id"], nama_sub_giat=f"{nama} (baru)")
    assert_adds_up(world.sync())
    [name] = found(world, id=name.id)
    assert name.status == "baru"
    assert name.nilai_eprogram == f"{nama} (baru)"
    assert len(found(world, kategori="nama_berbeda")) == 1

    assert history(world, target.id) == [
        ("baru", "diakui", "perencana.bappeda"),
        ("diakui", "selesai", "sistem"),
    ]
    assert history(world, name.id) == [
        ("baru", "dikecualikan", "perencana.bappeda"),
        ("dikecualikan", "baru", "sistem"),
    ]


def test_a_rejection_fixed_at_the_source_is_resolved_even_though_it_never_landed(
    world: World,
) -> None:
    raw = world.dataset.records[9]
    world.dataset.touch(raw["id"], sub_keg_indikator=[])
    world.sync(full=True)
    [row] = found(world, kategori="indikator_tidak_lengkap", source_id=raw["id"])

    # Still refused, for another reason now: the old reason is gone all the same.
    world.dataset.touch(raw["id"], sub_keg_indikator=raw["sub_keg_indikator"], waktu_awal="13")
    summary = world.sync()

    assert world.outcomes(summary.run_id)[raw["id"]].outcome == "unmappable"
    [row] = found(world, id=row.id)
    assert row.status == "selesai"
    [invalid] = found(world, kategori="data_tidak_valid", source_id=raw["id"])
    assert invalid.status == "baru" and invalid.kode_skpd == raw["kode_skpd"]


def test_an_operator_copys_runs_leave_the_real_records_findings_and_count(world: World) -> None:
    real = world.dataset.records[10]
    indikator = [{**real["sub_keg_indikator"][0], "targetoutput": "Ada"}]
    world.dataset.touch(real["id"], sub_keg_indikator=indikator)
    copy = {**world.dataset.get(real["id"]), "id": "990200", "update_at": "2024-12-31 23:00:00"}
    world.dataset.add(copy)
    world.dataset.touch(real["id"])
    world.sync(full=True)
    before = summary_of(world)
    [target] = found(world, kategori="indikator_tidak_lengkap", source_id=real["id"])

    # The copy alone is switched off: it still loses, the real record is untouched.
    world.dataset.touch("990200", active="0", pagu="1", sumber_dana=[])
    summary = world.sync()

    assert set(world.outcomes(summary.run_id)) == {"990200"}
    assert found(world, id=target.id)[0].status == "baru"
    [duplicate] = found(world, kategori="duplikat", source_id="990200")
    assert duplicate.status == "baru"
    assert astuple(summary_of(world)) == astuple(before)

    # The copy comes back, later than the real record: now the real one is the copy.
    world.dataset.touch("990200", active="1", **with_pagu(real, 5_000_000))
    summary = world.sync()

    assert world.outcomes(summary.run_id)["990200"].outcome == "updated"
    assert found(world, id=duplicate.id)[0].status == "selesai"
    [outranked] = found(world, kategori="duplikat", source_id=real["id"])
    assert outranked.status == "baru" and outranked.nilai_eplanning == "990200"
    # What the real record lacks is still what it lacks: nobody looked at it.
    assert found(world, id=target.id)[0].status == "baru"
    after = summary_of(world)
    assert (after.jumlah, after.tepat) == (before.jumlah, before.tepat)
    assert after.pagu_eprogram == before.pagu_eprogram - Decimal(real_pagu(world, real)) + 5_000_000


def astuple(figures: ringkasan.OpdFigures) -> tuple[Any, ...]:
    return (
        figures.jumlah,
        figures.tepat,
        figures.siap_sakip,
        figures.pagu_eprogram,
        figures.pagu_eplanning,
    )


def real_pagu(world: World, raw: dict[str, Any]) -> str:
    with session_scope(world.sessions) as session:
        state = session.get(RecordState, (TAHUN, TAHAP, raw["id"]))
        assert state is not None and state.pagu_eprogram is not None
        return str(state.pagu_eprogram)


# -- the summary adds up -----------------------------------------------------------


def summary_of(world: World) -> ringkasan.OpdFigures:
    with session_scope(world.sessions) as session:
        return ringkasan.total(ringkasan.per_opd(session, tahun_anggaran=TAHUN, tahap=TAHAP))


@pytest.fixture
def untidy(
    session_factory: sessionmaker[Session], database_url: str, sample_items: list[dict[str, Any]]
) -> Iterator[World]:
    dataset = generate(
        sample_items, tahun_anggaran=TAHUN, tahap=TAHAP, size=400, seed=5, problem_rate=0.08
    )
    yield from make_world(session_factory, database_url, dataset)


def test_the_summary_adds_up_to_the_rows_behind_it(untidy: World) -> None:
    world = untidy
    import_sample(world)
    for body in seed.hand_entered(
        world.dataset, nomenklatur.load_sample()["items"], tahun_anggaran=TAHUN, tahap=TAHAP
    ):
        planner_put(world, body)
    first = world.sync(full=True)
    touched = world.dataset.records[:20]
    for raw in touched:
        world.dataset.touch(raw["id"], active="0")
    second = world.sync(full=True)
    for summary in (first, second):
        assert summary.status is RunStatus.SUCCEEDED, summary.error

    with session_scope(world.sessions) as session:
        opds = ringkasan.per_opd(session, tahun_anggaran=TAHUN, tahap=TAHAP)
        pemda = ringkasan.total(opds)
        open_rows = list(
            session.scalars(select(Mismatch).where(Mismatch.status.in_(OPEN_MISMATCH)))
        )
        states = list(session.scalars(select(RecordState)))
        snapshots = list(session.scalars(select(OpdSnapshot)))

    # Counts per kategori are the rows of the mismatch table, OPD by OPD, each
    # cause once: a finding that follows from another of its record is left out.
    causes = {m.id: m for m in open_rows}
    consequences = [m for m in open_rows if m.penyebab_id is not None]
    assert consequences
    assert all(
        causes[m.penyebab_id].source_id == m.source_id
        for m in consequences
        if m.penyebab_id in causes
    )
    every_open, open_rows = open_rows, [m for m in open_rows if m.penyebab_id is None]
    assert pemda.mismatch == dict(Counter(m.kategori for m in open_rows))
    for opd in opds:
        mine = Counter(m.kategori for m in open_rows if m.kode_skpd == opd.kode_skpd)
        assert opd.mismatch == dict(mine)
    assert set(pemda.mismatch) >= {"hanya_di_eplanning", "duplikat"}
    # Here every pagu difference follows from a refusal or a hand edit.
    assert "pagu_berbeda" in {m.kategori for m in consequences}
    # jumlah and tepat are the record states, one per E-Program record.
    assert len(states) == len(world.dataset.records)
    in_scope = [s for s in states if s.dalam_lingkup]
    assert pemda.jumlah == len(in_scope)
    assert pemda.tepat == sum(1 for s in in_scope if s.tepat)
    assert pemda.siap_sakip == sum(1 for s in in_scope if s.siap_sakip)
    switched_off = {r["id"] for r in touched}
    # Switched off is out of scope, unless E-Program could not even say so.
    assert [
        (s.source_id, s.outcome)
        for s in in_scope
        if s.source_id in switched_off and s.outcome != "unmappable"
    ] == []
    for opd in opds:
        assert opd.jumlah == sum(1 for s in in_scope if s.kode_skpd == opd.kode_skpd)
    # What landed exactly is what the last run says landed and nothing else.
    outcomes = world.outcomes(second.run_id)
    landed = {"created", "updated", "unchanged"}
    assert {s.source_id for s in in_scope if s.tepat} <= {
        i for i, o in outcomes.items() if o.outcome in landed
    }
    # The pagu difference is the pagu_berbeda rows (consequences or not) plus
    # what could not be mapped.
    pagu_rows = [m for m in every_open if m.kategori == "pagu_berbeda"]
    explained = sum(
        (Decimal(m.nilai_eprogram or 0) - Decimal(m.nilai_eplanning or 0) for m in pagu_rows),
        Decimal(0),
    )
    unmapped = sum(
        (
            (s.pagu_eprogram or Decimal(0)) - (s.pagu_eplanning or Decimal(0))
            for s in in_scope
            if s.outcome == "unmappable"
        ),
        Decimal(0),
    )
    assert pemda.selisih_pagu == explained + unmapped
    # A snapshot per run, the latest equal to the summary.
    assert {s.run_id for s in snapshots} == {first.run_id, second.run_id}
    latest = [s for s in snapshots if s.run_id == second.run_id]
    assert sum(s.jumlah for s in latest) == pemda.jumlah
    assert sum(s.mismatch_terbuka for s in latest) == pemda.mismatch_terbuka


def test_a_failed_run_leaves_no_snapshot(world: World) -> None:
    world.faults(world.target, error_rate=1.0, retry_after=0)
    summary = world.sync(full=True)
    assert summary.status is RunStatus.FAILED
    with session_scope(world.sessions) as session:
        assert session.scalars(select(OpdSnapshot)).all() == []
