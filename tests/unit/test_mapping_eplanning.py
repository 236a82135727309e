"""The strict E-Planning model: its JSON, its rules, its content hash."""

import copy
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from mappings.eplanning import (
    NaturalKey,
    RenjaSubKegiatan,
    StoredRenjaSubKegiatan,
    changed_fields,
    content_hash,
)
from mappings.vocabulary import Tahap

# The example record of the E-Planning contract, verbatim.
BODY: dict[str, Any] = {
    "tahun_anggaran": 2026,
    "tahap": "renja",
    "kode_skpd": "1.02.0.00.0.00.01.0000",
    "kode_sub_skpd": "1.02.0.00.0.00.01.0000",
    "nama_sub_skpd": "Dinas Kesehatan",
    "kode_sub_kegiatan": "1.02.02.2.01.0001",
    "nama_sub_kegiatan": "Pengelolaan Pelayanan Kesehatan Ibu Hamil",
    "pagu": "296187500.00",
    "pagu_tahun_depan": "1176533636.00",
    "bulan_mulai": 1,
    "bulan_selesai": 12,
    "indikator": [
        {
            "jenis": "keluaran_sub_kegiatan",
            "tolok_ukur": "Jumlah Ibu Hamil yang Mendapatkan Pelayanan Kesehatan Sesuai Standar",
            "target": "1200",
            "target_teks": "1200 Orang",
            "satuan": "Orang",
        }
    ],
    "sumber_dana": [
        {"kode": "1.1", "nama": "PENDAPATAN ASLI DAERAH (PAD)", "pagu": "296187500.00"}
    ],
    "lokasi": ["Kab. Kepulauan Meranti, Tebing Tinggi, Semua Kelurahan"],
    "aktif": True,
    "sumber": {
        "sistem": "e-program",
        "id": "8156",
        "diperbarui_pada": "2026-01-05T10:22:33+07:00",
    },
}
STORED_ONLY = {
    "versi": 3,
    "diperbarui_oleh": "integrasi-eprogram",
    "diperbarui_pada": "2026-01-06T01:00:05+07:00",
}


