"""The access policy of every route, in one table a reader can audit.

Each row says who may call the route and what a planner key limited to some
OPDs (`sinkron keys create --role planner --opd KODE`) sees there:

- ``KEY_OPDS``: only the rows and figures of the key's OPDs. Another OPD's
  mismatch, page, pagu or run answers 404, as if it did not exist; lists,
  summaries and files leave the others out. The route reads the key's OPDs
  through ``app.http.deps.OpdScopeDep`` (or the pages' ``OpdHalamanDep``), which
  serves only routes declared so here; a test holds every such route to it.
- ``NO_OPD_DATA``: the answer holds nothing of any OPD (health, metrics made of
  pemda-wide counts, the documents, the sign-in form, the stylesheet).
- ``ADMIN_ONLY``: a planner key is refused (403).

Runs (``/api/v1/runs``, ``/api/v1/status``) for a key limited to OPDs: only the
runs that covered one of its OPDs (a run of every OPD, or one naming one of
them), their ``kode_skpd`` cut to its OPDs, and **no counts**: a run's outcome
counts, records pulled and open dead letters are the whole pemda's, and counting
them per OPD would mean reading every outcome row of every listed run (a million
per run at the pemda's size) on each request. The key's own OPDs' outcomes are in
``/api/v1/runs/{id}/records``, its figures in ``/api/v1/ringkasan``. A run's
``error`` is shown as it is: why a run stopped concerns every OPD it covered.

A route missing here is refused to everyone (and a test fails), so adding an
endpoint means deciding who may call it and what a scoped key sees there. HEAD
is allowed where GET is, to the same callers (app.http.head answers it).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final, Literal

from app.access.keys import Role

Public = Literal["publik"]
PUBLIC: Final[Public] = "publik"
# The planners' report pages: no X-API-Key; the page itself requires a signed-in
# browser session (app.web.sessions), made from a key of any role.
Sesi = Literal["sesi"]
SESI: Final[Sesi] = "sesi"


class Scoping(enum.StrEnum):
    """What a key limited to some OPDs sees on a route."""

    KEY_OPDS = "opd_kunci"
    NO_OPD_DATA = "tanpa_data_opd"
    ADMIN_ONLY = "hanya_admin"


@dataclass(frozen=True)
class Rule:
    """Who may call a route, and how its answers are limited to a key's OPDs."""

    who: Role | Public | Sesi
    scoping: Scoping

    def __post_init__(self) -> None:
        if (self.who is Role.ADMIN) != (self.scoping is Scoping.ADMIN_ONLY):
            raise ValueError(f"{self}: admin-only routes, and only they, are for admins")
        if self.who == PUBLIC and self.scoping is not Scoping.NO_OPD_DATA:
            raise ValueError(f"{self}: a route without a key can hold no OPD's data")

    @property
    def reaches_planner(self) -> bool:
        """A planner key (or its page session) gets an answer from the route."""
        return self.scoping is not Scoping.ADMIN_ONLY


OPEN: Final = Rule(PUBLIC, Scoping.NO_OPD_DATA)
ADMIN: Final = Rule(Role.ADMIN, Scoping.ADMIN_ONLY)
PLANNER_KEY_OPDS: Final = Rule(Role.PLANNER, Scoping.KEY_OPDS)
SESSION_KEY_OPDS: Final = Rule(SESI, Scoping.KEY_OPDS)

