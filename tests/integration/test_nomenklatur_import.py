"""`sinkron nomenklatur import` reads the real SIPD export and the 900 kab/kota list."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli import cli
from app.db import session_scope
from app.models import NomenklaturItem
from app.nomenklatur import reader, store


def test_sipd_export_is_read_whole(shared_data: Path) -> None:
    fmt, entries = reader.read(shared_data / "nomenklatur-subkegiatan-ta2027.xlsx")
    assert fmt == "sipd"
    assert len(entries) == 7581
    by_code = {(e.jenis_pemda, e.kode): e for e in entries}
    item = by_code[("KABKOT", "1.01.02.2.01.0001")]
    assert item.nama == "Pembangunan Unit Sekolah Baru (USB)"
    assert item.satuan == "Unit"
    renamed = by_code[("PROV", "1.02.02.1.02.0035")]
    assert renamed.kode_sebelumnya == "1.02.02.1.02.0013"


def test_900_list_codes_are_rebuilt_from_columns(shared_data: Path) -> None:
    fmt, entries = reader.read(shared_data / "nomenklatur-subkegiatan-kabkota-900.xlsx")
    assert fmt == "kabkota-900"
    codes = {e.kode: e for e in entries}
    first = codes["X.XX.01.2.01.0001"]
    assert first.nama == "Penyusunan Dokumen Perencanaan Perangkat Daerah"
    assert first.satuan == "Dokumen"
    assert all(len(k.split(".")) == 6 and len(k.split(".")[-1]) == 4 for k in codes)


def test_unknown_workbook_is_a_clear_error(shared_data: Path) -> None:
    with pytest.raises(reader.NomenklaturFormatError, match="kolom judul tidak dikenali"):
        reader.read(shared_data / "perangkat-daerah-32-opd.xlsx")


def test_cli_import_stores_a_version(
    shared_data: Path,
    database_url: str,
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SINKRON_DATABASE_URL", database_url)
    from app.config import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(
        cli,
        [
            "nomenklatur",
            "import",
            str(shared_data / "nomenklatur-subkegiatan-ta2027.xlsx"),
            "--tahun",
            "2027",
        ],
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "7.581 sub kegiatan" in result.output
    with session_scope(session_factory) as session:
        version = store.current_version(session, 2027)
        assert version is not None and version.item_count == 7581
        kabkot = session.scalar(
            select(NomenklaturItem).where(
                NomenklaturItem.version_id == version.id,
                NomenklaturItem.kode == "1.01.02.2.01.0001",
            )
        )
        assert kabkot is not None and kabkot.jenis_pemda == "KABKOT"
        reference = store.items_as_reference(session, version.id)
        assert len(reference) == 7581
