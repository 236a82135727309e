"""The E-Planning stand-in over real HTTP: versi, idempotency, If-Match, validation, batch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from standins import opd
from standins.eplanning import create_app
from standins.nomenklatur import load_sample
from standins.server import ServerThread

TOKEN = {"Authorization": "Bearer eplanning-dev-token"}
PLANNER = {"Authorization": "Bearer perencana-dev-token"}
BASE = "/api/v1/renja-sub-kegiatan"
DINKES = "1.02.0.00.0.00.01.0000"
PUSKESMAS = "1.02.0.00.0.00.01.0001"


def record(**changes: Any) -> dict[str, Any]:
    """A valid renja sub kegiatan of Dinas Kesehatan (the contract's example)."""
    body: dict[str, Any] = {
        "tahun_anggaran": 2027,
        "tahap": "renja",
        "kode_skpd": DINKES,
        "kode_sub_skpd": DINKES,
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
                "tolok_ukur": "Jumlah Ibu Hamil yang Mendapatkan Pelayanan Kesehatan",
                "target": "1200",
                "target_teks": "1200 Orang",
                "satuan": "Orang",
            },
            {
                "jenis": "capaian_program",
                "tolok_ukur": "Persentase ibu hamil mendapatkan pelayanan",
                "target": "100",
                "target_teks": "100 %",
                "satuan": "%",
            },
        ],
        "sumber_dana": [
            {"kode": "1.1", "nama": "PENDAPATAN ASLI DAERAH (PAD)", "pagu": "96187500.00"},
            {"kode": "1.2", "nama": "DANA ALOKASI UMUM (DAU)", "pagu": "200000000.00"},
        ],
        "lokasi": ["Kab. Kepulauan Meranti, Tebing Tinggi, Semua Kelurahan"],
        "aktif": True,
        "sumber": {
            "sistem": "e-program",
            "id": "8156",
            "diperbarui_pada": "2026-01-05T10:22:33+07:00",
        },
    }
    body.update(changes)
    return body


def path(body: dict[str, Any]) -> str:
    return (
        f"{BASE}/{body['tahun_anggaran']}/{body['tahap']}/"
        f"{body['kode_sub_skpd']}/{body['kode_sub_kegiatan']}"
    )


def natural_key(body: dict[str, Any]) -> dict[str, Any]:
    fields = ("tahun_anggaran", "tahap", "kode_sub_skpd", "kode_sub_kegiatan")
    return {f: body[f] for f in fields}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    app = create_app(nomenklatur=load_sample()["items"], perangkat_daerah=opd.perangkat_daerah())
    with ServerThread(app) as server:
        yield server


@pytest.fixture
def client(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=TOKEN, timeout=10) as client:
        assert client.post("/_standin/reset").status_code == 200
        yield client


def put(client: httpx.Client, body: dict[str, Any], key: str, **headers: str) -> httpx.Response:
    return client.put(path(body), json=body, headers={"Idempotency-Key": key, **headers})


def stored(client: httpx.Client) -> list[dict[str, Any]]:
    query = {"tahun_anggaran": 2027, "tahap": "renja"}
    return client.get(BASE, params=query).json()["items"]


