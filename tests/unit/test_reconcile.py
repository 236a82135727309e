"""The pure diff: what happens to one record given E-Planning's copy and our last write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.sync.reconcile import Action, LastWrite, decide, remote_entry, sync_hash
from mappings.eplanning import RenjaSubKegiatan, StoredRenjaSubKegiatan

SERVICE = "integrasi-eprogram"


def record(**changes: Any) -> RenjaSubKegiatan:
    body: dict[str, Any] = {
        "tahun_anggaran": 2026,
        "tahap": "renja",
        "kode_skpd": "1.02.0.00.0.00.01.0000",
        "kode_sub_skpd": "1.02.0.00.0.00.01.0000",
        "nama_sub_skpd": "Dinas Kesehatan",
        "kode_sub_kegiatan": "1.02.02.2.01.0001",
        "nama_sub_kegiatan": "Pengelolaan Pelayanan Kesehatan Ibu Hamil",
        "pagu": "296187500.00",
        "pagu_tahun_depan": None,
        "bulan_mulai": 1,
        "bulan_selesai": 12,
        "indikator": [
            {
                "jenis": "keluaran_sub_kegiatan",
                "tolok_ukur": "Jumlah Ibu Hamil",
                "target": "1200",
                "target_teks": "1200 Orang",
                "satuan": "Orang",
            }
        ],
        "sumber_dana": [{"kode": "1.1", "nama": "PAD", "pagu": "296187500.00"}],
        "lokasi": ["Kab. Kepulauan Meranti"],
        "aktif": True,
        "sumber": {
            "sistem": "e-program",
            "id": "8156",
            "diperbarui_pada": "2026-01-05T10:22:33+07:00",
        },
    }
    body.update(changes)
    return StoredRenjaSubKegiatan.from_api(
        {
            **body,
            "versi": 1,
            "diperbarui_oleh": SERVICE,
            "diperbarui_pada": "2026-01-05T10:30:00+07:00",
        }
    )


def stored(base: RenjaSubKegiatan, *, versi: int = 3, by: str = SERVICE) -> dict[str, Any]:
    """The record as E-Planning would send it back."""
    return {
        **base.to_api(),
        "versi": versi,
        "diperbarui_oleh": by,
        "diperbarui_pada": "2026-01-06T08:00:00+07:00",
    }


def test_absent_in_eplanning_is_created() -> None:
    assert decide(record(), None, None, service_user=SERVICE).action is Action.CREATE


def test_inactive_and_absent_needs_nothing() -> None:
    assert decide(record(aktif=False), None, None, service_user=SERVICE).action is Action.UNCHANGED


def test_same_content_is_unchanged_even_when_only_the_source_time_moved() -> None:
    remote = remote_entry(stored(record()))
    touched = record(
        sumber={"sistem": "e-program", "id": "8156", "diperbarui_pada": "2026-02-01T09:00:00+07:00"}
    )
    decision = decide(touched, remote, LastWrite(3, remote.sync_hash), service_user=SERVICE)
    assert decision.action is Action.UNCHANGED


def test_changed_pagu_is_an_update_listing_the_field_and_the_versi_it_replaces() -> None:
    remote = remote_entry(stored(record()))
    decision = decide(
        record(
            pagu="300000000.00",
            sumber_dana=[{"kode": "1.1", "nama": "PAD", "pagu": "300000000.00"}],
        ),
        remote,
        LastWrite(3, remote.sync_hash),
        service_user=SERVICE,
    )
    assert decision.action is Action.UPDATE
    assert decision.changed == ["pagu", "sumber_dana"]
    assert decision.if_match == 3


def test_inactive_in_eprogram_deactivates_an_active_record() -> None:
    remote = remote_entry(stored(record()))
    decision = decide(
        record(aktif=False), remote, LastWrite(3, remote.sync_hash), service_user=SERVICE
    )
    assert decision.action is Action.DEACTIVATE
    assert decision.if_match == 3


def test_a_planners_edit_since_our_write_is_a_conflict() -> None:
    remote = remote_entry(stored(record(pagu="1.00"), versi=4, by="perencana.bappeda"))
    decision = decide(record(), remote, LastWrite(3, sync_hash(record())), service_user=SERVICE)
    assert decision.action is Action.CONFLICT
    assert "perencana.bappeda" in (decision.reason or "")
    assert decision.changed == ["pagu"]


def test_policy_source_wins_overwrites_the_edit_with_if_match() -> None:
    remote = remote_entry(stored(record(pagu="1.00"), versi=4, by="perencana.bappeda"))
    decision = decide(record(), remote, LastWrite(3, "x"), service_user=SERVICE, source_wins=True)
    assert decision.action is Action.UPDATE
    assert decision.if_match == 4


def test_a_planners_edit_that_matches_eprogram_is_not_a_conflict() -> None:
    remote = remote_entry(stored(record(), versi=4, by="perencana.bappeda"))
    assert (
        decide(record(), remote, LastWrite(3, "x"), service_user=SERVICE).action is Action.UNCHANGED
    )


def test_a_record_entered_by_hand_before_we_ever_wrote_it_is_a_conflict() -> None:
    remote = remote_entry(stored(record(pagu="5.00"), versi=1, by="perencana.bappeda"))
    assert decide(record(), remote, None, service_user=SERVICE).action is Action.CONFLICT


def test_money_written_differently_hashes_the_same() -> None:
    assert sync_hash(record(pagu="296187500")) == sync_hash(record(pagu="296187500.00"))
    assert sync_hash(record()) != sync_hash(record(pagu=str(Decimal("296187500.01"))))
