"""Signing in on the report pages: a key typed once per browser session.

The cookie holds a random token; the database holds only its SHA-256, the key
it was made with and the session's form token (CSRF). A session ends when its
lifetime runs out, on sign-out, or as soon as its key is revoked.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from app.access import audit
from app.access.keys import ANONYMOUS, Principal, Role, hash_key, principal_of
from app.access.opd_scope import OpdScope
from app.access.policy import Scoping, rule
from app.config import Settings
from app.http.deps import (
    SessionDep,
    client_address,
    parts,
    route_opd_scope,
)
from app.models import utcnow
from app.repositories import web_sessions
from app.web.errors import BelumMasuk, FormulirPalsu, HanyaAdmin

COOKIE = "sinkron_sesi"
# The sign-in form's own token (double-submit): a page elsewhere cannot sign a
# browser in with the attacker's key.
SIGN_IN_COOKIE = "sinkron_masuk"
PATH = "/laporan"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Pengguna:
    """The person behind a signed-in browser: their key's principal and form token."""

    principal: Principal
    csrf: str
    token_hash: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def set_cookie(response: Response, name: str, value: str, settings: Settings) -> None:
    # No Max-Age: the cookie dies with the browser session; the row's
    # expires_at bounds it on the server whatever the browser does.
    response.set_cookie(
        name,
        value,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=settings.laporan_cookie_secure,
    )


def clear_cookie(response: Response, name: str, settings: Settings) -> None:
    response.delete_cookie(
        name, path=PATH, httponly=True, samesite="strict", secure=settings.laporan_cookie_secure
    )


def sign_in(
    session: Session, principal: Principal, settings: Settings, *, replaces: str | None
) -> str:
    """Open a session for a key that authenticated; returns the cookie's token.
    The browser's previous session (``replaces``, its old token) ends here."""
    if principal.key_id is None:
        raise ValueError("only a stored key can sign in")
    now = utcnow()
    web_sessions.remove_expired(session, now=now)
    if replaces:
        web_sessions.remove(session, hash_key(replaces))
    token = new_token()
    web_sessions.create(
        session,
        token_hash=hash_key(token),
        api_key_id=principal.key_id,
        csrf_token=new_token(),
        expires_at=now + timedelta(hours=settings.laporan_session_hours),
    )
    return token


def sign_out(session: Session, pengguna: Pengguna) -> None:
    web_sessions.remove(session, pengguna.token_hash)


def current(request: Request, session: Session) -> Pengguna | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    found = web_sessions.find(session, hash_key(token), now=utcnow())
    if found is None:
        return None
    row, key = found
    return Pengguna(principal_of(key), row.csrf_token, row.token_hash)


def signed_in(request: Request, session: SessionDep) -> Pengguna:
    """The page's reader; the audit log names them for what they do."""
    pengguna = current(request, session)
    if pengguna is None:
        raise BelumMasuk("sesi tidak ada atau sudah berakhir; silakan masuk lagi")
    request.state.principal = pengguna.principal
    request.state.pengguna = pengguna
    _admin_only(request, pengguna.principal)
    return pengguna


def _admin_only(request: Request, principal: Principal) -> None:
    """A page the access policy keeps for admins refuses any other session."""
    route = getattr(request.scope.get("route"), "path", "")
    found = rule(request.method, route)
    if found is None or found.scoping is not Scoping.ADMIN_ONLY or principal.can(Role.ADMIN):
        return
    record_denial(request, status_code=403, reason=f"peran '{principal.role}' bukan admin")
    raise HanyaAdmin("Hanya admin yang dapat melakukan ini; masuk dengan kunci admin.")


PenggunaDep = Annotated[Pengguna, Depends(signed_in)]


async def reader_opd_scope(request: Request, pengguna: PenggunaDep) -> OpdScope:
    """The OPDs this page may show its reader (app.access.policy)."""
    return route_opd_scope(request, pengguna.principal)


OpdHalamanDep = Annotated[OpdScope, Depends(reader_opd_scope)]


def check_csrf(request: Request, expected: str | None, given: str | None) -> None:
    """Refuse a form whose token is not the one this browser was given."""
    if expected and given and hmac.compare_digest(expected.encode(), given.encode()):
        return
    record_denial(request, status_code=403, reason="token formulir (CSRF) tidak cocok")
    raise FormulirPalsu(
        "Formulir ini tidak dikirim dari halaman laporan yang Anda buka (token keamanan tidak "
        "cocok). Muat ulang halaman lalu coba lagi."
    )


def record_denial(request: Request, *, status_code: int, reason: str) -> None:
    """A refused form, in the audit log in a transaction of its own (the
    request's is rolled back with the refusal), folded like the API's denials."""
    settings = parts(request).settings
    audit.record_denial(
        parts(request).session_factory,
        principal=getattr(request.state, "principal", ANONYMOUS),
        target=f"{request.method} {request.url.path}",
        status_code=status_code,
        client=client_address(request),
        reason=reason,
        window=timedelta(seconds=settings.audit_fold_seconds),
    )


def safe_next(target: str | None) -> str | None:
    """A place on the report pages to go back to; anything else (another site,
    ``//host``, a scheme) is dropped."""
    if not target or len(target) > 2000 or not target.startswith(PATH) or target.startswith("//"):
        return None
    split = urlsplit(target)
    if split.scheme or split.netloc or "\\" in target:
        return None
    return target


def sign_in_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{PATH}/masuk?lanjut={quote(here, safe='')}"
