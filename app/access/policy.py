"""The access policy of every route, in one table a reader can audit.

A route missing here is refused to everyone (and a test fails), so adding an
endpoint means deciding who may call it. HEAD is allowed where GET is, to the
same callers (app.api.head answers it).
"""

from __future__ import annotations

from typing import Final, Literal

from app.access.keys import Role

Public = Literal["publik"]
PUBLIC: Final[Public] = "publik"
# The planners' report pages: no X-API-Key; the page itself requires a signed-in
# browser session (app.web.sessions), made from a key of any role.
Sesi = Literal["sesi"]
SESI: Final[Sesi] = "sesi"

POLICY: Final[dict[tuple[str, str], Role | Public | Sesi]] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    # Counts and timings only, no planning data: scrapers usually carry no key.
    ("GET", "/metrics"): PUBLIC,
    # A browser opening the bare address lands on the report (its sign-in).
    ("GET", "/"): PUBLIC,
    # The API's documentation, as /openapi.json (which FastAPI serves to all).
    ("GET", "/docs"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/docs/aset/{berkas}"): PUBLIC,
    ("GET", "/api/v1/status"): Role.PLANNER,
    ("GET", "/api/v1/runs"): Role.PLANNER,
    ("GET", "/api/v1/runs/{run_id}"): Role.PLANNER,
    ("GET", "/api/v1/runs/{run_id}/records"): Role.PLANNER,
    ("POST", "/api/v1/runs"): Role.ADMIN,
    ("POST", "/api/v1/runs/{run_id}/cancel"): Role.ADMIN,
    ("GET", "/api/v1/dead-letters"): Role.ADMIN,
    ("POST", "/api/v1/dead-letters/{letter_id}/retry"): Role.ADMIN,
    ("POST", "/api/v1/dead-letters/retry"): Role.ADMIN,
    ("GET", "/api/v1/audit"): Role.ADMIN,
    # Planners read and decide mismatches; a key scoped to OPDs only theirs.
    ("GET", "/api/v1/mismatches"): Role.PLANNER,
    ("GET", "/api/v1/mismatches/export.xlsx"): Role.PLANNER,
    ("GET", "/api/v1/mismatches/export.csv"): Role.PLANNER,
    ("GET", "/api/v1/mismatches/{mismatch_id}"): Role.PLANNER,
    ("POST", "/api/v1/mismatches/{mismatch_id}/akui"): Role.PLANNER,
    ("POST", "/api/v1/mismatches/{mismatch_id}/kecualikan"): Role.PLANNER,
    ("POST", "/api/v1/mismatches/{mismatch_id}/buka-kembali"): Role.PLANNER,
    ("POST", "/api/v1/mismatches/keputusan"): Role.PLANNER,
    ("GET", "/api/v1/ringkasan"): Role.PLANNER,
    ("GET", "/api/v1/ringkasan/{kode_skpd}/pagu"): Role.PLANNER,
    # The sign-in form and its stylesheet come before any session; the form
    # checks the key typed into it.
    ("GET", "/laporan/masuk"): PUBLIC,
    ("POST", "/laporan/masuk"): PUBLIC,
    ("GET", "/laporan/aset/{nama}"): PUBLIC,
    ("POST", "/laporan/keluar"): SESI,
    ("GET", "/laporan"): SESI,
    ("GET", "/laporan/opd/{kode_skpd}"): SESI,
    ("GET", "/laporan/opd/{kode_skpd}/ekspor.xlsx"): SESI,
    ("GET", "/laporan/opd/{kode_skpd}/ekspor.csv"): SESI,
    ("GET", "/laporan/mismatch/{mismatch_id}"): SESI,
    ("POST", "/laporan/mismatch/{mismatch_id}/{keputusan}"): SESI,
}


def policy_method(method: str) -> str:
    """The method whose policy applies: HEAD is GET without the body."""
    method = method.upper()
    return "GET" if method == "HEAD" else method


def required(method: str, path: str) -> Role | Public | Sesi | None:
    """The role a route needs; None when the route has no policy (refused)."""
    return POLICY.get((policy_method(method), path))