POLICY: Final[dict[tuple[str, str], Rule]] = {
    ("GET", "/healthz"): OPEN,
    ("GET", "/readyz"): OPEN,
    # Counts and timings of the whole pemda, no OPD's: scrapers usually carry no key.
    ("GET", "/metrics"): OPEN,
    # The API's own documents (FastAPI's); they describe routes, hold no data.
    ("GET", "/openapi.json"): OPEN,
    ("GET", "/docs"): OPEN,
    ("GET", "/redoc"): OPEN,
    ("GET", "/docs/aset/{berkas}"): OPEN,
    # A browser opening the bare address lands on the report (its sign-in).
    ("GET", "/"): OPEN,
    # The current run and each scope's last run: the key's runs, without counts.
    ("GET", "/api/v1/status"): PLANNER_KEY_OPDS,
    ("GET", "/api/v1/runs"): PLANNER_KEY_OPDS,
    ("GET", "/api/v1/runs/{run_id}"): PLANNER_KEY_OPDS,
    ("GET", "/api/v1/runs/{run_id}/records"): PLANNER_KEY_OPDS,
    ("POST", "/api/v1/runs"): ADMIN,
    ("POST", "/api/v1/runs/{run_id}/cancel"): ADMIN,
    # A run's plan: a key limited to OPDs sees its OPDs' rows and counts only.
    ("GET", "/api/v1/runs/{run_id}/rencana"): PLANNER_KEY_OPDS,
    ("POST", "/api/v1/runs/{run_id}/setujui"): ADMIN,
    ("POST", "/api/v1/runs/{run_id}/tolak"): ADMIN,
    ("GET", "/api/v1/dead-letters"): ADMIN,
    ("POST", "/api/v1/dead-letters/{letter_id}/retry"): ADMIN,
    ("POST", "/api/v1/dead-letters/retry"): ADMIN,
    ("GET", "/api/v1/audit"): ADMIN,
    # Planners read and decide mismatches; a key scoped to OPDs only theirs.
    ("GET", "/api/v1/mismatches"): PLANNER_KEY_OPDS,
    ("GET", "/api/v1/mismatches/export.xlsx"): PLANNER_KEY_OPDS,
    ("GET", "/api/v1/mismatches/export.csv"): PLANNER_KEY_OPDS,
    ("GET", "/api/v1/mismatches/{mismatch_id}"): PLANNER_KEY_OPDS,
    ("POST", "/api/v1/mismatches/{mismatch_id}/akui"): PLANNER_KEY_OPDS,
    ("POST", "/api/v1/mismatches/{mismatch_id}/kecualikan"): PLANNER_KEY_OPDS,
    ("POST", "/api/v1/mismatches/{mismatch_id}/buka-kembali"): PLANNER_KEY_OPDS,
    ("POST", "/api/v1/mismatches/keputusan"): PLANNER_KEY_OPDS,
    ("GET", "/api/v1/ringkasan"): PLANNER_KEY_OPDS,
    ("GET", "/api/v1/ringkasan/{kode_skpd}/pagu"): PLANNER_KEY_OPDS,
    # Follow-up per OPD: a scoped key sees its OPDs ranked among themselves.
    ("GET", "/api/v1/tindak-lanjut"): PLANNER_KEY_OPDS,
    # The sign-in form and its stylesheet come before any session; the form
    # checks the key typed into it (and sends a scoped key to its own OPD's page).
    ("GET", "/laporan/masuk"): OPEN,
    ("POST", "/laporan/masuk"): OPEN,
    ("GET", "/laporan/aset/{nama}"): OPEN,
    ("POST", "/laporan/keluar"): Rule(SESI, Scoping.NO_OPD_DATA),
    ("GET", "/laporan"): SESSION_KEY_OPDS,
    ("GET", "/laporan/opd/{kode_skpd}"): SESSION_KEY_OPDS,
    ("GET", "/laporan/opd/{kode_skpd}/ekspor.xlsx"): SESSION_KEY_OPDS,
    ("GET", "/laporan/opd/{kode_skpd}/ekspor.csv"): SESSION_KEY_OPDS,
    ("GET", "/laporan/mismatch/{mismatch_id}"): SESSION_KEY_OPDS,
    ("POST", "/laporan/mismatch/{mismatch_id}/{keputusan}"): SESSION_KEY_OPDS,
    ("POST", "/laporan/opd/{kode_skpd}/keputusan"): SESSION_KEY_OPDS,
    ("GET", "/laporan/kategori/{kategori}"): SESSION_KEY_OPDS,
    ("GET", "/laporan/cetak"): SESSION_KEY_OPDS,
}

_CONVERTER = re.compile(r"{(\w+):\w+}")


def template(path: str) -> str:
    """A route's path as the policy names it: ``{mismatch_id:int}`` is ``{mismatch_id}``."""
    return _CONVERTER.sub(r"{\1}", path)


def policy_method(method: str) -> str:
    """The method whose policy applies: HEAD is GET without the body."""
    method = method.upper()
    return "GET" if method == "HEAD" else method


def rule(method: str, path: str) -> Rule | None:
    """The rule of a route (its path template); None when it has none (refused).
    HEAD is GET's twin: it follows the GET route's rule."""
    return POLICY.get((policy_method(method), template(path)))


def required(method: str, path: str) -> Role | Public | Sesi | None:
    """The role a route needs; None when the route has no policy (refused)."""
    found = rule(method, path)
    return found.who if found is not None else None