def codes(response: httpx.Response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


# -- create, replace, unchanged --------------------------------------------------
def test_put_creates_replaces_and_reports_no_change(client: httpx.Client) -> None:
    created = put(client, record(), "k1")
    assert created.status_code == 201
    body = created.json()
    assert body["versi"] == 1 and body["berubah"] is True
    assert body["diperbarui_oleh"] == "integrasi-eprogram"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", body["diperbarui_pada"])
    assert body["pagu"] == "296187500.00"

    same = put(client, record(), "k2")
    assert same.status_code == 200
    assert same.json()["berubah"] is False and same.json()["versi"] == 1

    changed = put(client, record(pagu="300000000.00", sumber_dana=[]), "k3")
    assert changed.status_code == 200
    assert changed.json()["versi"] == 2 and changed.json()["berubah"] is True
    assert [r["versi"] for r in stored(client)] == [2]
    stats = client.get("/_standin/stats").json()
    assert (stats["writes_applied"], stats["created"], stats["replaced"]) == (2, 1, 1)
    assert stats["unchanged"] == 1


def test_equal_values_written_differently_are_no_change(client: httpx.Client) -> None:
    put(client, record(), "k1")
    first, second = record()["indikator"]
    same = record(
        indikator=[{**second, "target": "100.00"}, {**first, "target": "1200.0"}],
        sumber_dana=list(reversed(record()["sumber_dana"])),
        sumber={**record()["sumber"], "diperbarui_pada": "2026-01-05T03:22:33+00:00"},
    )
    response = put(client, same, "k2")
    assert response.status_code == 200 and response.json()["berubah"] is False


def test_a_support_sub_kegiatan_with_the_opd_bidang_is_accepted(client: httpx.Client) -> None:
    support = record(kode_sub_kegiatan="1.02.01.2.01.0001", nama_sub_kegiatan="Penyusunan Dokumen")
    assert put(client, support, "k1").status_code == 201


def test_a_sub_unit_of_the_opd_is_accepted(client: httpx.Client) -> None:
    body = record(kode_sub_skpd=PUSKESMAS, nama_sub_skpd="Puskesmas Selatpanjang")
    assert put(client, body, "k1").status_code == 201


# -- idempotency -------------------------------------------------------------------
def test_the_same_key_and_body_replays_the_first_answer(client: httpx.Client) -> None:
    first = put(client, record(), "k1")
    again = put(client, record(), "k1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers
    stats = client.get("/_standin/stats").json()
    assert stats["writes_applied"] == 1 and stats["replays"] == 1


def test_a_replay_is_the_first_answer_even_after_later_changes(client: httpx.Client) -> None:
    put(client, record(), "k1")
    put(client, record(pagu="300000000.00", sumber_dana=[]), "k2")
    replay = put(client, record(), "k1")
    assert replay.status_code == 201 and replay.json()["versi"] == 1
    assert stored(client)[0]["pagu"] == "300000000.00"


def test_the_same_key_with_another_body_is_422(client: httpx.Client) -> None:
    put(client, record(), "k1")
    reused = put(client, record(pagu="1.00", sumber_dana=[]), "k1")
    assert reused.status_code == 422
    assert codes(reused) == ["idempotency_key_dipakai"]
    assert reused.json()["errors"][0]["field"] is None
    assert stored(client)[0]["pagu"] == "296187500.00"


@pytest.mark.parametrize("key", [None, "", "x" * 256])
def test_a_missing_or_too_long_idempotency_key_is_400(
    client: httpx.Client, key: str | None
) -> None:
    headers = {} if key is None else {"Idempotency-Key": key}
    response = client.put(path(record()), json=record(), headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert put(client, record(), "x" * 255).status_code == 201


def test_the_same_key_while_the_first_is_processed_is_409(client: httpx.Client) -> None:
    client.put("/_standin/faults", json={"processing_ms": 400})

    def send(_: int) -> int:
        with httpx.Client(base_url=str(client.base_url), headers=TOKEN, timeout=10) as other:
            return put(other, record(), "k1").status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(send, range(2)))
    assert statuses == [201, 409]
    busy = put(client, record(), "k1")  # the first answer is kept once it is done
    assert busy.status_code == 201 and busy.headers["Idempotent-Replayed"] == "true"


# -- If-Match --------------------------------------------------------------------------
def test_if_match_with_another_versi_is_409_with_the_current_record(client: httpx.Client) -> None:
    put(client, record(), "k1")
    stale = put(client, record(pagu="1.00", sumber_dana=[]), "k2", **{"If-Match": "7"})
    assert stale.status_code == 409
    assert codes(stale) == ["versi_berubah"]
    assert stale.json()["current"]["versi"] == 1
    assert stale.json()["current"]["pagu"] == "296187500.00"
    fresh = put(client, record(pagu="1.00", sumber_dana=[]), "k3", **{"If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.json()["versi"] == 2


def test_if_match_on_a_missing_record_is_409_and_garbage_is_400(client: httpx.Client) -> None:
    missing = put(client, record(), "k1", **{"If-Match": "1"})
    assert missing.status_code == 409 and missing.json()["current"] is None
    assert put(client, record(), "k2", **{"If-Match": "satu"}).status_code == 400


# -- validation ------------------------------------------------------------------------------
INVALID = [
    ({"kode_sub_kegiatan": "1.02.02.2.01.0999"}, "tidak_ada_di_nomenklatur", "kode_sub_kegiatan"),
    ({"kode_sub_kegiatan": "1.02.99.2.01.0001"}, "tidak_ada_di_nomenklatur", "kode_sub_kegiatan"),
    ({"kode_sub_kegiatan": "1.02.02.2.01.01"}, "format_kode", "kode_sub_kegiatan"),
    ({"kode_sub_kegiatan": "X.XX.01.2.01.0001"}, "format_kode", "kode_sub_kegiatan"),
    ({"kode_skpd": "1.02"}, "format_kode", "kode_skpd"),
    ({"kode_sub_skpd": "1.02.0.00.0.00.01.0099"}, "skpd_tidak_dikenal", "kode_sub_skpd"),
    ({"kode_skpd": "1.03.0.00.0.00.01.0000"}, "skpd_tidak_dikenal", "kode_skpd"),
    ({"kode_skpd": PUSKESMAS}, "skpd_tidak_dikenal", "kode_skpd"),
    ({"pagu_tahun_depan": "-1.00"}, "negatif", "pagu_tahun_depan"),
    ({"pagu": "-5.00", "sumber_dana": []}, "negatif", "pagu"),
    ({"bulan_mulai": 0}, "bulan", "bulan_mulai"),
    ({"bulan_selesai": 13}, "bulan", "bulan_selesai"),
    ({"bulan_mulai": 7, "bulan_selesai": 3}, "bulan", "bulan_mulai"),
    ({"indikator": []}, "indikator_wajib", "indikator"),
    ({"indikator": [record()["indikator"][1]]}, "indikator_wajib", "indikator"),
    ({"pagu": "296187501.00"}, "sumber_dana_tidak_sama", "sumber_dana"),
    ({"nama_sub_kegiatan": ""}, "wajib", "nama_sub_kegiatan"),
    ({"nama_sub_skpd": "   "}, "wajib", "nama_sub_skpd"),
    ({"pagu": None}, "wajib", "pagu"),
    ({"indikator": None}, "wajib", "indikator"),
    ({"aktif": None}, "wajib", "aktif"),
    ({"pagu": "296187500"}, "format_nilai", "pagu"),
    ({"pagu": 296187500}, "format_nilai", "pagu"),
    ({"bulan_mulai": "1"}, "format_nilai", "bulan_mulai"),
    ({"aktif": "1"}, "format_nilai", "aktif"),
    ({"pagu_n_depan": "1.00"}, "format_nilai", "pagu_n_depan"),
]


@pytest.mark.parametrize(("changes", "code", "field"), INVALID)
def test_each_validation_rule_is_a_422_in_the_error_shape(
    client: httpx.Client, changes: dict[str, Any], code: str, field: str
) -> None:
    body = record(**changes)
    response = client.put(
        path(record(**{k: v for k, v in changes.items() if k in natural_key(body)})),
        json=body,
        headers={"Idempotency-Key": "k1"},
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert (field, code) in [(e["field"], e["code"]) for e in errors]
    assert all(set(e) == {"field", "code", "message"} and e["message"] for e in errors)
    assert stored(client) == []


def test_a_nested_error_names_the_nested_field(client: httpx.Client) -> None:
    indikator = [{**record()["indikator"][0], "jenis": "keluaran", "target": "8,5"}]
    response = put(client, record(indikator=indikator), "k1")
    fields = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert {
        ("indikator[0].jenis", "format_nilai"),
        ("indikator[0].target", "format_nilai"),
    } <= fields


def test_a_body_key_unlike_the_url_is_400(client: httpx.Client) -> None:
    response = client.put(
        path(record()),
        json=record(kode_sub_kegiatan="1.02.02.2.01.0002"),
        headers={"Idempotency-Key": "k1"},
    )
    assert response.status_code == 400
    assert codes(response) == ["kunci_tidak_sesuai"]


# -- delete and list -----------------------------------------------------------------------
def test_delete_deactivates_and_a_missing_record_is_404(client: httpx.Client) -> None:
    put(client, record(), "k1")
    gone = client.delete(path(record()), headers={"Idempotency-Key": "d1"})
    assert gone.status_code == 200
    assert gone.json()["aktif"] is False and gone.json()["versi"] == 2
    again = client.delete(path(record()), headers={"Idempotency-Key": "d2"})
    assert again.status_code == 200 and again.json()["berubah"] is False
    assert again.json()["versi"] == 2
    assert [r["aktif"] for r in stored(client)] == [False]
    missing = record(kode_sub_kegiatan="1.02.02.2.01.0002")
    response = client.delete(path(missing), headers={"Idempotency-Key": "d3"})
    assert response.status_code == 404 and codes(response) == ["tidak_ditemukan"]
    assert client.delete(path(record())).status_code == 400


def test_list_is_in_natural_key_order_with_filter_and_cursor(client: httpx.Client) -> None:
    bodies = [
        record(kode_sub_kegiatan="1.02.02.2.01.0002"),
        record(kode_sub_skpd=PUSKESMAS, nama_sub_skpd="Puskesmas Selatpanjang"),
        record(),
        record(
            kode_skpd="7.01.0.00.0.00.01.0000",
            kode_sub_skpd="7.01.0.00.0.00.01.0000",
            kode_sub_kegiatan="7.01.02.2.01.0001",
        ),
        record(tahap="apbd"),
    ]
    for n, body in enumerate(bodies):
        assert put(client, body, f"k{n}").status_code == 201
    items = stored(client)
    keys = [(r["kode_sub_skpd"], r["kode_sub_kegiatan"]) for r in items]
    assert keys == sorted(keys) and len(keys) == 4
    query = {"tahun_anggaran": 2027, "tahap": "renja", "limit": 1}
    seen, cursor = [], None
    while True:
        page = client.get(BASE, params={**query, **({"cursor": cursor} if cursor else {})}).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == items
    dinkes = client.get(BASE, params={**query, "limit": 10, "kode_skpd": DINKES}).json()
    assert len(dinkes["items"]) == 3 and dinkes["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"tahun_anggaran": 2027},
        {"tahap": "renja"},
        {"tahun_anggaran": 2027, "tahap": "renja", "limit": 1001},
        {"tahun_anggaran": 2027, "tahap": "renja", "cursor": "%%%"},
    ],
)
def test_bad_list_parameters_are_400(client: httpx.Client, params: dict[str, Any]) -> None:
    response = client.get(BASE, params=params)
    assert response.status_code == 400 and response.json()["errors"]


# -- batch -----------------------------------------------------------------------------------
def test_batch_applies_each_operation_on_its_own_in_order(client: httpx.Client) -> None:
    put(client, record(kode_sub_kegiatan="1.02.02.2.01.0002"), "k0")
    operations = [
        {"op": "put", "idempotency_key": "b1", "record": record()},
        {"op": "put", "idempotency_key": "b2", "record": record(pagu="-1.00")},
        {
            "op": "delete",
            "idempotency_key": "b3",
            "key": natural_key(record(kode_sub_kegiatan="1.02.02.2.01.0003")),
        },
        {
            "op": "delete",
            "idempotency_key": "b4",
            "key": natural_key(record(kode_sub_kegiatan="1.02.02.2.01.0002")),
            "if_match": 1,
        },
        {"op": "put", "idempotency_key": "b5", "if_match": 5, "record": record()},
        {"op": "put", "record": record()},
    ]
    response = client.post(f"{BASE}/batch", json={"operations": operations})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 404, 200, 409, 400]
    assert results[0]["record"]["versi"] == 1
    assert "negatif" in [e["code"] for e in results[1]["errors"]]
    assert results[3]["record"]["aktif"] is False
    assert results[4]["current"]["versi"] == 1
    assert [r["aktif"] for r in stored(client)] == [True, False]


def test_batch_items_replay_and_share_keys_with_single_calls(client: httpx.Client) -> None:
    single = put(client, record(), "k1")
    operations = [
        {"op": "put", "idempotency_key": "k1", "record": record()},
        {"op": "put", "idempotency_key": "k1", "record": record(nama_sub_skpd="Dinkes")},
    ]
    results = client.post(f"{BASE}/batch", json={"operations": operations}).json()["results"]
    assert results[0] == {"status": 201, "record": single.json(), "idempotent_replayed": True}
    assert results[1]["status"] == 422
    assert [e["code"] for e in results[1]["errors"]] == ["idempotency_key_dipakai"]


def test_batch_of_more_than_200_is_400(client: httpx.Client) -> None:
    operations = [
        {"op": "delete", "idempotency_key": f"d{n}", "key": natural_key(record())}
        for n in range(201)
    ]
    too_many = client.post(f"{BASE}/batch", json={"operations": operations})
    assert too_many.status_code == 400 and too_many.json()["errors"][0]["field"] == "operations"
    assert client.post(f"{BASE}/batch", json={"operations": operations[:200]}).status_code == 200
    assert client.post(f"{BASE}/batch", json={"ops": []}).status_code == 400


# -- people, auth, reference data ------------------------------------------------------------
def test_a_planner_edit_records_the_planner(client: httpx.Client) -> None:
    put(client, record(), "k1")
    edited = client.put(
        path(record()),
        json=record(nama_sub_kegiatan="Pelayanan Ibu Hamil"),
        headers={**PLANNER, "Idempotency-Key": "p1"},
    )
    assert edited.status_code == 200
    assert edited.json()["diperbarui_oleh"] == "perencana.bappeda"
    manual = client.post(
        "/_standin/manual-edit",
        json={"key": natural_key(record()), "changes": {"pagu_tahun_depan": "5.00"}},
    ).json()
    assert manual["versi"] == 3 and manual["diperbarui_oleh"] == "perencana.bappeda"
    assert manual["pagu_tahun_depan"] == "5.00"
    stats = client.get("/_standin/stats").json()
    assert stats["manual_edits"] == 1 and stats["writes_applied"] == 2


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer salah"}, {"Authorization": "eplanning-dev-token"}]
)
def test_a_missing_or_wrong_token_is_401(server: ServerThread, headers: dict[str, str]) -> None:
    calls = [
        ("GET", f"{BASE}?tahun_anggaran=2027&tahap=renja"),
        ("PUT", path(record())),
        ("DELETE", path(record())),
        ("POST", f"{BASE}/batch"),
        ("GET", "/api/v1/referensi/nomenklatur?tahun_anggaran=2027"),
    ]
    for method, url in calls:
        response = httpx.request(
            method, server.url + url, headers={**headers, "Idempotency-Key": "k"}, json={}
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "tidak_terautentikasi"


def test_reference_data(client: httpx.Client) -> None:
    nomenklatur = client.get("/api/v1/referensi/nomenklatur", params={"tahun_anggaran": 2027})
    body = nomenklatur.json()
    assert body["versi"] == "TA 2027"
    assert len(body["items"]) == len(load_sample()["items"])
    assert set(body["items"][0]) == {
        "kode",
        "nama",
        "indikator",
        "satuan",
        "jenis_pemda",
        "kode_sebelumnya",
    }
    units = client.get(
        "/api/v1/referensi/perangkat-daerah", params={"tahun_anggaran": 2027}
    ).json()["items"]
    by_kode = {u["kode"]: u for u in units}
    assert by_kode[DINKES] == {"kode": DINKES, "nama": "Dinas Kesehatan", "kode_induk": None}
    assert by_kode[PUSKESMAS]["kode_induk"] == DINKES


def test_nomenclature_per_year() -> None:
    app = create_app(
        nomenklatur={2027: load_sample()["items"]},
        perangkat_daerah=[{"kode": DINKES, "nama": "Dinas Kesehatan", "kode_induk": None}],
    )
    with ServerThread(app) as server, httpx.Client(base_url=server.url, headers=TOKEN) as client:
        assert put(client, record(), "k1").status_code == 201
        other_year = put(client, record(tahun_anggaran=2028), "k2")
        assert other_year.status_code == 422
        assert codes(other_year) == ["tidak_ada_di_nomenklatur"]
        query = {"tahun_anggaran": 2028}
        assert client.get("/api/v1/referensi/nomenklatur", params=query).json()["items"] == []


# -- duplicate effects (the reliability matrix counts them) -------------------------
def test_a_content_written_again_to_its_key_is_a_duplicate_effect(client: httpx.Client) -> None:
    put(client, record(), "k1")
    put(client, record(), "k1")  # a replay: the first answer, no new effect
    put(client, record(pagu="300000000.00", sumber_dana=[]), "k2")
    assert client.get("/_standin/applied").json()["duplicate_effects"] == 0

    put(client, record(pagu="300000000.00", sumber_dana=[]), "k3")  # new key, content there
    put(client, record(), "k4")  # the first content again, applied a second time
    applied = client.get("/_standin/applied").json()
    assert applied["duplicate_effects"] == 2
    key = [2027, "renja", DINKES, "1.02.02.2.01.0001"]
    assert sorted((d["key"], d["applied"]) for d in applied["duplicates"]) == [(key, 2), (key, 2)]
    assert client.get("/_standin/stats").json()["duplicate_effects"] == 2

    client.post("/_standin/reset")
    assert client.get("/_standin/applied").json() == {"duplicate_effects": 0, "duplicates": []}


def test_the_timeline_has_each_request_with_its_times_and_status(client: httpx.Client) -> None:
    put(client, record(), "k1")
    client.get(BASE, params={"tahun_anggaran": 2027, "tahap": "renja"})
    put(client, record(), "k1")  # the same request again: the same digest
    put(client, record(pagu="1.00", sumber_dana=[]), "k1")
    timeline = client.get("/_standin/timeline").json()["requests"]
    put_route = f"PUT {BASE}/{{tahun_anggaran}}/{{tahap}}/{{kode_sub_skpd}}/{{kode_sub_kegiatan}}"
    assert [(route, status) for _, _, route, status, _ in timeline] == [
        (put_route, "201"),
        (f"GET {BASE}", "200"),
        (put_route, "201"),
        (put_route, "422"),
    ]
    assert all(arrived <= answered for arrived, answered, *_ in timeline)
    assert timeline[0][1] <= timeline[1][0]
    digests = [entry[4] for entry in timeline]
    assert digests[0] == digests[2] and len(set(digests)) == 3
