"""The database the `sinkron` command opens: named as an admin finds it, and
never made by a command that only meant to read it (only `db upgrade` and
`db restore` make one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli_base import CliError, fail

# SQLAlchemy is imported inside the functions: `sinkron --help` stays light.
if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from app.config import Settings


def shown_url(url: str) -> str:
    """A database URL fit for a terminal or a log: the password masked."""
    from sqlalchemy import make_url

    from app.db import normalise_url

    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def database_place(database_url: str) -> str:
    """Where the database is, as an admin finds it: the SQLite file's full path
    (a relative URL is relative to the working directory), or the server."""
    from sqlalchemy import make_url

    from app.db import normalise_url

    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return f"berkas {Path(str(url.database)).resolve()}"
    return f"server {shown_url(database_url)}"


def require_sqlite_file(settings: Settings) -> str:
    """Where the database is; for SQLite, a galat when its file is not there
    (opening it would make an empty one)."""
    from sqlalchemy import make_url

    from app.db import normalise_url

    place = database_place(settings.database_url)
    url = make_url(normalise_url(settings.database_url))
    if place.startswith("berkas ") and not Path(str(url.database)).is_file():
        raise CliError(
            f"basis data Sinkron tidak ditemukan: {place} tidak ada "
            f"(SINKRON_DATABASE_URL={shown_url(settings.database_url)}); jalankan "
            "`sinkron db upgrade` untuk membuatnya, atau arahkan SINKRON_DATABASE_URL "
            "ke basis data yang ada"
        )
    return place


def open_database(settings: Settings) -> Engine:
    """An engine on SINKRON_DATABASE_URL when it holds Sinkron's tables at the newest
    migration. Otherwise a galat naming the file or server: only `db upgrade` and
    `db restore` make a database, so no other command leaves an empty SQLite file
    behind in whatever directory it was run from."""
    from sqlalchemy.exc import OperationalError

    from app import migrate
    from app.db import make_engine

    place = require_sqlite_file(settings)
    engine = make_engine(settings.database_url)
    try:
        found = migrate.revisions(engine)
    except OperationalError as exc:
        engine.dispose()
        raise CliError(f"basis data di {place} tidak dapat dihubungi: {exc.orig}") from None
    if found is None:
        engine.dispose()
        raise CliError(
            f"{place} tidak berisi basis data Sinkron; jalankan `sinkron db upgrade` untuk "
            "membuatnya di sana, atau periksa SINKRON_DATABASE_URL"
        )
    if found != migrate.head_revisions():
        engine.dispose()
        raise CliError(
            f"basis data di {place} belum dimigrasi ke versi terbaru: jalankan `sinkron db upgrade`"
        )
    return engine


@contextmanager
def database_session(settings: Settings) -> Iterator[Session]:
    """One unit of work on the database `open_database` accepts."""
    from app.db import make_session_factory, session_scope

    engine = open_database(settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def settings_or_exit() -> Settings:
    """The settings, or a clear message naming each bad SINKRON_ variable."""
    from pydantic import ValidationError

    from app.config import get_settings
    from app.validation_messages import in_indonesian

    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"SINKRON_{'_'.join(str(p) for p in e['loc']).upper()}: {in_indonesian(e)}"
            for e in exc.errors()
        )
        raise fail(f"konfigurasi tidak valid: {problems}") from None


@contextmanager
def command_session() -> Iterator[Session]:
    """One unit of work on the configured database, for a command."""
    with database_session(settings_or_exit()) as session:
        yield session


def bidang(kode_skpd: str) -> str:
    return ".".join(kode_skpd.split(".")[:2])


def unknown_opd(session: Session, kode_skpd: list[str]) -> list[str]:
    """The codes no run has seen and whose bidang urusan no nomenclature knows:
    most likely typing mistakes, which would leave a planner seeing nothing."""
    from app.nomenklatur import store
    from app.repositories import ringkasan

    seen = ringkasan.seen_opd(session, kode_skpd)
    return [
        kode
        for kode in sorted(set(kode_skpd) - seen)
        if not store.knows_bidang(session, bidang(kode))
    ]