def body(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(BODY)
    result.update(changes)
    return result


def record(**changes: Any) -> RenjaSubKegiatan:
    return RenjaSubKegiatan.model_validate(body(**changes))


def test_tahap_values_are_the_five_stages() -> None:
    assert tuple(Tahap) == ("renja", "rkpd", "kua_ppas", "apbd", "apbd_perubahan")


def test_to_api_writes_the_contract_example_exactly() -> None:
    assert record().to_api() == BODY
    assert list(record().to_api()) == list(BODY)  # same field order as the contract


def test_money_is_written_with_two_decimals_and_targets_without_trailing_zeros() -> None:
    indikator = dict(BODY["indikator"][0], target=Decimal("8.50"))
    hundred = dict(indikator, target=Decimal("1E+2"))
    api = record(
        pagu=Decimal("100"), pagu_tahun_depan=None, indikator=[indikator, hundred]
    ).to_api()
    assert api["pagu"] == "100.00"
    assert api["pagu_tahun_depan"] is None
    assert [item["target"] for item in api["indikator"]] == ["8.5", "100"]


def test_non_numeric_target_is_written_as_null() -> None:
    indikator = dict(BODY["indikator"][0], target=None, target_teks="Ada")
    assert record(indikator=[indikator]).to_api()["indikator"][0]["target"] is None


def test_natural_key() -> None:
    key = record().natural_key()
    assert key == NaturalKey(2026, "renja", "1.02.0.00.0.00.01.0000", "1.02.02.2.01.0001")
    assert str(key) == "2026/renja/1.02.0.00.0.00.01.0000/1.02.02.2.01.0001"
    assert key.as_dict() == {
        "tahun_anggaran": 2026,
        "tahap": "renja",
        "kode_sub_skpd": "1.02.0.00.0.00.01.0000",
        "kode_sub_kegiatan": "1.02.02.2.01.0001",
    }


# --- the rules the model enforces ----------------------------------------


def _reasons(**changes: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        record(**changes)
    return {
        ".".join(map(str, error["loc"])): str(error["ctx"]["error"])
        for error in caught.value.errors()
    }


def test_months_must_be_1_to_12_and_in_order() -> None:
    assert _reasons(bulan_mulai=0) == {"bulan_mulai": "harus 1 sampai 12"}
    assert _reasons(bulan_selesai=13) == {"bulan_selesai": "harus 1 sampai 12"}
    assert _reasons(bulan_mulai=7, bulan_selesai=3) == {
        "bulan_selesai": "lebih awal dari bulan mulai"
    }


def test_money_must_not_be_negative_nor_have_more_than_two_decimals() -> None:
    assert _reasons(pagu="-1") == {"pagu": "tidak boleh negatif"}
    assert _reasons(pagu_tahun_depan="10.005") == {
        "pagu_tahun_depan": "memiliki lebih dari dua angka desimal"
    }
    sumber_dana = [dict(BODY["sumber_dana"][0], pagu="-5")]
    assert _reasons(sumber_dana=sumber_dana) == {"sumber_dana.0.pagu": "tidak boleh negatif"}


@pytest.mark.parametrize("kode", ["1.02.02.2.01.01", "X.XX.02.2.01.0001", "1.02.02.2.01.0001 "])
def test_kode_sub_kegiatan_must_be_the_full_four_digit_form(kode: str) -> None:
    assert _reasons(kode_sub_kegiatan=kode) == {
        "kode_sub_kegiatan": "harus berbentuk empat digit lengkap, mis. 1.02.02.2.01.0001"
    }


def test_required_text_must_not_be_blank_and_sumber_is_required_when_sending() -> None:
    assert _reasons(nama_sub_kegiatan=" ", kode_sub_skpd="", sumber=None) == {
        "nama_sub_kegiatan": "wajib diisi",
        "kode_sub_skpd": "wajib diisi",
        "sumber": "wajib diisi",
    }


def test_unknown_fields_are_refused_when_sending() -> None:
    with pytest.raises(ValidationError, match="berubah"):
        record(berubah=False)


# --- the stored record ----------------------------------------------------


def test_stored_record_round_trips_through_from_api() -> None:
    stored = StoredRenjaSubKegiatan.from_api(body(**STORED_ONLY, berubah=False))
    assert stored.versi == 3
    assert stored.diperbarui_oleh == "integrasi-eprogram"
    assert stored.diperbarui_pada.isoformat() == "2026-01-06T01:00:05+07:00"
    assert stored.pagu == Decimal("296187500.00")
    assert stored.to_api() == BODY


def test_stored_record_made_by_hand_has_no_sumber() -> None:
    stored = StoredRenjaSubKegiatan.from_api(body(**STORED_ONLY, sumber=None))
    assert stored.sumber is None
    assert stored.to_api()["sumber"] is None
    assert content_hash(stored) == content_hash(record())


def test_from_api_ignores_fields_it_does_not_know_at_every_level() -> None:
    data = body(**STORED_ONLY, berubah=True, catatan_internal="x")
    data["indikator"][0]["id"] = 77
    data["sumber_dana"][0]["urutan"] = 1
    data["sumber"]["pengguna"] = "bot"
    assert StoredRenjaSubKegiatan.from_api(data).to_api() == BODY


def test_from_api_refuses_a_record_with_an_unusable_known_field() -> None:
    with pytest.raises(ValidationError, match="pagu"):
        StoredRenjaSubKegiatan.from_api(body(**STORED_ONLY, pagu="banyak"))


# --- content hash and changed fields ---------------------------------------


def test_same_business_content_hashes_equal_however_it_is_written() -> None:
    indikator = dict(BODY["indikator"][0], target="1200.00")
    sumber_dana = [dict(BODY["sumber_dana"][0], pagu="296187500")]
    rewritten = record(pagu="296187500", indikator=[indikator], sumber_dana=sumber_dana)
    stored = StoredRenjaSubKegiatan.from_api(body(**STORED_ONLY))
    assert content_hash(rewritten) == content_hash(record()) == content_hash(stored)
    assert changed_fields(rewritten, stored) == []


def test_sumber_and_stored_fields_do_not_count_as_content() -> None:
    other_source = dict(BODY["sumber"], id="9999", diperbarui_pada="2026-02-01T00:00:00+07:00")
    stored = StoredRenjaSubKegiatan.from_api(
        body(versi=9, diperbarui_oleh="budi", diperbarui_pada="2026-03-01T00:00:00Z")
    )
    assert content_hash(record(sumber=other_source)) == content_hash(stored)


def test_hash_is_a_sha256_hex_digest() -> None:
    digest = content_hash(record())
    assert len(digest) == 64
    assert int(digest, 16) >= 0


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"pagu": "296187500.01"}, ["pagu"]),
        ({"aktif": False}, ["aktif"]),
        (
            {"nama_sub_kegiatan": "Pengelolaan Pelayanan Kesehatan Ibu Hamil "},
            ["nama_sub_kegiatan"],
        ),
        ({"lokasi": []}, ["lokasi"]),
        ({"bulan_mulai": 2, "pagu_tahun_depan": None}, ["bulan_mulai", "pagu_tahun_depan"]),
    ],
)
def test_different_content_hashes_differently_and_names_the_fields(
    changes: dict[str, Any], fields: list[str]
) -> None:
    changed = record(**changes)
    assert content_hash(changed) != content_hash(record())
    assert changed_fields(changed, record()) == fields


def test_order_of_indicators_is_content() -> None:
    first = BODY["indikator"][0]
    second = dict(first, jenis="hasil_kegiatan", tolok_ukur="Indeks", target="8.5")
    one_way, other_way = record(indikator=[first, second]), record(indikator=[second, first])
    assert content_hash(one_way) != content_hash(other_way)
    assert changed_fields(one_way, other_way) == ["indikator"]


def test_target_text_and_number_are_both_content() -> None:
    indikator = BODY["indikator"][0]
    assert changed_fields(record(indikator=[dict(indikator, target="1201")]), record()) == [
        "indikator"
    ]
    assert changed_fields(
        record(indikator=[dict(indikator, target_teks="1.200 Orang")]), record()
    ) == ["indikator"]
